"""Staff API for the emergency duty team (`mash-edt`): the handover of an out-of-hours referral.

Reading the referral is the ordinary `GET /admin/referrals/{reference}` (its roles include the
EDT, for referrals it was alerted to only: see `out_of_hours.check_may_open`); every other
casework route refuses the EDT with a 403 naming the roles it needs.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.domain.staff import Role

# The admin API's rooms, not its package: the package's whole picture includes this handover's part.
from chalicelib.web.admin.answers import answer_with
from chalicelib.web.admin.common import STAFF_BODY_LIMIT, _json, _reference
from chalicelib.web.admin.picture import out_of_hours_picture
from chalicelib.web.admin.request_fields import Rationale, StaffRequest
from chalicelib.web.admin.shaping import _state
from chalicelib.web.auth import admin_route, current_staff
from chalicelib.web.json_body import ANY_BODY, parse_json

admin_out_of_hours = Blueprint(__name__)

EMERGENCY_DUTY_TEAM = frozenset({Role.EDT})


class HandoverRequest(StaffRequest):
    """What the EDT did (sealed on the referral); handed_over: true hands it to the day team."""

    note: Rationale
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
        from chalicelib.services.out_of_hours import hand_over

        body = parse_json(request, HandoverRequest, STAFF_BODY_LIMIT, "handover")
        referral = hand_over(
            _reference(reference),
            note=body.note,
            handed_over=body.handed_over,
            staff=current_staff(request),
            request_id=(request.context or {}).get("requestId"),
        )
        return _json({**_state(referral), "out_of_hours": out_of_hours_picture(referral)})

    return answer_with(work)
