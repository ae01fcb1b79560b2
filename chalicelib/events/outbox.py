"""Placeholder: outbox dispatcher schedule, being built."""

from chalice import Blueprint

outbox_events = Blueprint(__name__)
