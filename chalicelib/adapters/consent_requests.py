"""Consent requests sent by email: one small item each, so a link can be found and used once.

Item: pk `CONSENT#<sha256(request id)>`, sk `REQUEST`: the referral's reference, the parent's
position, the notice that carries the link, when the request was made (it names the request on
the referral's consent record), and `expires_at` for the table's TTL. Once answered it also holds
`answered_at` and the answer (given / refused). No name, no address, no comment: the comment is
kept encrypted on the referral. The request id itself is never stored, only its digest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.adapters.dynamo_items import DynamoItems
from chalicelib.adapters.table import TTL_ATTRIBUTE

PREFIX = "CONSENT#"
SK = "REQUEST"
# Kept a while after the link expires, so a late click is told "expired", not "not recognised".
EXPIRY_GRACE = dt.timedelta(days=30)


class AlreadyAnswered(Exception):
    """Another answer claimed this request first."""


@dataclass(frozen=True)
class ConsentRequestRecord:
    lookup_key: str
    reference: str
    parent: int
    notice_id: str
    requested_at: dt.datetime
    expires_at: dt.datetime
    answered_at: dt.datetime | None = None
    answer: str | None = None


def _to_item(record: ConsentRequestRecord) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": {"S": PREFIX + record.lookup_key},
        "sk": {"S": SK},
        "reference": {"S": record.reference},
        "parent": {"N": str(record.parent)},
        "notice_id": {"S": record.notice_id},
        "requested_at": {"S": record.requested_at.isoformat()},
        "link_expires_at": {"S": record.expires_at.isoformat()},
        TTL_ATTRIBUTE: {"N": str(int((record.expires_at + EXPIRY_GRACE).timestamp()))},
    }
    if record.answered_at:
        item["answered_at"] = {"S": record.answered_at.isoformat()}
        item["answer"] = {"S": record.answer or ""}
    return item


def _from_item(item: dict[str, Any]) -> ConsentRequestRecord:
    answered = item.get("answered_at")
    return ConsentRequestRecord(
        lookup_key=item["pk"]["S"].removeprefix(PREFIX),
        reference=item["reference"]["S"],
        parent=int(item["parent"]["N"]),
        notice_id=item["notice_id"]["S"],
        requested_at=dt.datetime.fromisoformat(item["requested_at"]["S"]),
        expires_at=dt.datetime.fromisoformat(item["link_expires_at"]["S"]),
        answered_at=dt.datetime.fromisoformat(answered["S"]) if answered else None,
        answer=item["answer"]["S"] if answered else None,
    )


class ConsentRequestStore:
    def save(self, record: ConsentRequestRecord) -> None:
        raise NotImplementedError

    def find(self, lookup_key: str) -> ConsentRequestRecord | None:
        raise NotImplementedError

    def claim(self, lookup_key: str, answer: str, now: dt.datetime) -> None:
        """Mark the request answered, once: AlreadyAnswered if it was (the link's single use)."""
        raise NotImplementedError

    def release(self, lookup_key: str) -> None:
        """Undo a claim whose answer could not be saved, so the parent can try again."""
        raise NotImplementedError

    def change_answer(self, lookup_key: str, answer: str, now: dt.datetime) -> None:
        """Record that the parent changed an answer given by this link (it stays answered)."""
        raise NotImplementedError


class DynamoConsentRequestStore(ConsentRequestStore):
    def __init__(self, dynamodb_client: Any, table_name: str) -> None:
        self.items = DynamoItems(dynamodb_client, table_name)

    def _key(self, lookup_key: str) -> dict[str, Any]:
        return self.items.key(PREFIX + lookup_key, SK)

    def save(self, record: ConsentRequestRecord) -> None:
        self.items.call("put_item", Item=_to_item(record))

    def find(self, lookup_key: str) -> ConsentRequestRecord | None:
        found = self.items.call("get_item", Key=self._key(lookup_key), ConsistentRead=True)
        return _from_item(found["Item"]) if "Item" in found else None

    def claim(self, lookup_key: str, answer: str, now: dt.datetime) -> None:
        claimed = self.items.write_if(
            "update_item",
            Key=self._key(lookup_key),
            UpdateExpression="SET answered_at = :now, answer = :answer",
            # One answer per link, however many tabs or clicks race: the condition decides.
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(answered_at)",
            ExpressionAttributeValues={":now": {"S": now.isoformat()}, ":answer": {"S": answer}},
        )
        if claimed is None:
            raise AlreadyAnswered()

    def release(self, lookup_key: str) -> None:
        self.items.call("update_item", Key=self._key(lookup_key), UpdateExpression="REMOVE answered_at, answer")

    def change_answer(self, lookup_key: str, answer: str, now: dt.datetime) -> None:
        # A plain call: a link never answered fails as AwsError (ConditionalCheckFailedException).
        self.items.call(
            "update_item",
            Key=self._key(lookup_key),
            UpdateExpression="SET answer = :answer, answer_changed_at = :now",
            ConditionExpression="attribute_exists(answered_at)",
            ExpressionAttributeValues={":now": {"S": now.isoformat()}, ":answer": {"S": answer}},
        )


class InMemoryConsentRequestStore(ConsentRequestStore):
    def __init__(self) -> None:
        self.records: dict[str, ConsentRequestRecord] = {}

    def save(self, record: ConsentRequestRecord) -> None:
        self.records[record.lookup_key] = record

    def find(self, lookup_key: str) -> ConsentRequestRecord | None:
        return self.records.get(lookup_key)

    def claim(self, lookup_key: str, answer: str, now: dt.datetime) -> None:
        record = self.records.get(lookup_key)
        if record is None or record.answered_at is not None:
            raise AlreadyAnswered()
        self.records[lookup_key] = replace(record, answered_at=now, answer=answer)

    def release(self, lookup_key: str) -> None:
        record = self.records.get(lookup_key)
        if record is not None:
            self.records[lookup_key] = replace(record, answered_at=None, answer=None)

    def change_answer(self, lookup_key: str, answer: str, now: dt.datetime) -> None:
        record = self.records.get(lookup_key)
        if record is not None and record.answered_at is not None:
            self.records[lookup_key] = replace(record, answer=answer)
