"""The lawful basis of each sharing decision on the referral item: in clear, since it is codes,
ids and times only (an auditor can read and count them without a KMS call)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.domain.lawful_basis import LawfulBasis, SharingBasis, SharingKind

ATTRIBUTE = "sharing_bases"


def sharing_bases_attributes(bases: tuple[SharingBasis, ...]) -> dict[str, Any]:
    if not bases:
        return {}
    return {
        ATTRIBUTE: [
            {"kind": b.kind.value, "shared": b.shared, "basis": b.basis.value, "at": b.recorded_at.isoformat()}
            for b in bases
        ]
    }


def sharing_bases_from_item(item: dict[str, Any]) -> tuple[SharingBasis, ...]:
    return tuple(
        SharingBasis(SharingKind(e["kind"]), e["shared"], LawfulBasis(e["basis"]), dt.datetime.fromisoformat(e["at"]))
        for e in item.get(ATTRIBUTE, ())
    )
