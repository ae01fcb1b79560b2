"""Who owns a referral: a practitioner takes one, a manager assigns or reassigns it, and the owner
or a manager lets it go. Owners are known by their staff id; pages name them from the directory."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from chalicelib.domain.decision import NotAllowed
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import Role, StaffEntry, StaffMember, staff_name

# Who may own a referral: the roles that do casework on it.
OWNER_ROLES = frozenset({Role.PRACTITIONER, Role.MANAGER})


class NotStaff(Exception):
    """The person a referral was to be assigned to is not a member of staff who does casework."""

    def __init__(self) -> None:
        super().__init__(
            "That person is not in the staff directory as a practitioner or manager: choose someone from the list"
        )


def allocate(referral: Referral, to: str | None, *, by: StaffMember, staff: Iterable[StaffEntry]) -> Referral:
    """The referral with its new owner (None: nobody). A practitioner takes an unowned referral or
    lets go of their own; only a manager gives one to someone else or takes one from a colleague."""
    entries = list(staff)
    manager = by.holds_any({Role.MANAGER})
    current = referral.owner
    if to == current:
        who = "you" if to == by.id else staff_name(to, entries)
        raise NotAllowed("It is not assigned to anyone" if to is None else f"It is already assigned to {who}")
    if current is not None and current != by.id and not manager:
        raise NotAllowed(
            f"It is assigned to {staff_name(current, entries)}: only a manager can reassign or unassign it"
        )
    if to is not None and to != by.id:
        if not manager:
            raise NotAllowed("Only a manager can assign a referral to someone else: assign it to yourself")
        if not any(entry.id == to and not entry.roles.isdisjoint(OWNER_ROLES) for entry in entries):
            raise NotStaff()
    if to == by.id and not by.holds_any(OWNER_ROLES):
        raise NotAllowed("Only a practitioner or a manager can own a referral")
    return replace(referral, owner=to)


def allocation_details(before: str | None, after: str | None) -> dict[str, str]:
    """The audit's details: from whom, to whom (staff ids; empty for nobody). Never a name."""
    return {"from": before or "", "to": after or ""}
