"""Screening, the decision, and a manager's approval (or return) of it."""

from __future__ import annotations

from chalice import Response

from chalicelib.web.admin.answers import answer_with
from chalicelib.web.admin.common import (
    CASEWORK,
    MANAGERS,
    STAFF_BODY_LIMIT,
    _json,
    _reference,
    _request_id,
    admin,
)
from chalicelib.web.admin.shaping import _state
from chalicelib.web.auth import admin_route, current_staff
from chalicelib.web.json_body import ANY_BODY, parse_json


@admin_route(admin, "/admin/referrals/{reference}/screening", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def screening(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.screen_referral import screen_referral
        from chalicelib.web.admin.models import ScreeningRequest

        body = parse_json(admin.current_request, ScreeningRequest, STAFF_BODY_LIMIT, "screening")
        referral = screen_referral(
            _reference(reference),
            rag=body.rag,
            level=body.level,
            rationale=body.rationale,
            staff=current_staff(admin.current_request),
            request_id=_request_id(),
        )
        return _json(_state(referral))

    return answer_with(work)


@admin_route(admin, "/admin/referrals/{reference}/decision", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def decision(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.decide_referral import record_decision
        from chalicelib.web.admin.models import DecisionRequest

        body = parse_json(admin.current_request, DecisionRequest, STAFF_BODY_LIMIT, "decision")
        referral = record_decision(
            _reference(reference),
            outcome=body.outcome,
            reasons=body.reasons,
            staff=current_staff(admin.current_request),
            request_id=_request_id(),
        )
        return _json(_state(referral))

    return answer_with(work)


@admin_route(
    admin, "/admin/referrals/{reference}/decision/approval", methods=["POST"], roles=MANAGERS, content_types=ANY_BODY
)
def approval(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.decide_referral import approve_decision, return_decision
        from chalicelib.web.admin.models import ApprovalRequest

        body = parse_json(admin.current_request, ApprovalRequest, STAFF_BODY_LIMIT, "approval")
        staff, request_id = current_staff(admin.current_request), _request_id()
        if body.approve:
            referral = approve_decision(_reference(reference), staff=staff, request_id=request_id)
        else:
            referral = return_decision(
                _reference(reference), reason=body.reason or "", staff=staff, request_id=request_id
            )
        return _json(_state(referral))

    return answer_with(work)
