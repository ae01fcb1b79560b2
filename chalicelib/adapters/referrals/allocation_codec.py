"""Who owns a referral, on its item: the owner (a staff id, in clear: nothing personal about the
family) and, while the referral is open, its entry in the sparse `owner` index ("my work"), sorted
like the work queue (urgency, then deadline).

Also the queue's recognition card: the referral's search card (`adapters/search_cards.py`: the
children's first names and dates of birth, sealed under a key derived from the blind-index key),
kept on the item too so the work queue shows it without a KMS call per referral.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.referral_record import Referral

OWNER_ATTRIBUTE = "owner"
OWNER_PK = "owner_pk"
OWNER_SK = "owner_sk"
OWNER_PREFIX = "OWNER#"
CARD_ATTRIBUTE = "card"


def owner_attributes(referral: Referral, queue: dict[str, Any]) -> dict[str, Any]:
    """`queue`: the referral's work-queue attributes (queue_rows.queue_attributes)."""
    if referral.owner is None:
        return {}
    attributes: dict[str, Any] = {OWNER_ATTRIBUTE: referral.owner}
    if queue.get("queue_pk") == "OPEN":
        # Sparse: a closed referral leaves its owner's work, but keeps who owned it.
        attributes.update({OWNER_PK: owner_partition(referral.owner), OWNER_SK: queue["queue_sk"]})
    return attributes


def owner_partition(staff_id: str) -> str:
    return OWNER_PREFIX + staff_id


def owner_from_item(item: dict[str, Any]) -> str | None:
    return item.get(OWNER_ATTRIBUTE)


def card_from_item(item: dict[str, Any]) -> bytes | None:
    card = item.get(CARD_ATTRIBUTE)
    return bytes(card) if card else None
