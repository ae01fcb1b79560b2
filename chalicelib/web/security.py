"""Security headers on every response (owned by the public form work; extended there)."""

from __future__ import annotations

from collections.abc import Callable

from chalice.app import Request, Response


def security_headers(event: Request, get_response: Callable[[Request], Response]) -> Response:
    response = get_response(event)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
