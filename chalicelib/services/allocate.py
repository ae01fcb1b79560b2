"""Allocation: who owns a referral's work. A practitioner takes a referral; a manager assigns or
reassigns it to anyone in the staff directory who does casework; the owner or a manager lets it go.

Through the one change path (`referral_changes`): version-checked, refused on a closed referral,
audited with from whom and to whom (staff ids, never names)."""

from __future__ import annotations

from chalicelib.domain.allocation import allocate, allocation_details
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.services.queue_people import staff_entries
from chalicelib.services.referral_changes import change_referral
from chalicelib.wiring import wiring

ME = "me"


def allocate_referral(reference: str, *, to: str | None, staff: StaffMember, request_id: str | None) -> Referral:
    """`to`: a staff id, "me", or None (nobody). NotStaff (422) for someone not in the directory as a
    practitioner or manager; NotAllowed (403) for what this person may not do."""
    target = staff.id if to == ME else to
    # Read once, before the change (cached, it changes rarely): who may own it, and names for refusals.
    # Giving it to someone else needs the directory (unreachable: 503, try again); taking or letting
    # go of it does not, so a directory outage never stops a practitioner taking the work.
    directory = wiring().staff_directory.everyone() if target not in (None, staff.id) else staff_entries()
    before: dict[str, str | None] = {}

    def step(referral: Referral) -> Referral:
        before["owner"] = referral.owner
        return allocate(referral, target, by=staff, staff=directory)

    return change_referral(
        reference,
        staff,
        request_id,
        AuditAction.ALLOCATED,
        step,
        lambda changed: allocation_details(before["owner"], changed.owner),
    )
