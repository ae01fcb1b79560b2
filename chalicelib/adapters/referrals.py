"""Referral storage: DynamoDB, with an in-memory twin that keeps items in the same encrypted shape.

Only non-personal metadata is stored in clear (reference, route, status, times, proposed level,
delivery state of notices). Each personal section of the submission is one encrypted field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.aws import translate
from chalicelib.adapters.envelope import FieldCipher, SealedRecord
from chalicelib.adapters.table import OUTBOX_INDEX, OUTBOX_PARTITION
from chalicelib.domain.notices import Notice, NoticeKind, NoticeStatus
from chalicelib.domain.referral import ReferralSubmission, Route
from chalicelib.domain.referral_record import PERSONAL_SECTIONS, Channel, Referral, ReferralStatus

REFERRAL_SK = "REFERRAL"
FIELD_PREFIX = "pd_"


class ReferenceTaken(Exception):
    """A referral with this reference already exists (a repeat, or a clash)."""


class ReferralNotFound(Exception):
    pass


class StaleReferral(Exception):
    """Someone else changed the referral since it was read; read again and retry."""


@dataclass(frozen=True)
class ReferralSummary:
    """What can be known of a referral without decrypting anything."""

    reference: str
    route: Route
    status: ReferralStatus
    received_at: dt.datetime
    request_fingerprint: str
    idempotency_key_hash: str | None


def partition_key(reference: str) -> str:
    return f"REF#{reference}"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def _parse(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def notice_to_map(notice: Notice) -> dict[str, Any]:
    return {
        "kind": notice.kind.value,
        "status": notice.status.value,
        "created_at": _iso(notice.created_at),
        "next_attempt_at": _iso(notice.next_attempt_at) if notice.next_attempt_at else None,
        "attempts": notice.attempts,
        "last_error": notice.last_error,
        "provider_message_id": notice.provider_message_id,
        "sent_at": _iso(notice.sent_at) if notice.sent_at else None,
    }


def notice_from_map(notice_id: str, data: dict[str, Any]) -> Notice:
    return Notice(
        notice_id=notice_id,
        kind=NoticeKind(data["kind"]),
        status=NoticeStatus(data["status"]),
        created_at=_parse(data["created_at"]),  # type: ignore[arg-type]
        next_attempt_at=_parse(data.get("next_attempt_at")),
        attempts=int(data.get("attempts", 0)),
        last_error=data.get("last_error"),
        provider_message_id=data.get("provider_message_id"),
        sent_at=_parse(data.get("sent_at")),
    )


def outbox_attributes(referral: Referral) -> dict[str, str] | None:
    """The sparse outbox index entry: present only while a notice is waiting to go."""
    due = referral.next_notice_due()
    if due is None:
        return None
    return {"outbox_pk": OUTBOX_PARTITION, "outbox_due": _iso(due)}


def to_item(referral: Referral, sealed: SealedRecord) -> dict[str, Any]:
    submission = referral.submission.model_dump(mode="json")
    item: dict[str, Any] = {
        "pk": partition_key(referral.reference),
        "sk": REFERRAL_SK,
        "reference": referral.reference,
        "route": referral.route.value,
        "status": referral.status.value,
        "channel": referral.channel.value,
        "received_at": _iso(referral.received_at),
        "immediate_risk": referral.immediate_risk,
        "proposed_level": referral.proposed_level,
        "request_fingerprint": referral.request_fingerprint,
        "version": referral.version,
        "data_key": sealed.encrypted_key,
        "notices": {n.notice_id: notice_to_map(n) for n in referral.notices},
        "queue_pk": referral.status.value,
        "queue_sk": _iso(referral.received_at),
    }
    if referral.idempotency_key_hash:
        item["idempotency_key_hash"] = referral.idempotency_key_hash
    for section in PERSONAL_SECTIONS:
        if submission.get(section) is not None:
            item[FIELD_PREFIX + section] = sealed.encrypt(section, submission[section])
    item.update(outbox_attributes(referral) or {})
    return item


def summary_from_item(item: dict[str, Any]) -> ReferralSummary:
    return ReferralSummary(
        reference=item["reference"],
        route=Route(item["route"]),
        status=ReferralStatus(item["status"]),
        received_at=_parse(item["received_at"]),  # type: ignore[arg-type]
        request_fingerprint=item["request_fingerprint"],
        idempotency_key_hash=item.get("idempotency_key_hash"),
    )


def from_item(item: dict[str, Any], cipher: FieldCipher) -> Referral:
    reference = item["reference"]
    sealed = cipher.open(reference, bytes(item["data_key"]))
    sections = {
        section: sealed.decrypt(section, bytes(item[FIELD_PREFIX + section]))
        for section in PERSONAL_SECTIONS
        if FIELD_PREFIX + section in item
    }
    submission = ReferralSubmission.model_validate(
        {"route": item["route"], "immediate_risk": item["immediate_risk"], **sections}
    )
    summary = summary_from_item(item)
    return Referral(
        reference=reference,
        route=summary.route,
        status=summary.status,
        channel=Channel(item["channel"]),
        received_at=summary.received_at,
        immediate_risk=bool(item["immediate_risk"]),
        proposed_level=int(item["proposed_level"]),
        request_fingerprint=summary.request_fingerprint,
        idempotency_key_hash=summary.idempotency_key_hash,
        submission=submission,
        notices=tuple(notice_from_map(k, v) for k, v in sorted(item.get("notices", {}).items())),
        version=int(item["version"]),
    )


class ReferralStore:
    """Base of both stores: encoding and the rules; subclasses only move items."""

    def __init__(self, cipher: FieldCipher) -> None:
        self.cipher = cipher

    def add(self, referral: Referral) -> SealedRecord:
        """Store a new referral under one new data key; ReferenceTaken if the reference exists."""
        sealed = self.cipher.seal(referral.reference)
        self._put_new(to_item(referral, sealed))
        return sealed

    def fetch(self, reference: str) -> Referral:
        """The whole referral, decrypted (one KMS Decrypt)."""
        return from_item(self._get(reference), self.cipher)

    def fetch_summary(self, reference: str) -> ReferralSummary:
        return summary_from_item(self._get(reference))

    def save_notices(self, referral: Referral) -> Referral:
        """Record notices' delivery state; refuses if the referral changed since it was read."""
        notices = {n.notice_id: notice_to_map(n) for n in referral.notices}
        self._update_notices(referral.reference, referral.version, notices, outbox_attributes(referral))
        return _bump(referral)

    def _get(self, reference: str) -> dict[str, Any]:
        raise NotImplementedError

    def _put_new(self, item: dict[str, Any]) -> None:
        raise NotImplementedError

    def _update_notices(
        self, reference: str, version: int, notices: dict[str, Any], outbox: dict[str, str] | None
    ) -> None:
        raise NotImplementedError

    def references_with_notices_due(self, now: dt.datetime, limit: int = 50) -> list[str]:
        raise NotImplementedError


