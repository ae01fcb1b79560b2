"""The in-memory twin of the DynamoDB referral store: the same items (ciphertext included), in a dict."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.envelope import FieldCipher
from chalicelib.adapters.referrals.allocation_codec import CARD_ATTRIBUTE
from chalicelib.adapters.referrals.keys import REFERRAL_SK, iso, partition_key
from chalicelib.adapters.referrals.queue_rows import REVIEW_DUE_ATTRIBUTE, UNDELIVERED_ATTRIBUTE
from chalicelib.adapters.referrals.rollup_items import REFERRAL_DAY, apply_in_memory, days_in_memory
from chalicelib.adapters.referrals.search_index import (
    SEARCH_PREFIX,
    SearchEntry,
    SearchRow,
    search_entry_from_item,
    search_row,
)
from chalicelib.adapters.referrals.store import ReferralStore
from chalicelib.adapters.referrals.timeliness_reads import TIMELINESS_ATTRIBUTES
from chalicelib.adapters.table import OUTBOX_PARTITION
from chalicelib.domain.audit import ChainHead
from chalicelib.domain.failures import ReferenceTaken, ReferralNotFound, StaleReferral
from chalicelib.domain.rollups import DayCounts, DayRollup


class InMemoryReferralStore(ReferralStore):
    """Twin of DynamoReferralStore: same items (ciphertext included), kept in a dict."""

    def __init__(self, cipher: FieldCipher) -> None:
        super().__init__(cipher)
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def _get(self, reference: str) -> dict[str, Any]:
        item = self.items.get((partition_key(reference), REFERRAL_SK))
        if item is None:
            raise ReferralNotFound(reference)
        return dict(item)

    def _put_new(
        self, item: dict[str, Any], index_items: list[dict[str, Any]], *, rollups: DayCounts | None = None
    ) -> None:
        key = (item["pk"], item["sk"])
        if key in self.items:
            raise ReferenceTaken(item["reference"])
        # Like the DynamoDB transaction: the referral, its index entries and its daily counts together.
        for stored in (item, *index_items):
            self.items[(stored["pk"], stored["sk"])] = dict(stored)
        apply_in_memory(self.items, REFERRAL_DAY, rollups or {})

    def _update_notices(
        self,
        reference: str,
        version: int,
        notices: dict[str, Any],
        outbox: dict[str, str] | None,
        *,
        tasks: dict[str, Any] | None = None,
        undelivered: bool = False,
        enquiries: dict[str, Any] | None = None,
        review_due: str | None = None,
    ) -> None:
        item = self._get(reference)
        if item["version"] != version:
            raise StaleReferral(reference)
        item.update(notices=notices, version=version + 1)
        if tasks:
            item["tasks"] = tasks
        if enquiries:
            item["enquiries"] = enquiries
        item.pop(UNDELIVERED_ATTRIBUTE, None)
        if undelivered:
            item[UNDELIVERED_ATTRIBUTE] = True
        item.pop(REVIEW_DUE_ATTRIBUTE, None)
        if review_due:
            item[REVIEW_DUE_ATTRIBUTE] = review_due
        item.pop("outbox_pk", None)
        item.pop("outbox_due", None)
        item.update(outbox or {})
        self.items[(item["pk"], item["sk"])] = item

    def _replace_together(
        self,
        writes: list[tuple[dict[str, Any], tuple[int, int], list[dict[str, Any]]]],
        *,
        rollups: DayCounts | None = None,
    ) -> None:
        # Like the DynamoDB transaction: every condition checked before anything is written.
        for item, (expected_version, expected_audit_seq), audit_items in writes:
            current = self._get(item["reference"])
            if current["version"] != expected_version or current.get("audit_seq", 0) != expected_audit_seq:
                raise StaleReferral(writes[0][0]["reference"])
            if any((a["pk"], a["sk"]) in self.items for a in audit_items):
                raise StaleReferral(writes[0][0]["reference"])
        for item, _expected, audit_items in writes:
            self.items[(item["pk"], item["sk"])] = dict(item)
            for audit in audit_items:
                self.items[(audit["pk"], audit["sk"])] = dict(audit)
        apply_in_memory(self.items, REFERRAL_DAY, rollups or {})

    def daily_rollups(self, first: dt.date, last: dt.date) -> list[DayRollup]:
        return days_in_memory(self.items, REFERRAL_DAY, first, last)

    def _append_audit(
        self, reference: str, expected_seq: int, head: ChainHead, audit_items: list[dict[str, Any]]
    ) -> None:
        current = self._get(reference)
        if current.get("audit_seq", 0) != expected_seq or any((a["pk"], a["sk"]) in self.items for a in audit_items):
            raise StaleReferral(reference)
        current.update(audit_seq=head.sequence, audit_head=head.last_hash)
        self.items[(current["pk"], current["sk"])] = current
        for audit in audit_items:
            self.items[(audit["pk"], audit["sk"])] = dict(audit)

    def _partition(self, reference: str) -> list[dict[str, Any]]:
        pk = partition_key(reference)
        return [dict(item) for (item_pk, _), item in sorted(self.items.items()) if item_pk == pk]

    def _queue_items(
        self,
        status: str | None,
        rag: str | None,
        limit: int,
        start: dict[str, str] | None,
        *,
        undelivered: bool = False,
    ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        ordered = sorted(
            (i for i in self.items.values() if i.get("queue_pk") == "OPEN" and i["sk"] == REFERRAL_SK),
            key=lambda i: i["queue_sk"],
        )
        if start:
            ordered = [i for i in ordered if i["queue_sk"] > start["queue_sk"]]
        # Like DynamoDB: Limit counts items read, the filter applies after.
        page, rest = ordered[:limit], ordered[limit:]
        matching = [
            i
            for i in page
            if (status is None or i["status"] == status)
            and (rag is None or i.get("rag") == rag)
            and (not undelivered or i.get(UNDELIVERED_ATTRIBUTE))
        ]
        last = page[-1] if page and rest else None
        key = {k: last[k] for k in ("pk", "sk", "queue_pk", "queue_sk")} if last else None
        return [dict(i) for i in matching], key

    def _owned_items(self, owner_pk: str, limit: int) -> tuple[list[dict[str, Any]], bool]:
        # Like the DynamoDB index: only the items carrying the sparse key, in its sort order.
        owned = sorted((i for i in self.items.values() if i.get("owner_pk") == owner_pk), key=lambda i: i["owner_sk"])
        return [dict(i) for i in owned[:limit]], len(owned) > limit

    def _delete_with_receipt(
        self, reference: str, version: int, index_keys: list[tuple[str, str]], receipt: dict[str, Any]
    ) -> None:
        current = self._get(reference)
        if current["version"] != version or (receipt["pk"], receipt["sk"]) in self.items:
            raise StaleReferral(reference)
        del self.items[(current["pk"], current["sk"])]
        for key in index_keys:
            self.items.pop(key, None)
        self.items[(receipt["pk"], receipt["sk"])] = dict(receipt)

    def _closed_before(self, moment: str, limit: int) -> tuple[list[dict[str, Any]], None]:
        closed = sorted(
            (i for i in self.items.values() if i.get("queue_pk") == "CLOSED" and i["queue_sk"] < moment),
            key=lambda i: i["queue_sk"],
        )
        return [dict(i) for i in closed[:limit]], None

    def _received_between(self, start: str, end: str) -> list[dict[str, Any]]:
        # Like the DynamoDB twin: every referral is in the queue index; only the listed attributes.
        return [
            {name: item[name] for name in ("pk", "sk", *TIMELINESS_ATTRIBUTES) if name in item}
            for item in self.items.values()
            if item["sk"] == REFERRAL_SK and "queue_pk" in item and start <= item["received_at"] < end
        ]

    def _put_index(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            self.items[(item["pk"], item["sk"])] = dict(item)

    def _delete_index(self, keys: list[tuple[str, str]]) -> None:
        for key in keys:
            self.items.pop(key, None)

    def stored_references(self) -> list[str]:
        return sorted(item["reference"] for (_, sk), item in self.items.items() if sk == REFERRAL_SK)

    def _reindex(
        self,
        reference: str,
        expected_version: int,
        child_keys: tuple[str, ...],
        search_keys: tuple[str, ...],
        puts: list[dict[str, Any]],
        deletes: list[tuple[str, str]],
        item_card: bytes | None,
    ) -> None:
        current = self._get(reference)
        if current["version"] != expected_version:
            raise StaleReferral(reference)
        current.update(version=expected_version + 1, child_keys=list(child_keys), search_keys=list(search_keys))
        for name in ("child_keys", "search_keys"):
            if not current[name]:
                del current[name]  # as the item codec writes them: absent when empty
        if item_card is not None:
            current[CARD_ATTRIBUTE] = item_card
        self.items[(current["pk"], current["sk"])] = current
        for key in deletes:
            self.items.pop(key, None)
        for item in puts:
            self.items[(item["pk"], item["sk"])] = dict(item)

    def search_entries(self, search_key: str, limit: int) -> list[SearchEntry]:
        pk = SEARCH_PREFIX + search_key
        found = [search_entry_from_item(item) for (item_pk, _), item in sorted(self.items.items()) if item_pk == pk]
        return found[:limit]

    def search_rows(self, references: list[str]) -> list[SearchRow]:
        keys = [(partition_key(reference), REFERRAL_SK) for reference in references]
        return [search_row(self.items[key]) for key in keys if key in self.items]

    def _indexed_references(self, pk: str) -> list[str]:
        return [item["reference"] for (item_pk, _), item in sorted(self.items.items()) if item_pk == pk]

    def references_with_notices_due(self, now: dt.datetime, limit: int = 50) -> list[str]:
        due = sorted(
            (item["outbox_due"], item["reference"])
            for item in self.items.values()
            if item.get("outbox_pk") == OUTBOX_PARTITION and item["outbox_due"] <= iso(now)
        )
        return [reference for _, reference in due[:limit]]

    # -- delivery tracking ------------------------------------------------------------------------

    def _get_key(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self.items.get((pk, sk))
        return dict(item) if item is not None else None
