"""The referral page: the whole picture (an audited read), and the actions open to this person now.

A closed referral opens only with a reason code: without one the page asks for it first.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.domain.audit import AccessReason, AuditAction
from chalicelib.domain.case_export import retry_reason
from chalicelib.domain.case_notes import NOTE_TYPE_LABELS
from chalicelib.domain.decision import OUTCOME_LABELS
from chalicelib.domain.referral import AGENCY_LABELS, CONCERN_LABELS, LEVELS_OF_NEED
from chalicelib.domain.referral_links import KNOWN_BEFORE_REASON
from chalicelib.services.staff_names import staff_entries
from chalicelib.web import admin as admin_api
from chalicelib.web.console.action_forms import ACTION_FORMS
from chalicelib.web.console.formatting import RAG_TAGS, REASON_LABELS, STATUS_LABELS, is_overdue
from chalicelib.web.console.routing import (
    Visit,
    _api_roles,
    _page,
    _problem_page,
    _refused,
    _request_id,
    console,
    console_route,
)
from chalicelib.web.console.words import ReferralNames, anyone_name, history_lines, referral_names
from chalicelib.web.form_fields import PageErrors
from chalicelib.web.request_parts import query_of


@console_route("/staff/referrals/{reference}", methods=["GET"], roles=_api_roles(admin_api.referral))
def referral_page(visit: Visit, reference: str) -> Response:
    query = query_of(console.current_request)
    raw_reason = query.get("reason")
    reason = raw_reason if raw_reason in {r.value for r in AccessReason} else None
    shown: dict[str, Any] = {}
    refused = _refused(admin_api.answer_with(lambda: _read_referral(visit, reference, reason, shown)))
    if refused is not None:
        return _problem_page(*refused, visit.me)
    if "reason_page" in shown:
        asked = raw_reason is not None or "asked" in query
        return _reason_page(visit, shown["reason_page"], asked=asked)
    return _picture_page(visit, shown["picture"], reason, query.get("done"), shown["names"])


def _read_referral(visit: Visit, reference: str, reason: str | None, shown: dict[str, Any]) -> Response:
    """The audited read, into `shown`: the picture, or (a closed referral without a reason) the
    reference whose reason page to show."""
    from chalicelib.domain.audit import ReasonRequired
    from chalicelib.services.view_referral import view_referral

    normalised = admin_api._reference(reference)
    try:
        view = view_referral(
            normalised,
            staff=visit.staff,
            request_id=_request_id(),
            reason=AccessReason(reason) if reason else None,
        )
    except ReasonRequired:
        shown["reason_page"] = normalised
        return Response(body="", status_code=200)
    shown["picture"] = admin_api.referral_picture(view)
    shown["names"] = referral_names(view.referral.submission)
    return Response(body="", status_code=200)


def _picture_page(
    visit: Visit, picture: dict[str, Any], reason: str | None, done: str | None, names: ReferralNames
) -> Response:
    """The referral as read, with the actions this person may take now and any success banner;
    staff named from the directory, the family by role and name, the history in sentences."""
    entries = staff_entries()
    return _page(
        "staff/referral.html",
        me=visit.me,
        nav="queue",
        r=picture,
        reason=reason,
        done=ACTION_FORMS[done].done if done in ACTION_FORMS else None,
        actions=[form for form in ACTION_FORMS.values() if form.offered_to(picture, visit.me)],
        # The form by each open task (console/case_work.py), for those who may finish tasks.
        may_finish_tasks="task" in ACTION_FORMS and visit.me.holds_any(ACTION_FORMS["task"].roles),
        can_link="link" in ACTION_FORMS and ACTION_FORMS["link"].offered_to(picture, visit.me),
        known_before_reason=KNOWN_BEFORE_REASON,
        allocation=_allocation(visit, picture),
        labels=_labels(),
        rag_tags=RAG_TAGS,
        status_labels=STATUS_LABELS,
        is_overdue=is_overdue,
        who=lambda actor: anyone_name(actor, entries, names),
        recipient=names.recipient,
        retry_reason=retry_reason,  # an export being tried again, why in plain words
        history=history_lines(picture["history"], entries, names),
        advice_call=_advice_call(picture),
    )


def _advice_call(picture: dict[str, Any]) -> str | None:
    """The id of the advice call this referral was made from, as its receipt records it."""
    received = [e for e in picture["history"] if e["action"] == AuditAction.RECEIVED.value]
    call = (received[0].get("details") or {}).get("advice_contact") if received else None
    return str(call) if call else None


def _allocation(visit: Visit, picture: dict[str, Any]) -> dict[str, Any] | None:
    """What the page offers about who owns the referral (None: nothing, e.g. it is closed)."""
    from chalicelib.domain.staff import Role
    from chalicelib.services.queue_people import casework_staff

    allocation = ACTION_FORMS.get("allocation")
    if allocation is None or picture["status"] == "closed" or not visit.me.holds_any(allocation.roles):
        return None
    manager = visit.me.holds_any({Role.MANAGER})
    owner, me = picture["owner"], visit.staff.id
    return {
        "take": owner != me and (owner is None or manager),
        "release": owner is not None and (owner == me or manager),
        # A manager's select: everyone who may own it, by name (not the one who owns it now).
        "assignable": [(e.id, e.name) for e in casework_staff() if e.id != owner] if manager else [],
    }


def _reason_page(visit: Visit, reference: str, *, asked: bool) -> Response:
    errors = PageErrors()
    if asked:  # the form was sent without a (known) reason
        errors.add("reason", "Select why you are opening this closed referral")
    return _page(
        "staff/reason.html",
        status=400 if errors else 200,
        me=visit.me,
        nav="queue",
        reference=reference,
        reasons=REASON_LABELS,
        errors=errors.messages,
        error_list=errors.summary(),
    )


def _labels() -> dict[str, Any]:
    return {
        "outcomes": OUTCOME_LABELS,
        "concerns": CONCERN_LABELS,
        "agencies": AGENCY_LABELS,
        "levels": LEVELS_OF_NEED,
        "reasons": REASON_LABELS,
        "note_types": {kind.value: label for kind, label in NOTE_TYPE_LABELS.items()},
    }
