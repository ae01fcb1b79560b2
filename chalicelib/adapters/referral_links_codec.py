"""Links to other referrals on the referral item: one sealed field, since a link's reason may name
people (and which referrals belong together says something about a family)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.envelope import SealedRecord
from chalicelib.domain.referral_links import LinkKind, ReferralLink

FIELD = "links"


def links_attributes(links: tuple[ReferralLink, ...], sealed: SealedRecord, prefix: str) -> dict[str, Any]:
    if not links:
        return {}
    return {prefix + FIELD: sealed.encrypt(FIELD, [_to_map(link) for link in links])}


def links_from_item(item: dict[str, Any], sealed: SealedRecord, prefix: str) -> tuple[ReferralLink, ...]:
    blob = item.get(prefix + FIELD)
    if blob is None:
        return ()
    return tuple(_from_map(entry) for entry in sealed.decrypt(FIELD, bytes(blob)))


def _to_map(link: ReferralLink) -> dict[str, Any]:
    return {
        "other": link.other,
        "kind": link.kind.value,
        "linked_by": link.linked_by,
        "linked_at": link.linked_at.isoformat(),
        "reason": link.reason,
        "removed_by": link.removed_by,
        "removed_at": link.removed_at.isoformat() if link.removed_at else None,
        "removal_reason": link.removal_reason,
    }


def _from_map(entry: dict[str, Any]) -> ReferralLink:
    return ReferralLink(
        other=entry["other"],
        kind=LinkKind(entry["kind"]),
        linked_by=entry["linked_by"],
        linked_at=dt.datetime.fromisoformat(entry["linked_at"]),
        reason=entry["reason"],
        removed_by=entry.get("removed_by"),
        removed_at=dt.datetime.fromisoformat(entry["removed_at"]) if entry.get("removed_at") else None,
        removal_reason=entry.get("removal_reason"),
    )
