"""Placeholder: JSON API, being built."""

from chalice import Blueprint

api = Blueprint(__name__)
