"""Staff API for the emergency duty team (`mash-edt`): the handover of an out-of-hours referral.

Reading the referral is the ordinary `GET /admin/referrals/{reference}` (its roles include the
EDT, for referrals it was alerted to only: see `out_of_hours.check_may_open`); every other
casework route refuses the EDT with a 403 naming the roles it needs.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain.staff import Role
from chalicelib.web import admin as admin_api
from chalicelib.web.auth import admin_route, current_staff
from chalicelib.web.errors import problem
from chalicelib.web.json_body import ANY_BODY, parse_json

admin_out_of_hours = Blueprint(__name__)

EMERGENCY_DUTY_TEAM = frozenset({Role.EDT})


class HandoverRequest(admin_api.StaffRequest):
    """What the EDT did (sealed on the referral); handed_over: true hands it to the day team."""

    note: admin_api.Rationale
    handed_over: bool = False


@admin_route(
    admin_out_of_hours,
    "/admin/referrals/{reference}/handover",
    methods=["POST"],
    roles=EMERGENCY_DUTY_TEAM,
    content_types=ANY_BODY,
)
def handover(reference: str) -> Response:
    request = admin_out_of_hours.current_request

    def work() -> Response:
        from chalicelib.domain.out_of_hours import HandoverRefused
        from chalicelib.services.out_of_hours import hand_over

        body = parse_json(request, HandoverRequest, admin_api.STAFF_BODY_LIMIT, "handover")
        try:
            referral = hand_over(
                admin_api._reference(reference),
                note=body.note,
                handed_over=body.handed_over,
                staff=current_staff(request),
                request_id=(request.context or {}).get("requestId"),
            )
        except HandoverRefused as refused:
            return problem(409, "not_alerted", str(refused))
        return admin_api._json({**admin_api._state(referral), "out_of_hours": out_of_hours_picture(referral)})

    return admin_api.answer_with(work)


def out_of_hours_picture(referral: Any) -> dict[str, Any] | None:
    """The whole picture's out-of-hours part: None unless the EDT was alerted."""
    from chalicelib.domain.out_of_hours import was_alerted

    if not was_alerted(referral):
        return None
    handover = referral.edt_handover
    return {
        "alerted": True,
        "handed_over": bool(handover and handover.handed_over),
        "handed_over_by": handover.handed_over_by if handover else None,
        "handed_over_at": admin_api._iso(handover.handed_over_at) if handover else None,
        "notes": [
            {"text": n.text, "written_by": n.written_by, "written_at": admin_api._iso(n.written_at)}
            for n in (handover.notes if handover else ())
        ],
    }
