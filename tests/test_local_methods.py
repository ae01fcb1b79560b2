"""`make run`'s stack answers a method the hub does not serve as API Gateway would: 405 with Allow,
not http.server's 501 (the probe sent TRACE)."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator

import pytest

from local.stack import LocalStack


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    running = LocalStack.active()
    if running is not None:  # one stack per process: share it (as tests/test_local_stack.py does)
        yield running
        return
    with LocalStack(pump_interval=None) as started:
        yield started


def send(stack: LocalStack, method: str, path: str, body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    address = urllib.parse.urlsplit(stack.app_url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=10)
    try:
        connection.request(method, path, body=body)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_trace_is_a_405_with_allow_on_the_local_stack(stack: LocalStack) -> None:
    status, headers, body = send(stack, "TRACE", "/api/referrals")
    assert status == 405
    assert headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert json.loads(body)["error"] == "method_not_allowed"


def test_a_refused_request_with_a_body_leaves_the_connection_usable(stack: LocalStack) -> None:
    address = urllib.parse.urlsplit(stack.app_url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=10)
    try:
        connection.request("PROPFIND", "/", body=b"<propfind/>")
        first = connection.getresponse()
        assert (first.status, json.loads(first.read())["error"]) == (405, "method_not_allowed")
        connection.request("GET", "/")  # the same connection: the refused body was read, not left behind
        second = connection.getresponse()
        assert second.status == 200
        assert "text/html" in second.getheader("Content-Type", "")
    finally:
        connection.close()
