"""Recording consent (support route) and whether parents are told (protection route)."""

from __future__ import annotations

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.consent import ConsentRecord, ParentsToldDecision
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.services.referral_changes import change_referral


def record_consent(reference: str, *, record: ConsentRecord, staff: StaffMember, request_id: str | None) -> Referral:
    return change_referral(
        reference,
        staff,
        request_id,
        AuditAction.CONSENT_RECORDED,
        lambda referral: referral.record_consent(record, by_manager=Role.MANAGER in staff.roles),
        lambda referral: {"state": record.state.value, "source": record.source.value},
    )


def decide_parents_told(
    reference: str, *, decision: ParentsToldDecision, staff: StaffMember, request_id: str | None
) -> Referral:
    return change_referral(
        reference,
        staff,
        request_id,
        AuditAction.PARENTS_TOLD_DECIDED,
        lambda referral: referral.decide_parents_told(decision, by_manager=Role.MANAGER in staff.roles),
        lambda referral: {"state": decision.state.value},
    )
