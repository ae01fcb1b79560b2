"""One mapping from what went wrong to an HTTP answer that says what to fix. Never a stack trace.

- `problem`: the shape of every JSON error answer (`{"error", "message", "errors"?}`).
- `unavailable`: what every JSON edge answers when AWS failed (`AwsError`): 503 with Retry-After
  (500 when the same call cannot succeed later), and a message saying what to do.
- The staff API's routes (and the console, which shares them) map each domain refusal through
  `answer_with` (chalicelib/web/admin/answers.py), which ends in `unavailable`.
"""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.domain.failures import AwsError
from chalicelib.domain.validation import FieldError

RETRY_AFTER_SECONDS = 60


def problem(
    status: int, code: str, message: str, errors: list[FieldError] | None = None, headers: dict[str, str] | None = None
) -> Response:
    body: dict[str, Any] = {"error": code, "message": message}
    if errors is not None:
        body["errors"] = [error.as_dict() for error in errors]
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json", **(headers or {})})


def unavailable(message: str, *, code: str = "unavailable", error: AwsError | None = None) -> Response:
    """A service the hub needs failed: try again later. 503, or 500 when `error` says the same call
    would fail again (the Retry-After stays: a person may still try once the cause is fixed)."""
    status = 500 if error is not None and not error.retryable else 503
    return problem(status, code, message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
