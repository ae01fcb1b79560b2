"""The search index: one small item per term a referral is found by, in the referral table.

Entry: pk `SEARCH#<keyed hash of the term>`, sk `REF#<reference>`, with the reference, its
received time (clear metadata, to show the newest first) and its sealed card (`search_cards`).
No term is stored, only its keyed hash. The entries are written in the referral's own
transaction, so a stored referral is always findable, and deleted with it by retention.

A search reads each term's entries (one Query each), keeps the references in all of them, then
reads those referrals' clear status with one BatchGetItem: the index holds no status (it changes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.referrals.keys import iso, parse, partition_key
from chalicelib.domain.referral_record import Referral, ReferralStatus

SEARCH_PREFIX = "SEARCH#"
# What a search reads of each referral found: clear metadata only, never a pd_ field.
SEARCH_ROW_ATTRIBUTES = ("reference", "status", "received_at", "search_keys")


@dataclass(frozen=True)
class SearchEntry:
    reference: str
    received_at: str
    card: bytes


@dataclass(frozen=True)
class SearchRow:
    reference: str
    status: ReferralStatus
    received_at: dt.datetime
    search_keys: frozenset[str]


def search_entry_items(referral: Referral, card: bytes | None) -> list[dict[str, Any]]:
    entry: dict[str, Any] = {
        "sk": partition_key(referral.reference),
        "reference": referral.reference,
        "received_at": iso(referral.received_at),
    }
    if card is not None:
        entry["card"] = card
    return [{"pk": SEARCH_PREFIX + key, **entry} for key in referral.search_keys]


def search_entry_from_item(item: dict[str, Any]) -> SearchEntry:
    return SearchEntry(item["reference"], item["received_at"], bytes(item.get("card", b"")))


def search_row(item: dict[str, Any]) -> SearchRow:
    return SearchRow(
        reference=item["reference"],
        status=ReferralStatus(item["status"]),
        received_at=parse(item["received_at"]),  # type: ignore[arg-type]
        search_keys=frozenset(item.get("search_keys", ())),
    )
