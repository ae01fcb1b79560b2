"""Marking an agency reply's shortened text as wrong, so it is shown whole (issue 15 item 3)."""

from __future__ import annotations

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.services.referral_changes import change_referral
from chalicelib.wiring import wiring


def mark_reply_text(
    reference: str, reply_id: str, *, wrong: bool, reason: str, staff: StaffMember, request_id: str | None
) -> Referral:
    """One audited save: the reply's id and the choice in the audit, the reason sealed on the referral."""
    now = wiring().clock()
    return change_referral(
        reference,
        staff,
        request_id,
        AuditAction.REPLY_TEXT_MARKED,
        lambda referral: referral.mark_reply_text(reply_id, wrong=wrong, by=staff.id, at=now, reason=reason),
        lambda referral: {"reply": reply_id, "shown": "whole" if wrong else "shortened"},
    )
