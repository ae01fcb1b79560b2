"""Advice calls: record one, list them (metadata only), read one (audited), count them, and delete
them at the end of their retention period (the daily retention sweep calls `sweep_expired_advice`).

Recording and reading are audited in the staff member's own chain (as a search is): the contact's
id and codes, never what was said.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from chalicelib.adapters.advice_contacts import AdvicePage
from chalicelib.adapters.staff_audit import chain_name
from chalicelib.domain.advice_contacts import (
    AdviceContact,
    AdviceCounts,
    AdviceOutcome,
    AdviceProblem,
    CallerKind,
    count_contacts,
    counts_from_rollups,
    new_contact_id,
    retention_until,
)
from chalicelib.domain.audit import AuditAction, AuditEvent, ChainHead
from chalicelib.domain.failures import AwsError, ReferralNotFound, StaleReferral
from chalicelib.domain.referral import Agency, ReferralSubmission
from chalicelib.domain.referral_record import Channel
from chalicelib.domain.staff import StaffMember
from chalicelib.logs import logger
from chalicelib.services.referral_changes import primary_role
from chalicelib.services.submit_referral import IdempotencyConflict, SubmissionReceipt, submit_referral
from chalicelib.wiring import wiring


@dataclass(frozen=True)
class AdviceCall:
    """What staff say about the call, as the route or form read it."""

    called_at: dt.datetime
    caller_kind: CallerKind
    outcome: AdviceOutcome
    about: str
    advice: str
    caller_agency: Agency | None = None
    caller_name: str | None = None
    caller_organisation: str | None = None
    caller_phone: str | None = None
    names: str | None = None
    referral_reference: str | None = None


def record_advice_contact(call: AdviceCall, *, staff: StaffMember, request_id: str | None) -> AdviceContact:
    hub = wiring()
    now = hub.clock()
    if call.called_at > now:
        raise AdviceProblem("The call cannot be in the future: give when it was")
    if call.referral_reference:
        try:  # metadata only: nothing decrypted
            hub.referrals.fetch_summary(call.referral_reference)
        except ReferralNotFound:
            raise AdviceProblem(
                f"No referral has the reference {call.referral_reference}: check it against the referral"
            ) from None
    contact = AdviceContact(
        contact_id=new_contact_id(call.called_at),
        called_at=call.called_at,
        recorded_at=now,
        recorded_by=staff.id,
        caller_kind=call.caller_kind,
        outcome=call.outcome,
        retention_until=retention_until(call.called_at, hub.settings.advice_retention_years),
        caller_agency=call.caller_agency,
        referral_reference=call.referral_reference,
        caller_name=call.caller_name,
        caller_organisation=call.caller_organisation,
        caller_phone=call.caller_phone,
        about=call.about,
        names=call.names,
        advice=call.advice,
    )
    hub.advice_contacts.add(contact)
    _audit(staff, request_id, AuditAction.ADVICE_RECORDED, contact)
    logger.info("advice contact recorded", extra={"contact_id": contact.contact_id, "outcome": contact.outcome.value})
    return contact


def list_advice_contacts(limit: int, cursor: str | None) -> AdvicePage:
    """Newest first, metadata only (no KMS call)."""
    return wiring().advice_contacts.list_newest(limit, cursor)


def read_advice_contact(contact_id: str, *, staff: StaffMember, request_id: str | None) -> AdviceContact:
    """One contact, decrypted; the read is audited before it is answered."""
    hub = wiring()
    contact = hub.advice_contacts.fetch(contact_id)
    _audit(staff, request_id, AuditAction.ADVICE_READ, contact)
    return contact


def make_referral_from_advice(
    contact_id: str, submission: ReferralSubmission, *, staff: StaffMember, request_id: str | None
) -> SubmissionReceipt:
    """A referral made by staff from an advice call: the call is read (audited), the referral is
    submitted as every referral is (channel `staff`), and the call's outcome becomes made into a
    referral with the new reference (audited in the staff member's chain).

    The idempotency key is the call's own id, so a retry after a failure between the two writes
    gets the same referral back (not a second one) and then sets the call's outcome."""
    contact = read_advice_contact(contact_id, staff=staff, request_id=request_id)
    if contact.outcome is AdviceOutcome.MADE_INTO_REFERRAL:
        raise AdviceProblem(f"This call was already made into the referral {contact.referral_reference}")
    try:
        receipt = submit_referral(
            submission,
            idempotency_key=f"advice:{contact.contact_id}",
            channel=Channel.STAFF,
            from_advice_call=contact.contact_id,
        )
    except IdempotencyConflict as conflict:
        # A referral was made from this call before (the call not updated then), with other details:
        # the call is linked to that one, never made into a second.
        _mark_made(contact, str(conflict), staff, request_id)
        raise AdviceProblem(
            f"This call was already made into the referral {conflict}: add what has changed to that referral"
        ) from None
    _mark_made(contact, receipt.reference, staff, request_id)
    return receipt


def _mark_made(contact: AdviceContact, reference: str, staff: StaffMember, request_id: str | None) -> None:
    hub = wiring()
    hub.advice_contacts.mark_made_into_referral(contact.contact_id, reference)
    made = replace(contact, outcome=AdviceOutcome.MADE_INTO_REFERRAL, referral_reference=reference)
    _audit(staff, request_id, AuditAction.ADVICE_MADE_INTO_REFERRAL, made)
    logger.info("advice contact made into a referral", extra={"contact_id": contact.contact_id, "reference": reference})


def advice_counts(start: dt.datetime, end: dt.datetime) -> AdviceCounts:
    """Calls in [start, end), by outcome, caller kind and month: clear codes only (0 KMS calls)."""
    return count_contacts(wiring().advice_contacts.called_between(start, end))


def advice_counts_by_day(first: dt.date, last: dt.date) -> AdviceCounts:
    """Calls on the London days `first` to `last` (both included), from their daily rollups: one Query."""
    return counts_from_rollups(wiring().advice_contacts.daily_rollups(first, last))


def sweep_expired_advice(limit: int = 50) -> int:
    """Delete advice contacts past their retention date, each leaving a receipt of codes."""
    hub = wiring()
    now = hub.clock()
    deleted = 0
    for contact_id in hub.advice_contacts.due_for_deletion(now, limit):
        try:
            hub.advice_contacts.delete_with_receipt(contact_id, now)
        except (StaleReferral, AwsError) as failed:
            logger.warning(
                "advice contact not yet deleted",
                extra={"contact_id": contact_id, "error": getattr(failed, "code", "changed")},
            )
            continue
        deleted += 1
    if deleted:
        logger.info("advice contacts deleted by retention", extra={"count": deleted})
    return deleted


def _audit(staff: StaffMember, request_id: str | None, action: AuditAction, contact: AdviceContact) -> None:
    hub = wiring()

    def event(head: ChainHead) -> AuditEvent:
        built, _ = head.append(
            chain_name(staff.id),
            action,
            at=hub.clock(),
            actor=staff.id,
            role=primary_role(staff),
            request_id=request_id,
            key=hub.audit_key,
            details={
                "contact_id": contact.contact_id,
                "outcome": contact.outcome.value,
                "caller_kind": contact.caller_kind.value,
                # A reference is not personal data: which referral the call became.
                **({"referral_reference": contact.referral_reference} if contact.referral_reference else {}),
            },
        )
        return built

    hub.staff_audit.append(staff.id, event)
