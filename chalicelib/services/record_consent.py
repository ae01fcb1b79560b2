"""Recording consent (support route) and whether parents are told (protection route)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.consent import (
    ConsentRecord,
    ConsentSource,
    ConsentState,
    ParentsToldDecision,
    ParentsToldState,
)
from chalicelib.domain.outcome_notices import owe_held_outcome_notices
from chalicelib.domain.parents_told import tell_parents
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.services.referral_changes import change_referral
from chalicelib.services.send_or_leave import send_now_or_leave_to_outbox
from chalicelib.wiring import wiring

# What staff may say about a consent they record (the rest is who, when and the state).
CONSENT_DETAILS = ("given_by", "given_on", "how", "service", "reason", "review_on")


def staff_consent_record(
    state: ConsentState, details: dict[str, Any], staff: StaffMember, now: dt.datetime
) -> ConsentRecord:
    """The record a member of staff makes (the API and the console alike); a dispensation is
    signed off by whoever records it (the domain checks they are a manager)."""
    return ConsentRecord(
        state=state,
        source=ConsentSource.STAFF,
        recorded_by=staff.id,
        recorded_at=now,
        **{name: details.get(name) for name in CONSENT_DETAILS},
        signed_off_by=staff.id if state is ConsentState.DISPENSED else None,
    )


def staff_parents_told(
    *, tell: bool, reason: str | None, review_on: dt.date | None, staff: StaffMember, now: dt.datetime
) -> ParentsToldDecision:
    return ParentsToldDecision(
        state=ParentsToldState.TELL if tell else ParentsToldState.WITHHELD,
        decided_by=staff.id,
        decided_at=now,
        reason=reason,
        review_on=review_on,
    )


def record_consent(reference: str, *, record: ConsentRecord, staff: StaffMember, request_id: str | None) -> Referral:
    from chalicelib.domain.enquiry_withdrawals import withdraw_if_refused
    from chalicelib.services.withdraw_enquiries import send_withdrawals_now, withdrawn_details

    now = wiring().clock()
    saved = change_referral(
        reference,
        staff,
        request_id,
        AuditAction.CONSENT_RECORDED,
        # A refusal withdraws every open enquiry in the same change (issue 11 item 3).
        lambda referral: withdraw_if_refused(
            referral.record_consent(record, by_manager=Role.MANAGER in staff.roles), by=staff.id, now=now
        ),
        lambda referral: {
            "state": record.state.value,
            "source": record.source.value,
            **withdrawn_details(referral, now),
        },
    )
    return send_withdrawals_now(saved)


def decide_parents_told(
    reference: str, *, decision: ParentsToldDecision, staff: StaffMember, request_id: str | None
) -> Referral:
    """The decision and, if it is `tell`, the notices and tasks it owes: one save, then sent at once."""
    now = wiring().clock()
    saved = change_referral(
        reference,
        staff,
        request_id,
        AuditAction.PARENTS_TOLD_DECIDED,
        # Telling the parents also frees an outcome notice held because they had not been told.
        lambda referral: owe_held_outcome_notices(
            tell_parents(referral.decide_parents_told(decision, by_manager=Role.MANAGER in staff.roles), now),
            now,
            staff.id,
        ),
        lambda referral: {"state": decision.state.value},
    )
    return send_now_or_leave_to_outbox(saved, "parents told notice")
