"""Staff API: withdraw one agency enquiry, with a reason (issue 11 item 3).

POST /admin/referrals/{reference}/enquiries/withdrawal  {"enquiry_id": "e1", "reason": "..."}
    practitioner, manager. The enquiry becomes `withdrawn`; if its agency was sent (or owed) the
    request, a short withdrawal email goes to that agency only (through the outbox); its chaser and
    escalation stop; a later reply goes to triage as `consent_withdrawn`. Audited (ids and a cause
    code; the reason stays sealed on the enquiry). 404 for an unknown enquiry, 409 for one already
    answered or withdrawn, or a closed referral, 422 per field.

A consent refusal withdraws every open enquiry by itself (`POST .../consent {"state": "refused"}`,
or the parent's answer by the consent link): no call here is needed for that.
"""

from __future__ import annotations

import re
from typing import Annotated

from chalice import Blueprint, Response
from pydantic import AfterValidator, Field, StringConstraints

from chalicelib.domain.enquiry_withdrawals import REASON_MAX_LENGTH
from chalicelib.domain.referral import no_control_characters
from chalicelib.web import admin as admin_api
from chalicelib.web.admin.shaping import shaped
from chalicelib.web.auth import admin_route, current_staff
from chalicelib.web.errors import problem
from chalicelib.web.json_body import ANY_BODY, parse_json

admin_enquiries = Blueprint(__name__)

WITHDRAWAL_PATH = "/admin/referrals/{reference}/enquiries/withdrawal"


ENQUIRY_ID = re.compile(r"e[1-9][0-9]{0,2}")


def _enquiry_id(value: str) -> str:
    # Said in words, not as the pattern: a person reads this message.
    if not ENQUIRY_ID.fullmatch(value):
        raise ValueError("Give the enquiry's id as the whole picture shows it, like e1")
    return value


class WithdrawEnquiryRequest(admin_api.StaffRequest):
    enquiry_id: Annotated[
        str,
        StringConstraints(strip_whitespace=True),
        AfterValidator(_enquiry_id),
        Field(json_schema_extra={"pattern": f"^{ENQUIRY_ID.pattern}$", "examples": ["e1"]}),
    ]
    reason: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=REASON_MAX_LENGTH),
        AfterValidator(no_control_characters),
    ]


@admin_route(admin_enquiries, WITHDRAWAL_PATH, methods=["POST"], roles=admin_api.CASEWORK, content_types=ANY_BODY)
def withdraw_enquiry(reference: str) -> Response:
    request = admin_enquiries.current_request

    def work() -> Response:
        from chalicelib.domain.enquiry_withdrawals import EnquiryNotFound
        from chalicelib.services.withdraw_enquiries import withdraw_one_enquiry
        from chalicelib.web.admin.responses_sharing import WithdrawnEnquiry

        body = parse_json(request, WithdrawEnquiryRequest, admin_api.STAFF_BODY_LIMIT, "enquiry withdrawal")
        try:
            referral = withdraw_one_enquiry(
                admin_api._reference(reference),
                body.enquiry_id,
                reason=body.reason,
                staff=current_staff(request),
                request_id=(request.context or {}).get("requestId"),
            )
        except EnquiryNotFound as missing:
            return problem(404, "enquiry_not_found", str(missing))
        enquiry = referral.enquiry(body.enquiry_id)
        answer = {"reference": referral.reference, "enquiry": admin_api._enquiry(enquiry, admin_api._now())}
        return admin_api._json(shaped(WithdrawnEnquiry, answer))

    return admin_api.answer_with(work)
