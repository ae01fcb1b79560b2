"""Reading a JSON request body at the edge: the checks every JSON route shares."""

from __future__ import annotations

import json
import re
from typing import Any

from chalice.app import Request, Response
from pydantic import BaseModel

from chalicelib.domain.validation import InvalidReferral, validate
from chalicelib.web.errors import problem

# Content types we accept so that we, not the framework, answer a wrong one with a useful 415.
ANY_BODY = [
    "application/json",
    "text/plain",
    "text/html",
    "text/xml",
    "application/xml",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/octet-stream",
]
JSON_TYPE = re.compile(r"^application/(?:[\w.+-]+\+)?json\s*(?:;.*)?$", re.IGNORECASE)


class BodyRefused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def read_json_object(request: Request, max_bytes: int, what: str = "request") -> dict[str, Any]:
    """The body as a JSON object, or BodyRefused carrying the 4xx that says what to fix."""
    if not JSON_TYPE.match(request.headers.get("content-type", "")):
        raise BodyRefused(
            problem(
                415,
                "unsupported_media_type",
                f"Send the {what} as JSON, with the header Content-Type: application/json",
            )
        )
    body = request.raw_body or b""
    if len(body) > max_bytes:
        raise BodyRefused(
            problem(
                413, "body_too_large", f"The {what} is larger than {max_bytes // 1024} KiB; shorten the text fields"
            )
        )
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise BodyRefused(
            problem(400, "malformed_json", f"The body is not valid JSON{where}: check quotes, commas and brackets")
        ) from None
    if not isinstance(data, dict):
        raise BodyRefused(
            problem(
                422, f"invalid_{what.replace(' ', '_')}", f"The body must be a JSON object with the {what}'s fields"
            )
        )
    return data


def parse_json(request: Request, model: type[BaseModel], max_bytes: int, what: str) -> Any:
    """Read and validate a body as `model`; BodyRefused with one message per field if it is wrong."""
    data = read_json_object(request, max_bytes, what)
    try:
        return validate(model, data)
    except InvalidReferral as invalid:
        raise BodyRefused(
            problem(
                422,
                f"invalid_{what.replace(' ', '_')}",
                f"The {what} has problems: fix each field listed",
                invalid.errors,
            )
        ) from None
