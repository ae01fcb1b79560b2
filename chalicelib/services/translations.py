"""Releasing a family email held for its translation (issue 11 item 7)."""

from __future__ import annotations

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.domain.translations import NotHeld, NoticeTranslation, language_needed
from chalicelib.services.referral_changes import change_referral
from chalicelib.services.tell_outcome import NoticeNotFound, send_owed_notices
from chalicelib.wiring import wiring


def release_held_notice(
    reference: str,
    notice_id: str,
    *,
    text: str | None,
    english_reason: str | None,
    staff: StaffMember,
    request_id: str | None,
) -> Referral:
    """One audited save (the translation sealed on the referral), then the email goes at once."""
    now = wiring().clock()

    def step(referral: Referral) -> Referral:
        notice = next((n for n in referral.notices if n.notice_id == notice_id), None)
        if notice is None:
            raise NoticeNotFound(notice_id)
        language = language_needed(referral.submission, notice)
        if language is None:
            raise NotHeld("This email is not waiting for a translation: nothing to release")
        made = NoticeTranslation(
            notice_id, language, staff.id, now, text=text or None, english_reason=english_reason or None
        )
        return referral.release_notice(made)

    def details(referral: Referral) -> dict[str, str]:
        # Codes only: the translation and the reason stay sealed.
        return {"notice": notice_id, "how": "translated" if text else "in_english"}

    saved = change_referral(reference, staff, request_id, AuditAction.NOTICE_RELEASED, step, details)
    return send_owed_notices(saved)
