"""A request's query string and body as the hub reads them, typed as they are at run time."""

from __future__ import annotations

from collections.abc import Mapping

from chalice.app import Request


def query_of(request: Request) -> Mapping[str, str]:
    """The query string, the last value of each name (Chalice gives None when there is no query)."""
    return request.query_params or {}


def body_bytes(request: Request) -> bytes:
    """The body as bytes, b"" when there is none. Chalice's raw_body is bytes at run time though
    annotated str | bytes; a str is encoded rather than trusted to be bytes."""
    raw = request.raw_body or b""
    return raw.encode("utf-8") if isinstance(raw, str) else raw
