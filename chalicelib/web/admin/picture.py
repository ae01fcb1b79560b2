"""The whole picture of one referral (`referral_picture`): what GET /admin/referrals/{reference} answers,
the console shows and a subject access bundle holds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.domain.notices import NoticeKind
from chalicelib.web.admin.case_work_answers import notes_answer, task_answer
from chalicelib.web.admin.common import (
    _now,
)
from chalicelib.web.admin.governance_answers import governance_picture
from chalicelib.web.admin.shaping import _decision, _event, _iso, _state, shaped


def _enquiry(enquiry: Any, now: dt.datetime) -> dict[str, Any]:
    from chalicelib.domain.agencies import AGENCY_NAMES

    return {
        "enquiry_id": enquiry.enquiry_id,
        "agency": enquiry.agency.value,
        "agency_name": AGENCY_NAMES[enquiry.agency],
        "question": enquiry.question,
        "state": enquiry.state(now).value,
        "opened_by": enquiry.opened_by,
        "opened_at": _iso(enquiry.opened_at),
        "due_at": _iso(enquiry.due_at),
        "escalate_at": _iso(enquiry.escalate_at),
        "published_at": _iso(enquiry.published_at),
        "chased_at": _iso(enquiry.chased_at),
        "escalated_at": _iso(enquiry.escalated_at),
        "answered_at": _iso(enquiry.answered_at),
        "reply_ids": list(enquiry.reply_ids),
        "request_message_id": enquiry.request_message_id,
        "withdrawn_at": _iso(enquiry.withdrawn_at),
        "withdrawn_by": enquiry.withdrawn_by,
        "withdrawn_because": enquiry.withdrawn_because,
        "withdrawal_reason": enquiry.withdrawal_reason,
    }


def _attachment(attachment: Any) -> dict[str, Any]:
    return {
        "attachment_id": attachment.attachment_id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "kept": attachment.refused is None,
        "refused": attachment.refused,
    }


def _reply(reply: Any, shown_whole: Any = None) -> dict[str, Any]:
    """A reply; once staff marked its shortened text wrong, `text` is the whole email for everyone."""
    return {
        "reply_id": reply.reply_id,
        "enquiry_id": reply.enquiry_id,
        "agency": reply.agency.value,
        "received_at": _iso(reply.received_at),
        "sender": reply.sender,
        "subject": reply.subject,
        "text": reply.full_text if shown_whole else reply.text,
        "full_text": reply.full_text,
        "shortened": reply.text != reply.full_text and not shown_whole,
        "shown_whole": None
        if shown_whole is None
        else {"by": shown_whole.marked_by, "at": _iso(shown_whole.marked_at), "reason": shown_whole.reason},
        "attachments": [_attachment(a) for a in reply.attachments],
        "attached_by": reply.attached_by,
    }


def _referral_attachment(attachment: Any) -> dict[str, Any]:
    """A document the referrer added: kept (downloadable by its id) or refused, with why."""
    from chalicelib.domain.attachments import REFUSAL_TEXT

    return {
        "attachment_id": attachment.attachment_id,
        "filename": attachment.filename,
        "content_type": attachment.content_type or None,
        "size": attachment.size,
        "uploaded_at": _iso(attachment.uploaded_at),
        "kept": attachment.kept,
        "refused": attachment.refused.value if attachment.refused else None,
        "refused_text": REFUSAL_TEXT[attachment.refused] if attachment.refused else None,
    }


def _consent_record(record: Any) -> dict[str, Any]:
    return {
        "state": record.state.value,
        "source": record.source.value,
        "recorded_by": record.recorded_by,
        "recorded_at": _iso(record.recorded_at),
        "given_by": record.given_by,
        "given_on": record.given_on.isoformat() if record.given_on else None,
        "how": record.how,
        "service": record.service,
        "reason": record.reason,
        "review_on": record.review_on.isoformat() if record.review_on else None,
        "signed_off_by": record.signed_off_by,
    }


def out_of_hours_picture(referral: Any) -> dict[str, Any] | None:
    """The whole picture's out-of-hours part (also the EDT handover's answer): None unless the EDT was alerted."""
    from chalicelib.domain.out_of_hours import was_alerted

    if not was_alerted(referral):
        return None
    handover = referral.edt_handover
    return {
        "alerted": True,
        "handed_over": bool(handover and handover.handed_over),
        "handed_over_by": handover.handed_over_by if handover else None,
        "handed_over_at": _iso(handover.handed_over_at) if handover else None,
        "notes": [
            {"text": n.text, "written_by": n.written_by, "written_at": _iso(n.written_at)}
            for n in (handover.notes if handover else ())
        ],
    }


def _parents_told(decision: Any) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        "state": decision.state.value,
        "decided_by": decision.decided_by,
        "decided_at": _iso(decision.decided_at),
        "reason": decision.reason,
        "review_on": decision.review_on.isoformat() if decision.review_on else None,
    }


def _outcome_notice(referral: Any) -> dict[str, Any]:
    from chalicelib.domain.outcome_notices import held_because

    held, decision = held_because(referral), referral.outcome_notice_decision
    return {
        "held_because": held.value if held else None,
        "decision": None
        if decision is None
        else {
            "choice": decision.choice.value,
            "decided_by": decision.decided_by,
            "decided_at": _iso(decision.decided_at),
            "reason": decision.reason,
            "review_on": decision.review_on.isoformat() if decision.review_on else None,
        },
    }


def _onward(onward: Any) -> dict[str, Any]:
    return {
        "service": onward.service_id,
        "service_name": onward.service_name,
        "sections": [section.value for section in onward.sections],
        "reason": onward.reason,
        "referred_by": onward.referred_by,
        "referred_at": _iso(onward.referred_at),
        "notice_id": onward.notice_id,
    }


def _plan_entry(entry: Any) -> dict[str, Any]:
    from chalicelib.domain.contact_plan import WHY_TEXT

    person, decision = entry.person, entry.decision
    return {
        "person": person.key,
        "role": person.role,
        "name": person.name,
        "relationship": person.relationship,
        "has_email": bool(person.email),
        "parental_responsibility": entry.parental_responsibility,
        "safe_to_contact": entry.safe_to_contact,
        "safe_said_by": entry.safe_said_by,
        "may_pose_risk": entry.may_pose_risk,
        "told": entry.told,
        "why": entry.why.value,
        "why_text": WHY_TEXT[entry.why],
        "review_on": entry.review_on.isoformat() if entry.review_on else None,
        "decided_by": decision.decided_by if decision else None,
        "decided_at": _iso(decision.decided_at) if decision else None,
        "reason": decision.reason if decision else None,
    }


def _release(translation: Any) -> dict[str, Any] | None:
    """How a held family email was let go: its text stays on the referral; this says how and by whom."""
    if translation is None:
        return None
    return {
        "language": translation.language,
        "how": "translated" if translation.text else "in_english",
        "english_reason": translation.english_reason,
        "decided_by": translation.decided_by,
        "decided_at": _iso(translation.decided_at),
    }


def _links(referral: Any) -> dict[str, Any]:
    from chalicelib.web.admin.links import link_state

    state = link_state(referral)
    return {"links": state["links"], "duplicate_of": state["duplicate_of"]}


def _owner(owner: str | None) -> dict[str, Any]:
    """Who owns the work, by id and by name (services/allocate.py)."""
    from chalicelib.services.staff_names import staff_namer

    return {"owner": owner, "owner_name": staff_namer()(owner) if owner else None}


def referral_picture(view: Any) -> dict[str, Any]:
    from chalicelib.domain.outcome_notices import translation_language
    from chalicelib.domain.protective_decisions import PROTECTIVE_DECISIONS
    from chalicelib.web.admin.responses_picture import ReferralPicture

    referral = view.referral
    screening = referral.screening
    picture = {
        **_state(referral),
        **_owner(referral.owner),
        "route": referral.route.value,
        "channel": referral.channel.value,
        "received_at": _iso(referral.received_at),
        "immediate_risk": referral.immediate_risk,
        "proposed_level": referral.proposed_level,
        "screening": None
        if screening is None
        else {
            "rag": screening.rag.value,
            "level": screening.level,
            "rationale": screening.rationale,
            "screened_by": screening.screened_by,
            "screened_at": _iso(screening.screened_at),
            "decision_due_at": _iso(screening.decision_due_at),
        },
        "decision": _decision(referral.decision, with_reasons=True),
        "notices": [
            {
                "notice_id": n.notice_id,
                "kind": n.kind.value,
                "recipient": n.recipient,
                "status": n.status.value,
                "attempts": n.attempts,
                "last_error": n.last_error,
                "sent_at": _iso(n.sent_at),
                "history": [{"status": status, "at": at} for status, at in n.history],
                "external_id": (n.provider_message_id or None) if n.kind is NoticeKind.CASE_EXPORT else None,
                # Not machine-translated: staff arrange a translation (a task says so).
                "translation_needed": translation_language(referral, n),
                "held_for_translation": referral.is_held(n),
                "released": _release(referral.translation_of(n.notice_id)),
            }
            for n in referral.notices
        ],
        "outcome_notice": _outcome_notice(referral),
        "tasks": [task_answer(task, _now()) for task in referral.tasks],
        "submission": referral.submission.model_dump(mode="json"),
        "consent_record": _consent_record(referral.consent),
        "parents_told_decision": _parents_told(referral.parents_told),
        "contact_plan": [_plan_entry(entry) for entry in referral.contact_plan],
        "protective_decisions": [
            {"decision": decision.value, "made_by": PROTECTIVE_DECISIONS[decision].made_by.value}
            for decision in referral.protective_decisions
        ],
        "onward_referrals": [_onward(onward) for onward in referral.onward_referrals],
        **governance_picture(referral),
        "out_of_hours": out_of_hours_picture(referral),
        "enquiries": [_enquiry(e, _now()) for e in referral.enquiries],
        "replies": [_reply(reply, referral.shown_whole(reply.reply_id)) for reply in view.replies],
        "attachments": [_referral_attachment(a) for a in getattr(view, "attachments", [])],
        "case_notes": notes_answer(referral.case_notes),
        "history": [_event(e) for e in view.history],
        "known_before": [
            {
                "reference": known.reference,
                "route": known.route.value,
                "status": known.status.value,
                "received_at": _iso(known.received_at),
                "outcome": known.outcome,
            }
            for known in view.known_before
        ],
        **_links(referral),
    }
    return shaped(ReferralPicture, picture)
