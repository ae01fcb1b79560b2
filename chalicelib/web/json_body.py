"""Reading a JSON request body at the edge: the checks every JSON route shares."""

from __future__ import annotations

import json
import re
from typing import Any

from chalice.app import Request, Response
from pydantic import BaseModel

from chalicelib.domain.validation import InvalidReferral, validate
from chalicelib.web.clock import hub_today
from chalicelib.web.errors import problem
from chalicelib.web.request_parts import body_bytes

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
# No body the hub takes nests deeper than a handful of levels; the json module recurses once per
# level, so 5,000 levels was a RecursionError (a 500). Counted before parsing, refused with a 400.
MAX_JSON_DEPTH = 32
_SIGNIFICANT = re.compile(rb'["\\\[\]{}]')  # quotes, backslashes, brackets: all the depth count reads


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
    body = body_bytes(request)
    if len(body) > max_bytes:
        raise BodyRefused(
            problem(
                413, "body_too_large", f"The {what} is larger than {max_bytes // 1024} KiB; shorten the text fields"
            )
        )
    if json_depth(body) > MAX_JSON_DEPTH:
        raise BodyRefused(
            problem(
                400,
                "malformed_json",
                f"The body nests arrays and objects more than {MAX_JSON_DEPTH} levels deep: send the {what}'s "
                "fields as the API document shows them",
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


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in `body`, brackets inside strings not counted. One pass,
    no recursion, no backtracking; an unbalanced body is left for the parser to call malformed."""
    deepest = depth = 0
    in_string = False
    skip = -1  # the position of a character escaped by a backslash
    for match in _SIGNIFICANT.finditer(body):
        at, char = match.start(), match.group()
        if at == skip:
            continue
        if in_string:
            if char == b"\\":
                skip = at + 1
            elif char == b'"':
                in_string = False
        elif char == b'"':
            in_string = True
        elif char in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif char in (b"]", b"}"):
            depth -= 1
    return deepest


def parse_json(request: Request, model: type[BaseModel], max_bytes: int, what: str) -> Any:
    """Read and validate a body as `model`; BodyRefused with one message per field if it is wrong."""
    data = read_json_object(request, max_bytes, what)
    try:
        return validate(model, data, today=hub_today())
    except InvalidReferral as invalid:
        raise BodyRefused(
            problem(
                422,
                f"invalid_{what.replace(' ', '_')}",
                f"The {what} has problems: fix each field listed",
                invalid.errors,
            )
        ) from None
