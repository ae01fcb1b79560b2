"""Advice contacts on DynamoDB, with an in-memory twin held to the same contract.

All in one partition, `ADVICE`, each under `ADVICE#<id>` (ids sort by when the call was, so a
query backwards is the newest first, and a range of dates is a range of keys). What identifies
anyone is one field sealed under the contact's own data key (one KMS GenerateDataKey to record, one
Decrypt to read); the rest is coded and in clear: the list and the counts read only that. Each is
in the queue index under `ADVICE_RETENTION`, by its retention date, for the retention sweep, which
deletes it and leaves a receipt of codes (`DELETED#<id>`) in one transaction.

Each call is counted on its day's rollup item (`ROLLUP`/`ADVICE#<date>`, referrals/rollup_items.py) in
the same transaction that records it, and its outcome count moves in the transaction that makes it
into a referral (conditional on the outcome it had), so the performance report reads O(days). A
contact deleted by retention leaves its counts: past years' figures outlive the records.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.dynamo_items import DynamoItems, utc_iso
from chalicelib.adapters.envelope import FieldCipher
from chalicelib.adapters.referrals.rollup_items import (
    ADVICE_DAY,
    add_counts_updates,
    apply_in_memory,
    days_in_memory,
    query_days,
)
from chalicelib.domain.advice_contacts import (
    AdviceContact,
    AdviceNotFound,
    AdviceOutcome,
    AdviceRow,
    CallerKind,
)
from chalicelib.domain.failures import InvalidCursor, StaleReferral
from chalicelib.domain.referral import Agency
from chalicelib.domain.rollups import DayCounts, DayRollup, advice_contribution, advice_moved

PARTITION = "ADVICE"
CONTACT_PREFIX = "ADVICE#"
RECEIPT_PREFIX = "DELETED#"
RETENTION_PARTITION = "ADVICE_RETENTION"
SEALED_FIELD = "pd_contact"
PERSONAL = ("caller_name", "caller_organisation", "caller_phone", "about", "names", "advice")
# What the list and the counts read: never the sealed field, never the data key.
CLEAR_ATTRIBUTES = (
    "contact_id",
    "called_at",
    "recorded_at",
    "recorded_by",
    "caller_kind",
    "caller_agency",
    "outcome",
    "referral_reference",
)
CONTACT_ID = re.compile(r"^[0-9]{14}[0-9a-f]{8}$")


@dataclass(frozen=True)
class AdvicePage:
    rows: list[AdviceRow]
    next_cursor: str | None


def _key_time(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%Y%m%d%H%M%S}"


def check_contact_id(contact_id: str) -> str:
    if not CONTACT_ID.match(contact_id):
        raise AdviceNotFound(contact_id)
    return contact_id


class AdviceContactStore:
    """The rules and the encoding; subclasses only move items."""

    def __init__(self, cipher: FieldCipher) -> None:
        self.cipher = cipher

    def add(self, contact: AdviceContact) -> None:
        sealed = self.cipher.seal(f"advice:{contact.contact_id}")
        item: dict[str, Any] = {
            "pk": PARTITION,
            "sk": CONTACT_PREFIX + contact.contact_id,
            "contact_id": contact.contact_id,
            "called_at": utc_iso(contact.called_at),
            "recorded_at": utc_iso(contact.recorded_at),
            "recorded_by": contact.recorded_by,
            "caller_kind": contact.caller_kind.value,
            "outcome": contact.outcome.value,
            "retention_until": utc_iso(contact.retention_until),
            "queue_pk": RETENTION_PARTITION,
            "queue_sk": f"{utc_iso(contact.retention_until)}#{contact.contact_id}",
            "data_key": sealed.encrypted_key,
            SEALED_FIELD: sealed.encrypt(SEALED_FIELD, {name: getattr(contact, name) for name in PERSONAL}),
        }
        if contact.caller_agency:
            item["caller_agency"] = contact.caller_agency.value
        if contact.referral_reference:
            item["referral_reference"] = contact.referral_reference
        self._put_new(item, advice_contribution(contact.called_at, contact.outcome.value, contact.caller_kind.value))

    def fetch(self, contact_id: str) -> AdviceContact:
        """The whole contact, decrypted (one KMS Decrypt)."""
        item = self._get(CONTACT_PREFIX + check_contact_id(contact_id))
        if item is None:
            raise AdviceNotFound(contact_id)
        sealed = self.cipher.open(f"advice:{contact_id}", bytes(item["data_key"]))
        personal = sealed.decrypt(SEALED_FIELD, bytes(item[SEALED_FIELD]))
        row = _row(item)
        return AdviceContact(
            contact_id=row.contact_id,
            called_at=row.called_at,
            recorded_at=row.recorded_at,
            recorded_by=row.recorded_by,
            caller_kind=row.caller_kind,
            outcome=row.outcome,
            retention_until=dt.datetime.fromisoformat(item["retention_until"]),
            caller_agency=row.caller_agency,
            referral_reference=row.referral_reference,
            **personal,
        )

    def mark_made_into_referral(self, contact_id: str, reference: str) -> None:
        """The call's outcome becomes made_into_referral with the referral's reference, unless it
        already is one (then StaleReferral: a call is made into one referral only)."""
        sk = CONTACT_PREFIX + check_contact_id(contact_id)
        item = self._get(sk)
        made = AdviceOutcome.MADE_INTO_REFERRAL.value
        if item is None or item["outcome"] == made:
            raise StaleReferral(sk)
        moved = advice_moved(dt.datetime.fromisoformat(item["called_at"]), item["outcome"], made)
        self._set_referral(sk, reference, item["outcome"], moved)

    def list_newest(self, limit: int, cursor: str | None = None) -> AdvicePage:
        """A page of contacts, newest call first: clear metadata only, nothing decrypted."""
        after = None
        if cursor is not None:
            if not CONTACT_ID.match(cursor):
                raise InvalidCursor("cursor is not one this API gave out: start again without it")
            after = CONTACT_PREFIX + cursor
        items, more = self._newest(limit, after)
        rows = [_row(item) for item in items]
        return AdvicePage(rows, rows[-1].contact_id if more and rows else None)

    def called_between(self, start: dt.datetime, end: dt.datetime) -> list[AdviceRow]:
        """Every contact whose call was in [start, end): clear codes only, for the counts (0 KMS calls)."""
        return [
            _row(item) for item in self._between(CONTACT_PREFIX + _key_time(start), CONTACT_PREFIX + _key_time(end))
        ]

    def daily_rollups(self, first: dt.date, last: dt.date) -> list[DayRollup]:
        """The calls' counts per London day from `first` to `last` (both included), one Query; a day
        with no call has no item."""
        raise NotImplementedError

    def due_for_deletion(self, now: dt.datetime, limit: int = 50) -> list[str]:
        return self._retention_before(utc_iso(now), limit)

    def delete_with_receipt(self, contact_id: str, now: dt.datetime) -> None:
        """Delete the contact, leaving a receipt of codes and dates (no personal data), in one transaction."""
        item = self._get(CONTACT_PREFIX + contact_id)
        if item is None:
            return  # deleted already (a sweep that ran twice)
        receipt = {
            "pk": PARTITION,
            "sk": RECEIPT_PREFIX + contact_id,
            "contact_id": contact_id,
            "deleted_at": utc_iso(now),
            "called_on": item["called_at"][:10],
            "caller_kind": item["caller_kind"],
            "outcome": item["outcome"],
            "retention_until": item["retention_until"][:10],
        }
        self._delete_with_receipt(CONTACT_PREFIX + contact_id, item["retention_until"], receipt)

    def receipt(self, contact_id: str) -> dict[str, Any] | None:
        return self._get(RECEIPT_PREFIX + contact_id)

    # -- moving items ------------------------------------------------------------------------

    def _put_new(self, item: dict[str, Any], counts: DayCounts) -> None:
        raise NotImplementedError

    def _get(self, sk: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def _newest(self, limit: int, after: str | None) -> tuple[list[dict[str, Any]], bool]:
        raise NotImplementedError

    def _between(self, start_sk: str, end_sk: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _retention_before(self, moment: str, limit: int) -> list[str]:
        raise NotImplementedError

    def _delete_with_receipt(self, sk: str, retention_until: str, receipt: dict[str, Any]) -> None:
        raise NotImplementedError

    def _set_referral(self, sk: str, reference: str, old_outcome: str, moved: DayCounts) -> None:
        raise NotImplementedError


def _row(item: dict[str, Any]) -> AdviceRow:
    return AdviceRow(
        contact_id=item["contact_id"],
        called_at=dt.datetime.fromisoformat(item["called_at"]),
        recorded_at=dt.datetime.fromisoformat(item["recorded_at"]),
        recorded_by=item["recorded_by"],
        caller_kind=CallerKind(item["caller_kind"]),
        caller_agency=Agency(item["caller_agency"]) if item.get("caller_agency") else None,
        outcome=AdviceOutcome(item["outcome"]),
        referral_reference=item.get("referral_reference"),
    )


class InMemoryAdviceContactStore(AdviceContactStore):
    def __init__(self, cipher: FieldCipher) -> None:
        super().__init__(cipher)
        self.items: dict[str, dict[str, Any]] = {}
        self.rollups: dict[tuple[str, str], dict[str, Any]] = {}

    def _put_new(self, item: dict[str, Any], counts: DayCounts) -> None:
        if item["sk"] in self.items:
            raise StaleReferral(item["contact_id"])
        self.items[item["sk"]] = dict(item)
        apply_in_memory(self.rollups, ADVICE_DAY, counts)

    def daily_rollups(self, first: dt.date, last: dt.date) -> list[DayRollup]:
        return days_in_memory(self.rollups, ADVICE_DAY, first, last)

    def _get(self, sk: str) -> dict[str, Any] | None:
        item = self.items.get(sk)
        return dict(item) if item else None

    def _contacts(self) -> list[dict[str, Any]]:
        return [self.items[sk] for sk in sorted(self.items) if sk.startswith(CONTACT_PREFIX)]

    def _newest(self, limit: int, after: str | None) -> tuple[list[dict[str, Any]], bool]:
        newest = [item for item in reversed(self._contacts()) if after is None or item["sk"] < after]
        page = [{k: item[k] for k in CLEAR_ATTRIBUTES if k in item} for item in newest[:limit]]
        return page, len(newest) > limit

    def _between(self, start_sk: str, end_sk: str) -> list[dict[str, Any]]:
        return [
            {k: item[k] for k in CLEAR_ATTRIBUTES if k in item}
            for item in self._contacts()
            if start_sk <= item["sk"] < end_sk
        ]

    def _retention_before(self, moment: str, limit: int) -> list[str]:
        due = sorted(item["queue_sk"] for item in self._contacts() if item["queue_sk"] < moment)
        return [key.rsplit("#", 1)[1] for key in due[:limit]]

    def _delete_with_receipt(self, sk: str, retention_until: str, receipt: dict[str, Any]) -> None:
        current = self.items.get(sk)
        if current is None or current["retention_until"] != retention_until:
            raise StaleReferral(sk)
        del self.items[sk]
        self.items[receipt["sk"]] = dict(receipt)

    def _set_referral(self, sk: str, reference: str, old_outcome: str, moved: DayCounts) -> None:
        current = self.items.get(sk)
        if current is None or current["outcome"] != old_outcome:
            raise StaleReferral(sk)
        current["outcome"] = AdviceOutcome.MADE_INTO_REFERRAL.value
        current["referral_reference"] = reference
        apply_in_memory(self.rollups, ADVICE_DAY, moved)


class DynamoAdviceContactStore(AdviceContactStore):
    def __init__(self, dynamodb_client: Any, table_name: str, cipher: FieldCipher) -> None:
        super().__init__(cipher)
        self.items = DynamoItems(dynamodb_client, table_name)
        self._names = {f"#a{n}": name for n, name in enumerate(CLEAR_ATTRIBUTES)}

    def _put_new(self, item: dict[str, Any], counts: DayCounts) -> None:
        # The call and its day's counts in one transaction; only the put has a condition.
        updates = add_counts_updates(self.items.table, ADVICE_DAY, counts)
        if not self.items.transact([{"Put": self.items.new_put(item)}, *updates]):
            raise StaleReferral(item["contact_id"])

    def daily_rollups(self, first: dt.date, last: dt.date) -> list[DayRollup]:
        return query_days(self.items, ADVICE_DAY, first, last)

    def _get(self, sk: str) -> dict[str, Any] | None:
        return self.items.get(PARTITION, sk)

    def _clear_only(self) -> dict[str, Any]:
        return {"ProjectionExpression": ", ".join(self._names), "ExpressionAttributeNames": dict(self._names)}

    def _newest(self, limit: int, after: str | None) -> tuple[list[dict[str, Any]], bool]:
        arguments: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": PARTITION}, ":prefix": {"S": CONTACT_PREFIX}},
            "ScanIndexForward": False,
            "Limit": limit,
            **self._clear_only(),
        }
        if after:
            arguments["ExclusiveStartKey"] = self.items.key(PARTITION, after)
        answer = self.items.call("query", **arguments)
        items = [self.items.decode(i) for i in answer.get("Items", [])]
        if "LastEvaluatedKey" not in answer:
            return items, False
        # DynamoDB may stop at the limit with nothing after: look once, so no empty last page is offered.
        return items, self.items.more_after(arguments, answer["LastEvaluatedKey"])

    def _between(self, start_sk: str, end_sk: str) -> list[dict[str, Any]]:
        pages = self.items.pages(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :start AND :end",
            ExpressionAttributeValues={
                ":pk": {"S": PARTITION},
                ":start": {"S": start_sk},
                # Inclusive, but no key equals it: every id is longer than its time.
                ":end": {"S": end_sk},
            },
            **self._clear_only(),
        )
        return [self.items.decode(i) for answer in pages for i in answer.get("Items", [])]

    def _retention_before(self, moment: str, limit: int) -> list[str]:
        from chalicelib.adapters.table import QUEUE_INDEX

        answer = self.items.call(
            "query",
            IndexName=QUEUE_INDEX,
            KeyConditionExpression="queue_pk = :p AND queue_sk < :moment",
            ExpressionAttributeValues={":p": {"S": RETENTION_PARTITION}, ":moment": {"S": moment}},
            Limit=limit,
        )
        return [item["sk"]["S"].removeprefix(CONTACT_PREFIX) for item in answer.get("Items", [])]

    def _delete_with_receipt(self, sk: str, retention_until: str, receipt: dict[str, Any]) -> None:
        written = self.items.transact(
            [
                {
                    "Delete": {
                        "TableName": self.items.table,
                        "Key": self.items.key(PARTITION, sk),
                        "ConditionExpression": "retention_until = :until",
                        "ExpressionAttributeValues": {":until": {"S": retention_until}},
                    }
                },
                {"Put": {"TableName": self.items.table, "Item": self.items.encode(receipt)}},
            ]
        )
        if not written:
            raise StaleReferral(sk)

    def _set_referral(self, sk: str, reference: str, old_outcome: str, moved: DayCounts) -> None:
        update = {
            "TableName": self.items.table,
            "Key": self.items.key(PARTITION, sk),
            "UpdateExpression": "SET #outcome = :made, referral_reference = :reference",
            # The outcome it was read with: the count moves once, however often this is retried.
            "ConditionExpression": "attribute_exists(pk) AND #outcome = :old",
            "ExpressionAttributeNames": {"#outcome": "outcome"},
            "ExpressionAttributeValues": {
                ":made": {"S": AdviceOutcome.MADE_INTO_REFERRAL.value},
                ":old": {"S": old_outcome},
                ":reference": {"S": reference},
            },
        }
        updates = add_counts_updates(self.items.table, ADVICE_DAY, moved)
        if not self.items.transact([{"Update": update}, *updates]):
            raise StaleReferral(sk)
