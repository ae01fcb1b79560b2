"""Telling the family and the referrer the outcome (issue 4 item 4): sending what a standing
decision owes, a manager withholding or releasing the parents' notice, and staff previewing any
notice before it goes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.message import EmailMessage

from chalicelib.adapters.referrals import OpenReferral
from chalicelib.domain.audit import AccessReason, AuditAction
from chalicelib.domain.notices import Notice, NoticeKind
from chalicelib.domain.outcome_notices import (
    OutcomeNoticeChoice,
    OutcomeNoticeDecision,
    decide_outcome_notice,
    held_because,
)
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.services.audited_reads import read_with_audit, reason_details
from chalicelib.services.referral_changes import change_referral
from chalicelib.services.send_or_leave import send_now_or_leave_to_outbox
from chalicelib.wiring import wiring


def send_owed_notices(referral: Referral) -> Referral:
    """Best effort, after the save: the notices are in the outbox already, so a failure here only
    means the sweep sends them a little later."""
    return send_now_or_leave_to_outbox(referral, "outcome notices")


def outcome_audit_details(referral: Referral) -> dict[str, str]:
    """What the audit says about the parents' outcome notice: codes and counts, no personal data."""
    held = held_because(referral)
    owed = sum(1 for n in referral.notices if n.kind is NoticeKind.OUTCOME)
    return {"outcome_notice": held.value if held else "owed", "outcome_notices": str(owed)}


def record_outcome_notice_choice(
    reference: str,
    *,
    withhold: bool,
    reason: str,
    review_on: dt.date | None,
    staff: StaffMember,
    request_id: str | None,
) -> Referral:
    now = wiring().clock()
    choice = OutcomeNoticeChoice.WITHHOLD if withhold else OutcomeNoticeChoice.SEND
    decision = OutcomeNoticeDecision(choice, staff.id, now, reason, review_on)
    saved = change_referral(
        reference,
        staff,
        request_id,
        AuditAction.OUTCOME_NOTICE_DECIDED,
        lambda referral: decide_outcome_notice(referral, decision, by_manager=Role.MANAGER in staff.roles),
        # The reason stays encrypted on the referral: the audit has the choice and the review date.
        lambda referral: {
            "choice": choice.value,
            **({"review_on": review_on.isoformat()} if review_on and withhold else {}),
            **outcome_audit_details(referral),
        },
    )
    return send_owed_notices(saved) if not withhold else saved


# --- preview -----------------------------------------------------------------------------------


class NoticeNotFound(Exception):
    """No notice with that id on the referral."""


@dataclass(frozen=True)
class NoticePreview:
    notice_id: str
    kind: str
    recipient: str  # a role (referrer, parent:<n>), never an address
    status: str
    subject: str
    text: str
    html: str
    translation_needed: str | None


def preview_notice(
    reference: str,
    notice_id: str,
    *,
    staff: StaffMember,
    request_id: str | None,
    reason: AccessReason | None = None,
) -> NoticePreview:
    """The notice as it would go, rendered without sending; the read is audited first, as for the
    whole picture, because the rendered email is personal data. A closed referral's notice is
    read only with a stated reason, as the referral itself is (ReasonRequired)."""
    from chalicelib.domain.outcome_notices import translation_language
    from chalicelib.services.deliver_notices import compose_notice

    def look(opened: OpenReferral) -> tuple[Notice, dict[str, str]]:
        # Before looking for the notice: whether an id exists is itself not for a reasonless read.
        reason_given = reason_details(opened.referral, reason)
        notice = next((n for n in opened.referral.notices if n.notice_id == notice_id), None)
        if notice is None:
            raise NoticeNotFound(notice_id)
        return notice, {"notice": notice.notice_id, "kind": notice.kind.value, **reason_given}

    read = read_with_audit(reference, AuditAction.NOTICE_PREVIEWED, staff=staff, request_id=request_id, look=look)
    referral, notice = read.opened.referral, read.found
    # ValueError (e.g. a consent request already answered) goes to the caller: nothing to show.
    message = compose_notice(referral, notice, wiring().settings)
    text, html = _without_live_link(referral, notice, _body(message, "plain"), _body(message, "html"))
    return NoticePreview(
        notice_id=notice.notice_id,
        kind=notice.kind.value,
        recipient=notice.recipient,
        status=notice.status.value,
        subject=str(message["Subject"]),
        text=text,
        html=html,
        translation_needed=translation_language(referral, notice),
    )


# A preview must not carry a working consent link: staff could answer for the parent with it.
LINK_PLACEHOLDER = "[the parent's single-use link]"


def _without_live_link(referral: Referral, notice: Notice, text: str, html: str) -> tuple[str, str]:
    if notice.kind is not NoticeKind.CONSENT_REQUEST:
        return text, html
    from chalicelib.mail.consent_request import consent_link

    link = consent_link(referral, notice, wiring().settings)
    return text.replace(link, LINK_PLACEHOLDER), html.replace(link, LINK_PLACEHOLDER)


def _body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    return part.get_content() if part is not None else ""
