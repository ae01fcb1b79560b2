"""Path and query parameters of the staff API's routes."""

from __future__ import annotations

from typing import Any

from chalicelib.web.openapi_admin.shapes import (
    REFERENCE_EXAMPLE,
    _enum,
    _query,
)

REFERENCE_IN_PATH = {
    "name": "reference",
    "in": "path",
    "required": True,
    "description": "The referral's reference as a person types it: case, spaces and dashes do not matter",
    "schema": {"type": "string", "minLength": 1},
    "example": REFERENCE_EXAMPLE,
}


TRIAGE_ID_IN_PATH = {
    "name": "triage_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9a-f]{20}$"},
    "description": "The id from the triage list",
}
ATTACHMENT_ID_IN_PATH = {
    "name": "attachment_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9a-f]{20}$"},
    "description": "The document's id, from the attachments in the whole picture",
}
NOTICE_ID_IN_PATH = {
    "name": "notice_id",
    "in": "path",
    "required": True,
    "description": "The notice's id, from the notices in the whole picture",
    "schema": {"type": "string", "pattern": "^[a-z0-9_:-]{1,64}$"},
    "example": "outcome-0",
}


def _queue_parameters() -> tuple[dict[str, Any], ...]:
    from chalicelib.domain.decision import Rag
    from chalicelib.domain.lifecycle import OPEN_STATUSES

    return (
        _query("status", _enum([s.value for s in OPEN_STATUSES]), "Only referrals in this status"),
        _query("rag", _enum(Rag), "Only referrals screened with this RAG rating"),
        _query(
            "undelivered",
            {"type": "string", "enum": ["true", "false"], "default": "false"},
            "true: only referrals with a notice that bounced, was complained about, rejected or failed",
        ),
        _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}, "Rows per page"),
        _query("cursor", {"type": "string"}, "next_cursor from the page before"),
    )


def _reason_parameter() -> dict[str, Any]:
    from chalicelib.domain.audit import AccessReason

    return _query("reason", _enum(AccessReason), "Why a closed referral is opened again (needed for closed ones)")


def _reference_query() -> dict[str, Any]:
    return _query("reference", {"type": "string", "minLength": 1}, "The referral's reference", required=True)


CONTACT_ID_IN_PATH = {
    "name": "contact_id",
    "in": "path",
    "required": True,
    "description": "An advice call's id, as the list gives it",
    "schema": {"type": "string", "pattern": "^[0-9]{14}[0-9a-f]{8}$"},
}
OTHER_IN_PATH = {
    "name": "other",
    "in": "path",
    "required": True,
    "description": "The linked referral's reference",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,20}$"},
}
REPLY_ID_IN_PATH = {
    "name": "reply_id",
    "in": "path",
    "required": True,
    "description": "An agency reply's id, as the whole picture lists it (`replies[].reply_id`)",
    "schema": {"type": "string", "pattern": "^[a-z0-9]{1,64}$"},
}


def _report_parameters() -> tuple[dict[str, Any], ...]:
    from chalicelib.domain.timeliness import DATE_PATTERN

    date = {"type": "string", "format": "date", "pattern": DATE_PATTERN}
    return (
        _query("from", date, "First London date of receipt, YYYY-MM-DD", required=True),
        _query("to", date, "Last London date of receipt (included), YYYY-MM-DD", required=True),
        _query(
            "format",
            {"type": "string", "enum": ["json", "csv"], "default": "json"},
            "csv: a download, one figure a line (section, key, label, measure, value)",
        ),
    )
