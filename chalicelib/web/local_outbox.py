"""Placeholder: being built (see the foundation issue)."""

from chalice import Blueprint

local_outbox = Blueprint(__name__)
