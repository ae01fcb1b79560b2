"""Links between referrals: the same child referred twice, siblings, one household, a duplicate.

A link is held on both referrals (each side names the other), written in one transaction, so it
never exists on one side only. A link is never deleted: a manager removes it with a reason, and
it stays in the record as removed. Who linked, when and why are kept (the reason sealed, since it
may name people).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum


class LinkKind(StrEnum):
    SAME_CHILD = "same_child"
    SIBLINGS = "siblings"
    SAME_HOUSEHOLD = "same_household"
    # This referral is a duplicate of the other (and is closed); the other side holds HAS_DUPLICATE.
    DUPLICATE_OF = "duplicate_of"
    HAS_DUPLICATE = "has_duplicate"


# What staff may choose; HAS_DUPLICATE is only ever the mirror of DUPLICATE_OF.
CHOSEN_KINDS = (LinkKind.SAME_CHILD, LinkKind.SIBLINGS, LinkKind.SAME_HOUSEHOLD, LinkKind.DUPLICATE_OF)

LINK_LABELS: dict[LinkKind, str] = {
    LinkKind.SAME_CHILD: "The same child",
    LinkKind.SIBLINGS: "Siblings",
    LinkKind.SAME_HOUSEHOLD: "The same household",
    LinkKind.DUPLICATE_OF: "This referral is a duplicate of it",
    LinkKind.HAS_DUPLICATE: "A duplicate of this referral",
}

# The reason a one-click link from "known before" records: that match is by a child's name and date of birth.
KNOWN_BEFORE_REASON = "Known before: the same child's name and date of birth"

_MIRROR = {LinkKind.DUPLICATE_OF: LinkKind.HAS_DUPLICATE, LinkKind.HAS_DUPLICATE: LinkKind.DUPLICATE_OF}


class LinkProblem(Exception):
    """A link asked wrongly (to itself, to an unknown reference): the message says what to fix."""


class LinkRefused(Exception):
    """A link the referrals' state does not allow now (already linked, not linked, a duplicate's link)."""


@dataclass(frozen=True)
class ReferralLink:
    other: str
    kind: LinkKind
    linked_by: str
    linked_at: dt.datetime
    reason: str
    removed_by: str | None = None
    removed_at: dt.datetime | None = None
    removal_reason: str | None = None

    @property
    def current(self) -> bool:
        return self.removed_at is None

    def mirrored(self, this_reference: str) -> ReferralLink:
        """The same link as the other referral holds it: naming this one, the kind seen from there."""
        return replace(self, other=this_reference, kind=_MIRROR.get(self.kind, self.kind))


def check_pair(reference: str, other: str) -> None:
    if reference == other:
        raise LinkProblem("A referral cannot be linked to itself: give the other referral's reference")


def current_link(links: tuple[ReferralLink, ...], other: str) -> ReferralLink | None:
    return next((link for link in links if link.other == other and link.current), None)


def with_link(
    links: tuple[ReferralLink, ...], link: ReferralLink, *, superseding: bool = False
) -> tuple[ReferralLink, ...]:
    """Add a link; one already standing to the same referral is refused, or (marking a duplicate,
    `superseding`) closed as replaced by the new one, so each pair has one standing link."""
    standing = current_link(links, link.other)
    if standing is not None and not superseding:
        raise LinkRefused(
            f"These referrals are already linked ({LINK_LABELS[standing.kind].lower()}): remove that link first "
            "to link them another way"
        )
    if standing is not None:
        replaced = replace(
            standing,
            removed_by=link.linked_by,
            removed_at=link.linked_at,
            removal_reason="Replaced: marked as a duplicate",
        )
        links = tuple(replaced if existing is standing else existing for existing in links)
    return (*links, link)


def without_link(
    links: tuple[ReferralLink, ...], other: str, *, by: str, at: dt.datetime, reason: str
) -> tuple[ReferralLink, ...]:
    """Remove the standing link to `other` (kept in the record as removed, with who, when and why)."""
    standing = current_link(links, other)
    if standing is None:
        raise LinkRefused(f"This referral is not linked to {other}: nothing to remove")
    if standing.kind in _MIRROR:
        raise LinkRefused(
            "A duplicate's link stays: the duplicate was closed because of it, and a closed referral is never "
            "reopened. If it was not a duplicate, make a note on both referrals"
        )
    removed = replace(standing, removed_by=by, removed_at=at, removal_reason=reason)
    return tuple(removed if existing is standing else existing for existing in links)


def duplicate_of(links: tuple[ReferralLink, ...]) -> str | None:
    """The referral this one duplicates, if it was marked a duplicate."""
    return next((link.other for link in links if link.kind is LinkKind.DUPLICATE_OF and link.current), None)
