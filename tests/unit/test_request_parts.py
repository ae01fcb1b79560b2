"""A request's query and body as the web edge reads them, whatever shape Chalice hands over."""

from __future__ import annotations

from typing import Any

from chalice.app import Request

from chalicelib.web.request_parts import body_bytes, query_of


def _request(*, query: dict[str, list[str]] | None = None, body: Any = None) -> Request:
    return Request(
        {
            "multiValueQueryStringParameters": query,
            "headers": {},
            "pathParameters": None,
            "requestContext": {"httpMethod": "GET", "resourcePath": "/"},
            "body": body,
            "isBase64Encoded": False,
            "stageVariables": None,
        }
    )


def test_no_query_reads_as_empty():
    assert dict(query_of(_request())) == {}


def test_a_repeated_name_reads_as_its_last_value():
    assert query_of(_request(query={"reason": ["a", "b"]}))["reason"] == "b"


def test_no_body_is_empty_bytes():
    assert body_bytes(_request()) == b""


def test_a_text_body_comes_back_as_utf8_bytes():
    assert body_bytes(_request(body="name=Zoë")) == "name=Zoë".encode()
