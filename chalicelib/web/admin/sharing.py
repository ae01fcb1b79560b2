"""Sharing: onward referrals to other services, enquiries to partner agencies, and the triage of replies
the hub could not place by itself.
"""

from __future__ import annotations

import re
from typing import Any

from chalice import Response

from chalicelib.web.admin.answers import answer_with
from chalicelib.web.admin.common import (
    CASEWORK,
    STAFF_BODY_LIMIT,
    _check_choice,
    _json,
    _limit,
    _now,
    _reference,
    _request_id,
    admin,
)
from chalicelib.web.admin.picture import _attachment, _enquiry
from chalicelib.web.admin.shaping import _iso, _state, shaped
from chalicelib.web.auth import admin_route, current_staff
from chalicelib.web.errors import problem
from chalicelib.web.json_body import ANY_BODY, BodyRefused, parse_json
from chalicelib.web.request_parts import query_of


@admin_route(
    admin, "/admin/referrals/{reference}/onward-referral", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY
)
def onward_referral(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.refer_on import make_onward_referral
        from chalicelib.web.admin.models import OnwardReferralRequest

        body = parse_json(admin.current_request, OnwardReferralRequest, STAFF_BODY_LIMIT, "onward referral")
        referral = make_onward_referral(
            _reference(reference),
            service_id=body.service,
            sections=tuple(body.sections),
            reason=body.reason,
            staff=current_staff(admin.current_request),
            request_id=_request_id(),
        )
        return _json(_state(referral))

    return answer_with(work)


@admin_route(admin, "/admin/referrals/{reference}/enquiries", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def enquiries(reference: str) -> Response:
    """Ask partner agencies what they hold: one enquiry per agency, emailed through its queue."""

    def work() -> Response:
        from chalicelib.services.open_enquiries import open_enquiries
        from chalicelib.web.admin.models import EnquiriesRequest
        from chalicelib.web.admin.responses_sharing import OpenedEnquiries

        body = parse_json(admin.current_request, EnquiriesRequest, STAFF_BODY_LIMIT, "enquiries")
        referral, opened = open_enquiries(
            _reference(reference),
            list(body.agencies),
            body.question,
            staff=current_staff(admin.current_request),
            request_id=_request_id(),
        )
        now = _now()
        shown = [_enquiry(e, now) for e in referral.enquiries if e.enquiry_id in opened]
        return _json(shaped(OpenedEnquiries, {"reference": referral.reference, "enquiries": shown}), 201)

    return answer_with(work)


TRIAGE_ID = re.compile(r"[0-9a-f]{20}")


def _triage_id(raw: str) -> str:
    from chalicelib.domain.agency_replies import TriageNotFound

    if not TRIAGE_ID.fullmatch(raw):
        raise TriageNotFound(f"No email in the triage list has the id {raw[:40]}: reload the list and choose again")
    return raw


REPLY_ID = re.compile(r"[a-z0-9]{1,64}")


@admin_route(
    admin, "/admin/referrals/{reference}/replies/{reply_id}/text", methods=["POST"], roles=CASEWORK,
    content_types=ANY_BODY,
)  # fmt: skip
def reply_text(reference: str, reply_id: str) -> Response:
    """The shortened text of an agency's reply is wrong: show the whole email first (or undo)."""

    def work() -> Response:
        from chalicelib.domain.reply_display import ReplyNotOnReferral
        from chalicelib.services.reply_display import mark_reply_text
        from chalicelib.web.admin.models import ReplyTextRequest

        if not REPLY_ID.fullmatch(reply_id):
            raise ReplyNotOnReferral(reply_id)
        body = parse_json(admin.current_request, ReplyTextRequest, STAFF_BODY_LIMIT, "reply text")
        referral = mark_reply_text(
            _reference(reference), reply_id, wrong=body.wrong, reason=body.reason,
            staff=current_staff(admin.current_request), request_id=_request_id(),
        )  # fmt: skip
        return _json(_state(referral))

    return answer_with(work)


@admin_route(admin, "/admin/triage", methods=["GET"], roles=CASEWORK)
def triage_list() -> Response:
    """Replies the hub could not put on a referral by itself: newest first, metadata only."""

    def work() -> Response:
        from chalicelib.domain.agency_replies import TriageStatus
        from chalicelib.services.triage import list_triage
        from chalicelib.web.admin.responses_sharing import TriageList

        query = query_of(admin.current_request)
        status = query.get("status") or "waiting"
        _check_choice("status", status, [s.value for s in TriageStatus])
        try:
            items, cursor = list_triage(status, _limit(query.get("limit")), query.get("cursor"))
        except ValueError as invalid:
            raise BodyRefused(problem(422, "invalid_cursor", f"The cursor is not valid: {invalid}")) from None
        return _json(shaped(TriageList, {"items": [_triage_summary(item) for item in items], "next_cursor": cursor}))

    return answer_with(work)


@admin_route(admin, "/admin/triage/{triage_id}", methods=["GET"], roles=CASEWORK)
def triage_item(triage_id: str) -> Response:
    """One triaged email with its content; the read is recorded on it first."""

    def work() -> Response:
        from chalicelib.services.triage import view_triage
        from chalicelib.web.admin.responses_sharing import TriageItem

        item = view_triage(_triage_id(triage_id), current_staff(admin.current_request))
        return _json(shaped(TriageItem, _triage_detail(item)))

    return answer_with(work)


@admin_route(admin, "/admin/triage/{triage_id}/attach", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def triage_attach(triage_id: str) -> Response:
    """Put a triaged email on the enquiry it answers, as a person decided (audited on the referral)."""

    def work() -> Response:
        from chalicelib.services.triage import attach_triage
        from chalicelib.web.admin.models import TriageAttachRequest
        from chalicelib.web.admin.responses_sharing import TriageAttached

        body = parse_json(admin.current_request, TriageAttachRequest, STAFF_BODY_LIMIT, "triage attach")
        reply = attach_triage(
            _triage_id(triage_id),
            _reference(body.reference),
            body.enquiry_id,
            current_staff(admin.current_request),
            _request_id(),
        )
        attached = {"reference": reply.reference, "enquiry_id": reply.enquiry_id, "reply_id": reply.reply_id}
        return _json(shaped(TriageAttached, attached))

    return answer_with(work)


@admin_route(admin, "/admin/triage/{triage_id}/reject", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def triage_reject(triage_id: str) -> Response:
    def work() -> Response:
        from chalicelib.services.triage import reject_triage
        from chalicelib.web.admin.models import TriageRejectRequest
        from chalicelib.web.admin.responses_sharing import TriageSummary

        body = parse_json(admin.current_request, TriageRejectRequest, STAFF_BODY_LIMIT, "triage reject")
        item = reject_triage(_triage_id(triage_id), body.note, current_staff(admin.current_request))
        return _json(shaped(TriageSummary, _triage_summary(item)))

    return answer_with(work)


def _triage_summary(item: Any) -> dict[str, Any]:
    from chalicelib.domain.agency_replies import TRIAGE_TEXT

    return {
        "triage_id": item.triage_id,
        "received_at": _iso(item.received_at),
        "reason": item.reason.value,
        "reason_text": TRIAGE_TEXT[item.reason],
        "status": item.status.value,
        "claimed_reference": item.claimed_reference,
        "claimed_enquiry_id": item.claimed_enquiry_id,
        "attachment_count": getattr(item, "attachment_count", None)
        if hasattr(item, "attachment_count")
        else len(item.attachments),
        "decided_by": item.decided_by,
        "decided_at": _iso(item.decided_at),
    }


def _triage_detail(item: Any) -> dict[str, Any]:
    return {
        **_triage_summary(item),
        "sender": item.sender,
        "subject": item.subject,
        "text": item.text,
        "full_text": item.full_text,
        "attachments": [_attachment(a) for a in item.attachments],
        "verdicts": item.verdicts,
        "decision_note": item.decision_note,
        "attached_reference": item.attached_reference,
        "attached_enquiry_id": item.attached_enquiry_id,
        "views": [{"by": view.by, "at": _iso(view.at)} for view in item.views],
    }
