"""MASH staff: who is signed in and which roles they hold.

Roles come from the sign-in service's groups (Cognito `cognito:groups`). A staff member is known
by an opaque id (the token's `sub`); the name is for display only and never logged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """Each value is the group name in the user pool, so a role reads the same everywhere."""

    PRACTITIONER = "mash-practitioner"
    MANAGER = "mash-manager"
    AUDITOR = "mash-auditor"
    # The emergency duty team: out of hours, opens the referrals it is alerted to and hands them over.
    EDT = "mash-edt"

    @classmethod
    def from_groups(cls, groups: Iterable[str]) -> frozenset[Role]:
        """The MASH roles among a token's groups; other groups (other services') are ignored."""
        known = {role.value: role for role in cls}
        return frozenset(known[group] for group in groups if group in known)


def describe_roles(roles: Iterable[Role]) -> str:
    """`mash-manager`, or `mash-practitioner or mash-manager`: for messages a person reads."""
    names = sorted(role.value for role in roles)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


@dataclass(frozen=True)
class StaffMember:
    id: str
    roles: frozenset[Role]
    # repr=False: a staff member may end up in a log line or a traceback; their name must not.
    name: str | None = field(default=None, repr=False, compare=False)

    def holds_any(self, roles: Iterable[Role]) -> bool:
        return not self.roles.isdisjoint(roles)


@dataclass(frozen=True)
class StaffEntry:
    """One person in the staff directory: the id their tokens carry, the name colleagues know them by,
    and the MASH roles they hold there. Names are shown to staff, never logged."""

    id: str
    name: str = field(repr=False)
    roles: frozenset[Role]


def staff_name(staff_id: str | None, entries: Iterable[StaffEntry]) -> str:
    """How a page names a member of staff: by name; someone no longer in the directory (left the
    MASH, or the directory is unreachable) as "a former member of staff", never by their raw id."""
    if not staff_id:
        return "nobody"
    for entry in entries:
        if entry.id == staff_id:
            return entry.name
    return "a former member of staff"
