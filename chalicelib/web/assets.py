"""Placeholder: being built (see the foundation issue)."""

from chalice import Blueprint

assets = Blueprint(__name__)
