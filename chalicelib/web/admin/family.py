"""The family: consent (recorded or asked of a parent), whether the parents are told, and the contact plan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.web.admin.answers import answer_with
from chalicelib.web.admin.common import (
    CASEWORK,
    STAFF_BODY_LIMIT,
    _json,
    _now,
    _reference,
    _request_id,
    admin,
)
from chalicelib.web.admin.shaping import _state
from chalicelib.web.auth import admin_route, current_staff
from chalicelib.web.json_body import ANY_BODY, parse_json

if TYPE_CHECKING:
    from chalicelib.web.admin.models import ConsentRequest


@admin_route(admin, "/admin/referrals/{reference}/consent", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def consent(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.domain.consent import ConsentState
        from chalicelib.services.record_consent import record_consent, staff_consent_record
        from chalicelib.web.admin.models import ConsentRequest

        body = parse_json(admin.current_request, ConsentRequest, STAFF_BODY_LIMIT, "consent")
        staff = current_staff(admin.current_request)
        state = ConsentState(body.state)
        if body.parent is not None:
            return _json(_state(_ask_parent(reference, body, staff)))
        record = staff_consent_record(state, body.model_dump(), staff, _now())
        referral = record_consent(_reference(reference), record=record, staff=staff, request_id=_request_id())
        return _json(_state(referral))

    return answer_with(work)


def _ask_parent(reference: str, body: ConsentRequest, staff: Any) -> Any:
    from chalicelib.domain.consent import ConsentProblem
    from chalicelib.services.request_consent import request_consent

    if body.state != "requested" or body.parent is None:
        raise ConsentProblem("parent goes with state requested: it names the parent or carer to email")
    return request_consent(_reference(reference), parent=body.parent, staff=staff, request_id=_request_id())


@admin_route(
    admin, "/admin/referrals/{reference}/parents-told", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY
)
def parents_told(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.record_consent import decide_parents_told, staff_parents_told
        from chalicelib.web.admin.models import ParentsToldRequest

        body = parse_json(admin.current_request, ParentsToldRequest, STAFF_BODY_LIMIT, "parents told decision")
        staff = current_staff(admin.current_request)
        decision = staff_parents_told(
            tell=body.tell, reason=body.reason, review_on=body.review_on, staff=staff, now=_now()
        )
        referral = decide_parents_told(_reference(reference), decision=decision, staff=staff, request_id=_request_id())
        return _json(_state(referral))

    return answer_with(work)


@admin_route(
    admin, "/admin/referrals/{reference}/contact-plan", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY
)
def contact_plan(reference: str) -> Response:
    """Who in the family is contacted: a practitioner changes one person's plan with a reason."""

    def work() -> Response:
        from chalicelib.domain.contact_plan import ContactDecision
        from chalicelib.services.contact_plan import change_contact_plan
        from chalicelib.web.admin.models import ContactPlanRequest

        body = parse_json(admin.current_request, ContactPlanRequest, STAFF_BODY_LIMIT, "contact plan")
        staff = current_staff(admin.current_request)
        change = ContactDecision(
            person=body.person, reason=body.reason, decided_by=staff.id, decided_at=_now(),
            parental_responsibility=body.parental_responsibility, safe_to_contact=body.safe_to_contact,
            may_pose_risk=body.may_pose_risk, tell=body.tell, review_on=body.review_on,
        )  # fmt: skip
        referral = change_contact_plan(_reference(reference), change=change, staff=staff, request_id=_request_id())
        return _json(_state(referral))

    return answer_with(work)
