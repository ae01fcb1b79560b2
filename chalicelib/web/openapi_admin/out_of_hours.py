"""Out of hours: the emergency duty team's handover (chalicelib/web/admin_out_of_hours.py)."""

from __future__ import annotations

from typing import Any

from chalicelib.web.openapi_admin.parameters import (
    REFERENCE_IN_PATH,
)
from chalicelib.web.openapi_admin.shapes import (
    BODY_ERRORS,
    DATE_TIME,
    _nullable,
    _object,
    _operation,
    _ref,
)

OUT_OF_HOURS_FLAG = {
    "anyOf": [{"type": "string", "enum": ["alerted", "handed_over"]}, {"type": "null"}],
    "description": "alerted: it came in out of hours and the emergency duty team was told; handed_over: the "
    "EDT handed it over (first in the queue until screened); null: neither",
}
OUT_OF_HOURS_TEXT = (
    "Present when the referral came in out of MASH hours as a protection or immediate-risk referral: the "
    "emergency duty team was alerted; its handover notes, and whether it handed the referral over"
)


def out_of_hours_schemas() -> dict[str, Any]:
    from chalicelib.web.admin_out_of_hours import HandoverRequest

    schema = HandoverRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    note = _object({"text": {"type": "string"}, "written_by": {"type": "string"}, "written_at": _nullable(DATE_TIME)})
    return {
        "HandoverRequest": schema,
        "HandoverNote": note,
        "OutOfHours": _object(
            {
                "alerted": {"type": "boolean"},
                "handed_over": {"type": "boolean"},
                "handed_over_by": _nullable({"type": "string", "description": "Staff id, never a name"}),
                "handed_over_at": _nullable(DATE_TIME),
                "notes": {"type": "array", "items": _ref("HandoverNote")},
            }
        ),
    }


def out_of_hours_paths() -> dict[str, Any]:
    from chalicelib.web import admin_out_of_hours as routes

    operation = _operation(
        routes.handover,
        "The emergency duty team's handover note (sealed on the referral); handed_over: true hands the "
        "referral to the day team, first in the morning queue until screened. Only for referrals the EDT was "
        "alerted to (409 not_alerted otherwise); audited with the note's number, never its words",
        "HandoverState",
        ("404", "409", *BODY_ERRORS),
        parameters=[REFERENCE_IN_PATH],
        body=routes.HandoverRequest,
    )
    return {"/admin/referrals/{reference}/handover": {"post": operation}}
