"""The record: closure, legal hold, subject access and the audit trail."""

from __future__ import annotations

from chalice import Response

from chalicelib.web.admin.answers import answer_with
from chalicelib.web.admin.common import (
    AUDITORS,
    CASEWORK,
    MANAGERS,
    STAFF_BODY_LIMIT,
    _json,
    _now,
    _reference,
    _request_id,
    _required_reference,
    admin,
)
from chalicelib.web.admin.picture import referral_picture
from chalicelib.web.admin.shaping import _event, _iso, _state, shaped
from chalicelib.web.auth import admin_route, current_staff
from chalicelib.web.json_body import ANY_BODY, parse_json


@admin_route(admin, "/admin/referrals/{reference}/closure", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def closure(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.retention import close_referral

        referral = close_referral(
            _reference(reference), staff=current_staff(admin.current_request), request_id=_request_id()
        )
        return _json(_state(referral))

    return answer_with(work)


@admin_route(admin, "/admin/referrals/{reference}/legal-hold", methods=["POST"], roles=MANAGERS, content_types=ANY_BODY)
def legal_hold(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.retention import lift_legal_hold, place_legal_hold
        from chalicelib.web.admin.models import LegalHoldRequest

        body = parse_json(admin.current_request, LegalHoldRequest, STAFF_BODY_LIMIT, "legal hold")
        staff, request_id = current_staff(admin.current_request), _request_id()
        if body.hold:
            referral = place_legal_hold(_reference(reference), reason=body.reason, staff=staff, request_id=request_id)
        else:
            referral = lift_legal_hold(_reference(reference), staff=staff, request_id=request_id)
        return _json(_state(referral))

    return answer_with(work)


@admin_route(admin, "/admin/subject-access", methods=["POST"], roles=AUDITORS, content_types=ANY_BODY)
def subject_access() -> Response:
    def work() -> Response:
        from chalicelib.services.subject_access import subject_access_bundle
        from chalicelib.services.view_referral import ReferralView
        from chalicelib.web.admin.models import SubjectAccessRequest
        from chalicelib.web.admin.responses_picture import SubjectAccessBundle

        body = parse_json(admin.current_request, SubjectAccessRequest, STAFF_BODY_LIMIT, "subject access request")
        held = subject_access_bundle(
            first_name=body.first_name,
            last_name=body.last_name,
            date_of_birth=body.date_of_birth,
            staff=current_staff(admin.current_request),
            request_id=_request_id(),
        )
        referrals = [referral_picture(ReferralView(h.referral, h.history, [], [], h.replies)) for h in held]
        return _json(shaped(SubjectAccessBundle, {"generated_at": _iso(_now()), "referrals": referrals}))

    return answer_with(work)


@admin_route(admin, "/admin/audit", methods=["GET"], roles=AUDITORS)
def audit() -> Response:
    def work() -> Response:
        from chalicelib.services.audit_trail import audit_trail
        from chalicelib.web.admin.responses import AuditTrail

        events = audit_trail(_reference(_required_reference()))
        return _json(shaped(AuditTrail, {"events": [_event(e) for e in events]}))

    return answer_with(work)


@admin_route(admin, "/admin/audit/verify", methods=["GET"], roles=AUDITORS)
def audit_verify() -> Response:
    def work() -> Response:
        from chalicelib.services.audit_trail import verify_audit
        from chalicelib.web.admin.responses import ChainReport

        report = verify_audit(_reference(_required_reference()))
        return _json(shaped(ChainReport, vars(report)))

    return answer_with(work)
