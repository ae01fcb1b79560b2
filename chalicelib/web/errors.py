"""One mapping from what went wrong to an HTTP answer that says what to fix. Never a stack trace."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.domain.validation import FieldError


def problem(
    status: int, code: str, message: str, errors: list[FieldError] | None = None, headers: dict[str, str] | None = None
) -> Response:
    body: dict[str, Any] = {"error": code, "message": message}
    if errors is not None:
        body["errors"] = [error.as_dict() for error in errors]
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json", **(headers or {})})
