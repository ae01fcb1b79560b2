"""The referral store on DynamoDB: one table, its queue and outbox indexes, transactions for the audit chain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.dynamo_items import DynamoItems
from chalicelib.adapters.envelope import FieldCipher
from chalicelib.adapters.referrals.keys import REFERRAL_SK, iso, partition_key
from chalicelib.adapters.referrals.queue_rows import REVIEW_DUE_ATTRIBUTE, UNDELIVERED_ATTRIBUTE
from chalicelib.adapters.referrals.rollup_items import REFERRAL_DAY, add_counts_updates, query_days
from chalicelib.adapters.referrals.search_index import (
    SEARCH_PREFIX,
    SEARCH_ROW_ATTRIBUTES,
    SearchEntry,
    SearchRow,
    search_entry_from_item,
    search_row,
)
from chalicelib.adapters.referrals.store import ReferralStore
from chalicelib.adapters.referrals.timeliness_reads import TIMELINESS_ATTRIBUTES
from chalicelib.adapters.table import OUTBOX_INDEX, OUTBOX_PARTITION
from chalicelib.domain.audit import ChainHead
from chalicelib.domain.failures import ReferenceTaken, ReferralNotFound, StaleReferral
from chalicelib.domain.rollups import DayCounts, DayRollup


class DynamoReferralStore(ReferralStore):
    def __init__(self, dynamodb_client: Any, table_name: str, cipher: FieldCipher) -> None:
        super().__init__(cipher)
        self.items = DynamoItems(dynamodb_client, table_name)

    def _get(self, reference: str) -> dict[str, Any]:
        item = self.items.get(partition_key(reference), REFERRAL_SK)
        if item is None:
            raise ReferralNotFound(reference)
        return item

    def _put_new(
        self, item: dict[str, Any], index_items: list[dict[str, Any]], *, rollups: DayCounts | None = None
    ) -> None:
        # One referral per reference, ever: a repeat or a clash must not overwrite.
        counts = add_counts_updates(self.items.table, REFERRAL_DAY, rollups or {})
        if index_items or counts:
            # The referral, its index entries and its daily counts in one transaction: all stored, or
            # none. Only the referral's put has a condition, so a refusal is always "this reference is taken".
            index_puts = [{"Put": {"TableName": self.items.table, "Item": self.items.encode(i)}} for i in index_items]
            written = self.items.transact([{"Put": self.items.new_put(item)}, *index_puts, *counts])
        else:
            written = self.items.put_new([item])
        if not written:
            raise ReferenceTaken(item["reference"])

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
        values = {
            ":notices": self.items.serialize(notices),
            ":expected": {"N": str(version)},
            ":next": {"N": str(version + 1)},
        }
        sets, removes = ["notices = :notices", "version = :next"], []
        if outbox:
            sets += ["outbox_pk = :opk", "outbox_due = :odue"]
            values[":opk"] = {"S": outbox["outbox_pk"]}
            values[":odue"] = {"S": outbox["outbox_due"]}
        else:
            removes += ["outbox_pk", "outbox_due"]
        if tasks:
            sets.append("tasks = :tasks")
            values[":tasks"] = self.items.serialize(tasks)
        if enquiries:
            # Metadata only: the questions stay sealed, and an enquiry is never removed by this.
            sets.append("enquiries = :enquiries")
            values[":enquiries"] = self.items.serialize(enquiries)
        if undelivered:
            sets.append(f"{UNDELIVERED_ATTRIBUTE} = :undelivered")
            values[":undelivered"] = {"BOOL": True}
        else:
            removes.append(UNDELIVERED_ATTRIBUTE)
        if review_due:
            sets.append(f"{REVIEW_DUE_ATTRIBUTE} = :review_due")
            values[":review_due"] = {"S": review_due}
        else:
            removes.append(REVIEW_DUE_ATTRIBUTE)
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        written = self.items.write_if(
            "update_item",
            Key=self.items.key(partition_key(reference), REFERRAL_SK),
            UpdateExpression=update,
            # Optimistic lock: a concurrent dispatcher or staff change wins, we re-read.
            ConditionExpression="version = :expected",
            ExpressionAttributeValues=values,
        )
        if written is None:
            raise StaleReferral(reference)

    def references_with_notices_due(self, now: dt.datetime, limit: int = 50) -> list[str]:
        answer = self.items.call(
            "query",
            IndexName=OUTBOX_INDEX,
            KeyConditionExpression="outbox_pk = :p AND outbox_due <= :now",
            ExpressionAttributeValues={":p": {"S": OUTBOX_PARTITION}, ":now": {"S": iso(now)}},
            Limit=limit,
        )
        return [item["pk"]["S"].removeprefix("REF#") for item in answer.get("Items", [])]

    def _replace_together(
        self,
        writes: list[tuple[dict[str, Any], tuple[int, int], list[dict[str, Any]]]],
        *,
        rollups: DayCounts | None = None,
    ) -> None:
        items: list[dict[str, Any]] = []
        for item, (expected_version, expected_audit_seq), audit_items in writes:
            items.append(
                {
                    "Put": {
                        "TableName": self.items.table,
                        "Item": self.items.encode(item),
                        # Optimistic lock on both the change and the audit chain.
                        "ConditionExpression": f"version = :v AND {_chain_at(expected_audit_seq)}",
                        "ExpressionAttributeValues": {
                            ":v": {"N": str(expected_version)},
                            **_chain_values(expected_audit_seq),
                        },
                    }
                }
            )
            items += self._audit_puts(audit_items)
        # The daily counts the change moves: added only if the version conditions hold (rollup_items).
        items += add_counts_updates(self.items.table, REFERRAL_DAY, rollups or {})
        self._transact(writes[0][0]["reference"], items)

    def _append_audit(
        self, reference: str, expected_seq: int, head: ChainHead, audit_items: list[dict[str, Any]]
    ) -> None:
        self._transact(
            reference,
            [
                {
                    "Update": {
                        "TableName": self.items.table,
                        "Key": self.items.key(partition_key(reference), REFERRAL_SK),
                        "UpdateExpression": "SET audit_seq = :next, audit_head = :head",
                        "ConditionExpression": _chain_at(expected_seq),
                        "ExpressionAttributeValues": {
                            ":next": {"N": str(head.sequence)},
                            ":head": {"S": head.last_hash},
                            **_chain_values(expected_seq),
                        },
                    }
                },
                *self._audit_puts(audit_items),
            ],
        )

    def _audit_puts(self, audit_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                "Put": {
                    "TableName": self.items.table,
                    "Item": self.items.encode(audit),
                    # An audit event is written once and never overwritten.
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for audit in audit_items
        ]

    def _transact(self, reference: str, items: list[dict[str, Any]]) -> None:
        if not self.items.transact(items):
            raise StaleReferral(reference)

    def _put_index(self, items: list[dict[str, Any]]) -> None:
        # Throttled five times over: the caller stores nothing and says "try again".
        self.items.batch_write([{"PutRequest": {"Item": self.items.encode(item)}} for item in items])

    def _delete_with_receipt(
        self, reference: str, version: int, index_keys: list[tuple[str, str]], receipt: dict[str, Any]
    ) -> None:
        self._transact(
            reference,
            [
                {
                    "Delete": {
                        "TableName": self.items.table,
                        "Key": self.items.key(partition_key(reference), REFERRAL_SK),
                        # Not if someone placed a hold (or changed anything) since the sweep read it.
                        "ConditionExpression": "version = :v",
                        "ExpressionAttributeValues": {":v": {"N": str(version)}},
                    }
                },
                *[{"Delete": {"TableName": self.items.table, "Key": self.items.key(*key)}} for key in index_keys],
                *self._audit_puts([receipt]),
            ],
        )

    def _delete_index(self, keys: list[tuple[str, str]]) -> None:
        self.items.delete(keys)

    def stored_references(self) -> list[str]:
        """From the queue index, which holds every stored referral under OPEN or CLOSED (keys only)."""
        from chalicelib.adapters.table import QUEUE_INDEX

        references: set[str] = set()
        for partition in ("OPEN", "CLOSED"):
            for answer in self.items.pages(
                IndexName=QUEUE_INDEX,
                KeyConditionExpression="queue_pk = :p",
                ProjectionExpression="pk",
                ExpressionAttributeValues={":p": {"S": partition}},
            ):
                references.update(item["pk"]["S"].removeprefix("REF#") for item in answer.get("Items", []))
        return sorted(references)

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
        sets, removes = ["version = :next"], []
        values: dict[str, Any] = {":v": {"N": str(expected_version)}, ":next": {"N": str(expected_version + 1)}}
        for name, keys in (("child_keys", child_keys), ("search_keys", search_keys)):
            if keys:
                sets.append(f"{name} = :{name}")
                values[f":{name}"] = {"L": [{"S": key} for key in keys]}
            else:
                removes.append(name)
        if item_card is not None:
            sets.append("card = :card")
            values[":card"] = {"B": item_card}
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        self._transact(
            reference,
            [
                {
                    "Update": {
                        "TableName": self.items.table,
                        "Key": self.items.key(partition_key(reference), REFERRAL_SK),
                        "UpdateExpression": update,
                        "ConditionExpression": "version = :v",
                        "ExpressionAttributeValues": values,
                    }
                },
                *[{"Delete": {"TableName": self.items.table, "Key": self.items.key(*key)}} for key in deletes],
                *[{"Put": {"TableName": self.items.table, "Item": self.items.encode(item)}} for item in puts],
            ],
        )

    def search_entries(self, search_key: str, limit: int) -> list[SearchEntry]:
        pages = self.items.pages(
            limit=limit,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": SEARCH_PREFIX + search_key}},
            ProjectionExpression="#ref, received_at, card",
            ExpressionAttributeNames={"#ref": "reference"},  # REFERENCE is a reserved word
        )
        entries = [search_entry_from_item(self.items.decode(i)) for answer in pages for i in answer.get("Items", [])]
        return entries[:limit]

    def search_rows(self, references: list[str]) -> list[SearchRow]:
        names = {f"#a{n}": name for n, name in enumerate(SEARCH_ROW_ATTRIBUTES)}
        rows: list[SearchRow] = []
        for start in range(0, len(references), 100):
            keys = [
                self.items.key(partition_key(reference), REFERRAL_SK) for reference in references[start : start + 100]
            ]
            projection = {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}
            rows += [search_row(item) for item in self.items.batch_get(keys, projection)]
        return rows

    def _closed_before(self, moment: str, limit: int) -> tuple[list[dict[str, Any]], None]:
        from chalicelib.adapters.table import QUEUE_INDEX

        answer = self.items.call(
            "query",
            IndexName=QUEUE_INDEX,
            KeyConditionExpression="queue_pk = :closed AND queue_sk < :moment",
            ExpressionAttributeValues={":closed": {"S": "CLOSED"}, ":moment": {"S": moment}},
            Limit=limit,
        )
        return [self.items.decode(i) for i in answer.get("Items", [])], None

    def _received_between(self, start: str, end: str) -> list[dict[str, Any]]:
        """The queue index holds every referral (OPEN or CLOSED) with its received_at: find the keys
        there, then read the clear attributes with BatchGetItem (the index does not project them)."""
        from chalicelib.adapters.table import QUEUE_INDEX

        keys: dict[str, dict[str, Any]] = {}
        for partition in ("OPEN", "CLOSED"):
            for answer in self.items.pages(
                IndexName=QUEUE_INDEX,
                KeyConditionExpression="queue_pk = :p",
                FilterExpression="received_at >= :start AND received_at < :end",
                ProjectionExpression="pk, sk",
                ExpressionAttributeValues={":p": {"S": partition}, ":start": {"S": start}, ":end": {"S": end}},
            ):
                # A referral closing while we read could be in both: one key per referral.
                keys.update({i["pk"]["S"]: {"pk": i["pk"], "sk": i["sk"]} for i in answer.get("Items", [])})
        found = list(keys.values())
        names = {f"#a{n}": name for n, name in enumerate(TIMELINESS_ATTRIBUTES)}
        projection = {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}
        return [
            item
            for start_at in range(0, len(found), 100)
            for item in self.items.batch_get(found[start_at : start_at + 100], projection)
        ]

    def daily_rollups(self, first: dt.date, last: dt.date) -> list[DayRollup]:
        return query_days(self.items, REFERRAL_DAY, first, last)

    def _indexed_references(self, pk: str) -> list[str]:
        answer = self.items.call(
            "query",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            ProjectionExpression="#ref",
            ExpressionAttributeNames={"#ref": "reference"},  # REFERENCE is a reserved word
        )
        return [item["reference"]["S"] for item in answer.get("Items", [])]

    def _partition(self, reference: str) -> list[dict[str, Any]]:
        pages = self.items.pages(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": partition_key(reference)}},
            ConsistentRead=True,
        )
        return [self.items.decode(i) for answer in pages for i in answer.get("Items", [])]

    def _queue_items(
        self,
        status: str | None,
        rag: str | None,
        limit: int,
        start: dict[str, str] | None,
        *,
        undelivered: bool = False,
    ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        from chalicelib.adapters.table import QUEUE_INDEX

        arguments: dict[str, Any] = {
            "IndexName": QUEUE_INDEX,
            "KeyConditionExpression": "queue_pk = :open",
            "ExpressionAttributeValues": {":open": {"S": "OPEN"}},
            "Limit": limit,
        }
        filters = []
        names: dict[str, str] = {}
        if status:
            filters.append("#status = :status")
            names["#status"] = "status"
            arguments["ExpressionAttributeValues"][":status"] = {"S": status}
        if rag:
            filters.append("rag = :rag")
            arguments["ExpressionAttributeValues"][":rag"] = {"S": rag}
        if undelivered:
            filters.append(f"{UNDELIVERED_ATTRIBUTE} = :undelivered")
            arguments["ExpressionAttributeValues"][":undelivered"] = {"BOOL": True}
        if filters:
            arguments["FilterExpression"] = " AND ".join(filters)
        if names:
            arguments["ExpressionAttributeNames"] = names
        if start:
            arguments["ExclusiveStartKey"] = {k: {"S": v} for k, v in start.items()}
        answer = self.items.call("query", **arguments)
        last = answer.get("LastEvaluatedKey")
        key = {k: v["S"] for k, v in last.items()} if last else None
        return [self.items.decode(i) for i in answer.get("Items", [])], key

    def _owned_items(self, owner_pk: str, limit: int) -> tuple[list[dict[str, Any]], bool]:
        from chalicelib.adapters.table import OWNER_INDEX

        answer = self.items.call(
            "query",
            IndexName=OWNER_INDEX,
            KeyConditionExpression="owner_pk = :owner",
            ExpressionAttributeValues={":owner": {"S": owner_pk}},
            Limit=limit,
        )
        return [self.items.decode(i) for i in answer.get("Items", [])], "LastEvaluatedKey" in answer

    # -- delivery tracking ------------------------------------------------------------------------

    def _get_key(self, pk: str, sk: str) -> dict[str, Any] | None:
        return self.items.get(pk, sk, consistent=False)


def _chain_at(sequence: int) -> str:
    # A referral with no audit event yet has no audit_seq attribute at all.
    return "audit_seq = :s" if sequence else "attribute_not_exists(audit_seq)"


def _chain_values(sequence: int) -> dict[str, Any]:
    return {":s": {"N": str(sequence)}} if sequence else {}
