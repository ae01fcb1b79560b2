"""A referral's chronology for staff (issue 13 part 5): an audited read (one KMS Decrypt) and its
audit trail (no decryption), merged by the domain (`domain/chronology.py`)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.adapters.referrals import OpenReferral
from chalicelib.domain.audit import AccessReason, AuditAction
from chalicelib.domain.chronology import Entry, NameOf, chronology
from chalicelib.domain.out_of_hours import check_may_open
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.services.audited_reads import read_with_audit, reason_details
from chalicelib.services.staff_names import staff_namer
from chalicelib.wiring import wiring


@dataclass(frozen=True)
class Chronology:
    referral: Referral
    entries: list[Entry]


def read_chronology(
    reference: str,
    *,
    staff: StaffMember,
    request_id: str | None,
    reason: AccessReason | None = None,
    name_of: NameOf | None = None,
) -> Chronology:
    """`name_of` names staff; by default from the staff directory (services/staff_names.py)."""

    def look(opened: OpenReferral) -> tuple[None, dict[str, str]]:
        check_may_open(opened.referral, staff.roles)
        return None, reason_details(opened.referral, reason)

    read = read_with_audit(reference, AuditAction.CHRONOLOGY_READ, staff=staff, request_id=request_id, look=look)
    events, _head = wiring().referrals.audit_trail(reference)
    referral = read.opened.referral
    return Chronology(referral, chronology(referral, events, name_of=name_of or staff_namer()))