def _bump(referral: Referral) -> Referral:
    from dataclasses import replace

    return replace(referral, version=referral.version + 1)


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

    def _put_new(self, item: dict[str, Any]) -> None:
        key = (item["pk"], item["sk"])
        if key in self.items:
            raise ReferenceTaken(item["reference"])
        self.items[key] = dict(item)

    def _update_notices(
        self, reference: str, version: int, notices: dict[str, Any], outbox: dict[str, str] | None
    ) -> None:
        item = self._get(reference)
        if item["version"] != version:
            raise StaleReferral(reference)
        item.update(notices=notices, version=version + 1)
        item.pop("outbox_pk", None)
        item.pop("outbox_due", None)
        item.update(outbox or {})
        self.items[(item["pk"], item["sk"])] = item

    def references_with_notices_due(self, now: dt.datetime, limit: int = 50) -> list[str]:
        due = sorted(
            (item["outbox_due"], item["reference"])
            for item in self.items.values()
            if item.get("outbox_pk") == OUTBOX_PARTITION and item["outbox_due"] <= _iso(now)
        )
        return [reference for _, reference in due[:limit]]


class DynamoReferralStore(ReferralStore):
    def __init__(self, dynamodb_client: Any, table_name: str, cipher: FieldCipher) -> None:
        super().__init__(cipher)
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._db = dynamodb_client
        self._table = table_name
        self._serialize = TypeSerializer().serialize
        self._deserialize = TypeDeserializer().deserialize

    def _encode(self, item: dict[str, Any]) -> dict[str, Any]:
        return {key: self._serialize(value) for key, value in item.items()}

    def _decode(self, item: dict[str, Any]) -> dict[str, Any]:
        decoded = {key: self._deserialize(value) for key, value in item.items()}
        return _plain_numbers(decoded)

    def _get(self, reference: str) -> dict[str, Any]:
        try:
            answer = self._db.get_item(
                TableName=self._table,
                Key={"pk": {"S": partition_key(reference)}, "sk": {"S": REFERRAL_SK}},
                ConsistentRead=True,
            )
        except Exception as exc:
            raise translate("dynamodb", exc) from None
        if "Item" not in answer:
            raise ReferralNotFound(reference)
        return self._decode(answer["Item"])

    def _put_new(self, item: dict[str, Any]) -> None:
        try:
            self._db.put_item(
                TableName=self._table,
                Item=self._encode(item),
                # One referral per reference, ever: a repeat or a clash must not overwrite.
                ConditionExpression="attribute_not_exists(pk)",
            )
        except Exception as exc:
            error = translate("dynamodb", exc)
            if error.code == "ConditionalCheckFailedException":
                raise ReferenceTaken(item["reference"]) from None
            raise error from None

    def _update_notices(
        self, reference: str, version: int, notices: dict[str, Any], outbox: dict[str, str] | None
    ) -> None:
        values = {
            ":notices": self._serialize(notices),
            ":expected": {"N": str(version)},
            ":next": {"N": str(version + 1)},
        }
        if outbox:
            update = "SET notices = :notices, version = :next, outbox_pk = :opk, outbox_due = :odue"
            values[":opk"] = {"S": outbox["outbox_pk"]}
            values[":odue"] = {"S": outbox["outbox_due"]}
        else:
            update = "SET notices = :notices, version = :next REMOVE outbox_pk, outbox_due"
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"pk": {"S": partition_key(reference)}, "sk": {"S": REFERRAL_SK}},
                UpdateExpression=update,
                # Optimistic lock: a concurrent dispatcher or staff change wins, we re-read.
                ConditionExpression="version = :expected",
                ExpressionAttributeValues=values,
            )
        except Exception as exc:
            error = translate("dynamodb", exc)
            if error.code == "ConditionalCheckFailedException":
                raise StaleReferral(reference) from None
            raise error from None

    def references_with_notices_due(self, now: dt.datetime, limit: int = 50) -> list[str]:
        try:
            answer = self._db.query(
                TableName=self._table,
                IndexName=OUTBOX_INDEX,
                KeyConditionExpression="outbox_pk = :p AND outbox_due <= :now",
                ExpressionAttributeValues={":p": {"S": OUTBOX_PARTITION}, ":now": {"S": _iso(now)}},
                Limit=limit,
            )
        except Exception as exc:
            raise translate("dynamodb", exc) from None
        return [item["pk"]["S"].removeprefix("REF#") for item in answer.get("Items", [])]


def _plain_numbers(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; ours are all whole numbers."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {k: _plain_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(v) for v in value]
    if hasattr(value, "value") and type(value).__name__ == "Binary":
        return bytes(value.value)
    return value
