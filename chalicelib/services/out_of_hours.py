"""The emergency duty team's handover: a note on the referral (sealed), optionally handing it over."""

from __future__ import annotations

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.out_of_hours import record_handover
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.services.referral_changes import change_referral
from chalicelib.wiring import wiring


def hand_over(reference: str, *, note: str, handed_over: bool, staff: StaffMember, request_id: str | None) -> Referral:
    now = wiring().clock()
    action = AuditAction.HANDED_OVER if handed_over else AuditAction.HANDOVER_NOTED
    return change_referral(
        reference,
        staff,
        request_id,
        action,
        lambda referral: record_handover(referral, note, by=staff.id, at=now, hand_over=handed_over),
        # The note's number only: its words are personal free text and stay sealed on the referral.
        lambda changed: {"note": str(len(changed.edt_handover.notes)) if changed.edt_handover else "0"},
    )
