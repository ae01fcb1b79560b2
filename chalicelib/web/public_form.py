"""Placeholder: being built (see the foundation issue)."""

from chalice import Blueprint

public_form = Blueprint(__name__)
