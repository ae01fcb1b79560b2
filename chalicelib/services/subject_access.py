"""Subject access: everything the hub holds about one child, for an auditor, itself audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from chalicelib.domain.agency_replies import AgencyReply
from chalicelib.domain.audit import AuditAction, AuditEvent
from chalicelib.domain.child_identity import identity_text
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.services.audited_reads import read_with_audit
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
    # No reason asked of a closed referral: the export's purpose is the reason, and it is audited.
    read = read_with_audit(
        reference,
        AuditAction.EXPORTED,
        staff=staff,
        request_id=request_id,
        look=lambda opened: (None, {"purpose": "subject_access_request"}),
    )
    referral = read.recorded
    replies = wiring().replies.replies_of(reference, read.opened.sealed) if referral.enquiries else []
    return referral, replies
