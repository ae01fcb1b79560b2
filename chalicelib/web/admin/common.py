"""The staff API's one Blueprint, its role sets and the small parts every route uses.

Routes parse, call one service, and shape the answer; `answers.answer_with` maps what went wrong to HTTP.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain.audit import AccessReason
from chalicelib.domain.staff import Role
from chalicelib.web.errors import problem
from chalicelib.web.json_body import BodyRefused
from chalicelib.web.request_parts import query_of

# The import name stays the package's: the Blueprint was made in chalicelib/web/admin.py.
admin = Blueprint("chalicelib.web.admin")


ANY_STAFF = frozenset(Role)
CASEWORK = frozenset({Role.PRACTITIONER, Role.MANAGER})
MANAGERS = frozenset({Role.MANAGER})
AUDITORS = frozenset({Role.AUDITOR})
STAFF_BODY_LIMIT = 16 * 1024
NOT_FOUND = "No referral has that reference: check it against the acknowledgement"
NOTICE_NOT_FOUND = "This referral has no notice with that id: take it from the notices in the whole picture"


def _json(body: Any, status: int = 200) -> Response:
    # Pages of personal data must not sit in a browser or proxy cache.
    return Response(
        body=body, status_code=status, headers={"Content-Type": "application/json", "Cache-Control": "no-store"}
    )


def _request_id() -> str | None:
    return (admin.current_request.context or {}).get("requestId")


def _reference(raw: str) -> str:
    from chalicelib.domain.failures import ReferralNotFound
    from chalicelib.domain.reference import normalise

    reference = normalise(raw)
    if reference is None:
        # The same answer as an unknown reference: a malformed one is just as unknown.
        raise ReferralNotFound(raw)
    return reference


def _statuses() -> list[str]:
    from chalicelib.domain.lifecycle import OPEN_STATUSES

    return sorted(status.value for status in OPEN_STATUSES)


def _check_choice(name: str, value: str | None, choices: list[str]) -> None:
    if value is not None and value not in choices:
        raise BodyRefused(problem(422, f"invalid_{name}", f"{name} must be one of: {', '.join(choices)}"))


def _limit(raw: str | None) -> int:
    if raw is None:
        return 25
    # isascii: str.isdigit() is true for "²", which int() refuses (a 500 before this check).
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 100:
        raise BodyRefused(problem(422, "invalid_limit", "limit must be a whole number from 1 to 100"))
    return int(raw)


def _access_reason() -> AccessReason | None:
    """`?reason=` on a read of a referral's personal data: needed once it is closed."""
    raw_reason = query_of(admin.current_request).get("reason")
    _check_choice("reason", raw_reason, [r.value for r in AccessReason])
    return AccessReason(raw_reason) if raw_reason else None


def _now() -> dt.datetime:
    from chalicelib.wiring import wiring

    return wiring().clock()


def _required_reference() -> str:
    reference = query_of(admin.current_request).get("reference")
    if not reference:
        raise BodyRefused(
            problem(422, "reference_required", "Give the referral's reference as ?reference=, like K7Q-F3M-RW9")
        )
    return reference
