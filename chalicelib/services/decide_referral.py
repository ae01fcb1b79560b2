"""The MASH decision: recorded by a practitioner, approved (or returned) by another manager."""

from __future__ import annotations

import datetime as dt

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.case_export import owe_decision_export
from chalicelib.domain.decision import Outcome
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.outcome_notices import owe_outcome_notices
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.services.referral_changes import change_referral
from chalicelib.services.tell_outcome import outcome_audit_details, send_owed_notices
from chalicelib.wiring import wiring


def record_decision(
    reference: str, *, outcome: Outcome, reasons: str, staff: StaffMember, request_id: str | None
) -> Referral:
    now = wiring().clock()
    # A decision that needs no approval stands at once: the family and referrer are owed notices
    # in the same save (the outbox), then they go after it.
    saved = change_referral(
        reference,
        staff,
        request_id,
        AuditAction.DECISION_RECORDED,
        lambda referral: _owe_standing(referral.record_decision(outcome, reasons, staff.id, now), now),
        lambda referral: {"outcome": outcome.value, "status": referral.status.value, **_told(referral)},
    )
    return _send_if_standing(saved)


def approve_decision(reference: str, *, staff: StaffMember, request_id: str | None) -> Referral:
    now = wiring().clock()
    saved = change_referral(
        reference,
        staff,
        request_id,
        AuditAction.DECISION_APPROVED,
        lambda referral: _owe_standing(referral.approve_decision(staff.id, now), now),
        lambda referral: {
            "outcome": referral.decision.outcome.value if referral.decision else "",
            "status": referral.status.value,
            **_told(referral),
        },
    )
    return _send_if_standing(saved)


def _owe_standing(referral: Referral, now: dt.datetime) -> Referral:
    """What a decision that stands owes, in its own write: the notices, and the export to the case
    system when the case stays with children's social care (domain/case_export.py)."""
    return owe_decision_export(owe_outcome_notices(referral, now), now)


def _told(referral: Referral) -> dict[str, str]:
    """Audit details of the parents' outcome notice, once the decision stands."""
    return outcome_audit_details(referral) if referral.status is ReferralStatus.DECIDED else {}


def _send_if_standing(referral: Referral) -> Referral:
    # A proposed decision owes nobody anything yet: no send attempt at all.
    return send_owed_notices(referral) if referral.status is ReferralStatus.DECIDED else referral


def return_decision(reference: str, *, reason: str, staff: StaffMember, request_id: str | None) -> Referral:
    return change_referral(
        reference,
        staff,
        request_id,
        AuditAction.DECISION_RETURNED,
        lambda referral: referral.return_decision(staff.id, reason),
        lambda referral: {"status": referral.status.value},
    )
