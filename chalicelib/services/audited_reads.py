"""The one way a person reads a referral's personal data: the read is audited before anything leaves.

The read's event is appended to the referral's audit chain (conditional on the chain's head); if
someone changed the referral meanwhile, it is read again and looked at afresh, as a change is
(`referral_changes.change_referral`). No audit, no answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from chalicelib.adapters.referrals import OpenReferral
from chalicelib.domain.audit import AccessReason, AuditAction, ReasonRequired
from chalicelib.domain.failures import StaleReferral
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.services.referral_changes import MAX_TRIES, primary_role
from chalicelib.wiring import wiring

Found = TypeVar("Found")


@dataclass(frozen=True)
class AuditedRead(Generic[Found]):
    opened: OpenReferral  # as read, its data key open for the sealed parts (replies, documents)
    recorded: Referral  # the same referral, its audit chain now ending with this read
    found: Found  # what the look found in it (a notice, a document), for the caller
    at: dt.datetime  # when the read was recorded


def read_with_audit(
    reference: str,
    action: AuditAction,
    *,
    staff: StaffMember,
    request_id: str | None,
    look: Callable[[OpenReferral], tuple[Found, dict[str, str]]],
) -> AuditedRead[Found]:
    """Open the referral, let `look` check it may be read (raising if not) and say what it found
    and the audit event's details (ids and codes only), record the read, then hand it back."""
    hub = wiring()
    for _ in range(MAX_TRIES):
        opened = hub.referrals.open(reference)
        found, details = look(opened)
        at = hub.clock()
        event, _head = opened.referral.audit_head.append(
            reference,
            action,
            at=at,
            actor=staff.id,
            role=primary_role(staff),
            request_id=request_id,
            key=hub.audit_key,
            details=details,
        )
        try:
            recorded = hub.referrals.append_audit(opened.referral, [event])
        except StaleReferral:
            continue
        return AuditedRead(opened, recorded, found, at)
    raise StaleReferral(reference)


def reason_details(referral: Referral, reason: AccessReason | None) -> dict[str, str]:
    """A closed referral is read only with a stated reason (ReasonRequired otherwise); the reason,
    if any, goes in the read's audit event."""
    if referral.status is ReferralStatus.CLOSED and reason is None:
        raise ReasonRequired(referral.reference)
    return {"reason": reason.value} if reason else {}
