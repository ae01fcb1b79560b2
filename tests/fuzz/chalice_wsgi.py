"""A WSGI face on a Chalice app, so schemathesis can drive it in-process (Chalice is not WSGI).

Each request goes through Chalice's local API Gateway emulation (`chalice.test`'s HTTP client):
routing, the staff authorizer, content-type checks and middleware, the same as `chalice local`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from chalice.test import Client

from tests.fuzz.tally import Tally

# WSGI's environ names two headers without the HTTP_ prefix.
UNPREFIXED_HEADERS = {"CONTENT_TYPE": "content-type", "CONTENT_LENGTH": "content-length"}


class ChaliceWsgi:
    def __init__(self, client: Client, tally: Tally) -> None:
        self._client = client
        self._tally = tally

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        response = self._client.http.request(
            environ["REQUEST_METHOD"], _raw_uri(environ), headers=_headers(environ), body=body
        )
        self._tally.count(response.status_code)
        start_response(f"{response.status_code} -", _header_list(_as_api_gateway_sends(response.headers)))
        return [response.body]


def _raw_uri(environ: dict[str, Any]) -> str:
    # The path as sent (still percent-encoded), like API Gateway and `chalice local` see it.
    return environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ["PATH_INFO"]


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {name: environ[key] for key, name in UNPREFIXED_HEADERS.items() if environ.get(key)}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = value
    return headers


def _as_api_gateway_sends(headers: dict[str, Any]) -> dict[str, Any]:
    # Chalice's local gateway answers its own errors (e.g. 401 for no Authorization header) with
    # no Content-Type; API Gateway's gateway responses are application/json. Say what AWS says.
    if "x-amzn-ErrorType" in headers and not any(name.lower() == "content-type" for name in headers):
        return {**headers, "Content-Type": "application/json"}
    return headers


def _header_list(headers: dict[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in headers.items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, str(one)))
    return pairs
