"""Subject access: everything the hub holds about one child, for an auditor, itself audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from chalicelib.domain.agency_replies import AgencyReply
from chalicelib.domain.audit import AuditAction, AuditEvent
from chalicelib.domain.child_identity import identity_text
from chalicelib.domain.failures import StaleReferral
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.services.referral_changes import MAX_TRIES, primary_role
from chalicelib.wiring import wiring


@dataclass(frozen=True)
class HeldReferral:
    referral: Referral
    history: list[AuditEvent]
    # The agencies' answers are held about the child too.
    replies: list[AgencyReply] = field(default_factory=list)


def subject_access_bundle(
    *, first_name: str, last_name: str, date_of_birth: dt.date, staff: StaffMember, request_id: str | None
) -> list[HeldReferral]:
    """Every referral of the child (found by keyed hash), each export recorded in its audit first."""
    hub = wiring()
    identity = identity_text(first_name, last_name, date_of_birth)
    if identity is None:
        return []
    bundle = []
    for summary in hub.referrals.referrals_of_child(hub.blind_index.hash(identity)):
        referral, replies = _record_export(summary.reference, staff, request_id)
        history, _head = hub.referrals.audit_trail(summary.reference)
        bundle.append(HeldReferral(referral, history, replies))
    return bundle


def _record_export(reference: str, staff: StaffMember, request_id: str | None) -> tuple[Referral, list[AgencyReply]]:
    hub = wiring()
    for _ in range(MAX_TRIES):
        opened = hub.referrals.open(reference)
        referral = opened.referral
        event, _ = referral.audit_head.append(
            reference,
            AuditAction.EXPORTED,
            at=hub.clock(),
            actor=staff.id,
            role=primary_role(staff),
            request_id=request_id,
            key=hub.audit_key,
            details={"purpose": "subject_access_request"},
        )
        try:
            exported = hub.referrals.append_audit(referral, [event])
        except StaleReferral:
            continue
        replies = hub.replies.replies_of(reference, opened.sealed) if referral.enquiries else []
        return exported, replies
    raise StaleReferral(reference)
