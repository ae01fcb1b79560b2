"""The MASH decision: recorded by a practitioner, approved (or returned) by another manager."""

from __future__ import annotations

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.decision import Outcome
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.services.referral_changes import change_referral
from chalicelib.wiring import wiring


def record_decision(
    reference: str, *, outcome: Outcome, reasons: str, staff: StaffMember, request_id: str | None
) -> Referral:
    now = wiring().clock()
    return change_referral(
        reference,
        staff,
        request_id,
        AuditAction.DECISION_RECORDED,
        lambda referral: referral.record_decision(outcome, reasons, staff.id, now),
        lambda referral: {"outcome": outcome.value, "status": referral.status.value},
    )


def approve_decision(reference: str, *, staff: StaffMember, request_id: str | None) -> Referral:
    now = wiring().clock()
    return change_referral(
        reference,
        staff,
        request_id,
        AuditAction.DECISION_APPROVED,
        lambda referral: referral.approve_decision(staff.id, now),
        lambda referral: {
            "outcome": referral.decision.outcome.value if referral.decision else "",
            "status": referral.status.value,
        },
    )


def return_decision(reference: str, *, reason: str, staff: StaffMember, request_id: str | None) -> Referral:
    return change_referral(
        reference,
        staff,
        request_id,
        AuditAction.DECISION_RETURNED,
        lambda referral: referral.return_decision(staff.id, reason),
        lambda referral: {"status": referral.status.value},
    )
