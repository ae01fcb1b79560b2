"""Agency replies and the triage list in the hub's table, with in-memory twins that keep the same items.

Replies sit in their referral's partition (`REF#<reference>`, `REPLY#<reply id>`), sealed with the
referral's own data key: reading a referral and its replies costs one KMS Decrypt. In clear: ids,
the agency, times, who attached it, the raw message's key, and each file's type, size and digest.
Sealed (one field, `reply:<reply id>`): sender, subject, text, whole text, file names.

Triage: each item under its own data key (`triage:<triage id>`), as two items written together:
- `TRIAGE#<id>` / `ITEM`: the item itself (clear metadata, sealed content, who viewed it and when);
- `TRIAGE` / `<status>#<received at>#<id>`: its line in the list, metadata only, so listing one
  status newest first is one Query with no filter and no KMS call. Deciding moves the line (one
  transaction, conditional on the item still waiting). One partition for the list is plenty: a
  hub sees a handful of unmatched replies a day.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from chalicelib.adapters.aws import AwsError, plain_values, translate
from chalicelib.adapters.envelope import FieldCipher, SealedRecord
from chalicelib.adapters.referrals import InvalidCursor, partition_key
from chalicelib.domain.agencies import AgencyId
from chalicelib.domain.agency_replies import (
    AgencyReply,
    StoredAttachment,
    TriageAlreadyDecided,
    TriageItem,
    TriageNotFound,
    TriageReason,
    TriageStatus,
    TriageSummary,
    TriageView,
)

REPLY_PREFIX = "REPLY#"
REPLY_FIELD = "pd_reply"
TRIAGE_LIST_PK = "TRIAGE"
TRIAGE_ITEM_PREFIX = "TRIAGE#"
TRIAGE_ITEM_SK = "ITEM"
CONTENT_FIELD = "pd_content"
NOTE_FIELD = "pd_decision_note"
CLEANUP_PK = "REPLY_CLEANUP"


class _ConditionFailed(Exception):
    pass


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _parse(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Absent, not null: DynamoDB bills every byte, and a missing attribute reads back as None anyway."""
    return {key: value for key, value in data.items() if value is not None}


# -- items: the few moves both stores need, in memory and in DynamoDB ----------------------------


class Items:
    def put_new(self, items: list[dict[str, Any]]) -> bool:
        """Put all or none; False (nothing written) when the first already exists."""
        raise NotImplementedError

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def query(
        self, pk: str, prefix: str, *, newest_first: bool = False, limit: int | None = None, start: dict | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        raise NotImplementedError

    def append_view(self, pk: str, sk: str, view: dict[str, str]) -> dict[str, Any] | None:
        """Add a view to the item and return it as now stored; None when there is no such item."""
        raise NotImplementedError

    def decide(
        self,
        key: tuple[str, str],
        expected_status: str,
        sets: dict[str, Any],
        removes: list[str],
        old_line: tuple[str, str],
        new_line: dict[str, Any],
    ) -> None:
        """Change the item (only while its status is `expected_status`) and move its list line; all at once."""
        raise NotImplementedError

    def delete(self, keys: list[tuple[str, str]]) -> None:
        raise NotImplementedError


class InMemoryItems(Items):
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def put_new(self, items: list[dict[str, Any]]) -> bool:
        if any((item["pk"], item["sk"]) in self.items for item in items):
            return False
        for item in items:
            self.items[(item["pk"], item["sk"])] = dict(item)
        return True

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self.items.get((pk, sk))
        return _copy(item) if item is not None else None

    def query(
        self, pk: str, prefix: str, *, newest_first: bool = False, limit: int | None = None, start: dict | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        keys = sorted((k for k in self.items if k[0] == pk and k[1].startswith(prefix)), reverse=newest_first)
        if start:
            keys = [k for k in keys if (k[1] < start["sk"] if newest_first else k[1] > start["sk"])]
        page = keys[:limit] if limit else keys
        last = page[-1] if limit and len(keys) > limit else None
        return [_copy(self.items[k]) for k in page], ({"pk": last[0], "sk": last[1]} if last else None)

    def append_view(self, pk: str, sk: str, view: dict[str, str]) -> dict[str, Any] | None:
        item = self.items.get((pk, sk))
        if item is None:
            return None
        item["views"] = [*item.get("views", []), dict(view)]
        return _copy(item)

    def decide(
        self,
        key: tuple[str, str],
        expected_status: str,
        sets: dict[str, Any],
        removes: list[str],
        old_line: tuple[str, str],
        new_line: dict[str, Any],
    ) -> None:
        item = self.items.get(key)
        if item is None or item.get("status") != expected_status:
            raise _ConditionFailed
        item.update(sets)
        for name in removes:
            item.pop(name, None)
        self.items.pop(old_line, None)
        self.items[(new_line["pk"], new_line["sk"])] = dict(new_line)

    def delete(self, keys: list[tuple[str, str]]) -> None:
        for key in keys:
            self.items.pop(key, None)


def _copy(item: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(item, default=_keep_bytes), object_hook=_bytes_back)


def _keep_bytes(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__b64__": base64.b64encode(value).decode()}
    raise TypeError(type(value).__name__)


def _bytes_back(data: dict[str, Any]) -> Any:
    return base64.b64decode(data["__b64__"]) if set(data) == {"__b64__"} else data


class DynamoItems(Items):
    def __init__(self, dynamodb_client: Any, table_name: str) -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._db = dynamodb_client
        self._table = table_name
        self._serialize = TypeSerializer().serialize
        self._deserialize = TypeDeserializer().deserialize

    def _encode(self, item: dict[str, Any]) -> dict[str, Any]:
        return {key: self._serialize(value) for key, value in item.items()}

    def _decode(self, item: dict[str, Any]) -> dict[str, Any]:
        return plain_values({key: self._deserialize(value) for key, value in item.items()})

    @staticmethod
    def _key(pk: str, sk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    def put_new(self, items: list[dict[str, Any]]) -> bool:
        from botocore.exceptions import ClientError

        if len(items) == 1:
            try:
                self._db.put_item(
                    TableName=self._table, Item=self._encode(items[0]), ConditionExpression="attribute_not_exists(pk)"
                )
            except Exception as exc:
                error = translate("dynamodb", exc)
                if error.code == "ConditionalCheckFailedException":
                    return False
                raise error from None
            return True
        puts = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._encode(item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for item in items
        ]
        try:
            self._db.transact_write_items(TransactItems=puts)
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                return False
            raise translate("dynamodb", exc) from None
        except Exception as exc:
            raise translate("dynamodb", exc) from None
        return True

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        try:
            answer = self._db.get_item(TableName=self._table, Key=self._key(pk, sk), ConsistentRead=True)
        except Exception as exc:
            raise translate("dynamodb", exc) from None
        return self._decode(answer["Item"]) if "Item" in answer else None

    def query(
        self, pk: str, prefix: str, *, newest_first: bool = False, limit: int | None = None, start: dict | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)" if prefix else "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}, **({":prefix": {"S": prefix}} if prefix else {})},
            "ScanIndexForward": not newest_first,
            "ConsistentRead": True,
        }
        if start:
            arguments["ExclusiveStartKey"] = self._key(start["pk"], start["sk"])
        items: list[dict[str, Any]] = []
        last = None
        try:
            while True:
                if limit:
                    arguments["Limit"] = limit - len(items)
                answer = self._db.query(**arguments)
                items.extend(self._decode(i) for i in answer.get("Items", []))
                last = answer.get("LastEvaluatedKey")
                if last is None or (limit and len(items) >= limit):
                    break
                arguments["ExclusiveStartKey"] = last
        except Exception as exc:
            raise translate("dynamodb", exc) from None
        # DynamoDB may hand back a key even when nothing follows: look once so no empty page is offered.
        if last is not None and limit and not self._more_after(arguments, last):
            last = None
        return items, ({"pk": last["pk"]["S"], "sk": last["sk"]["S"]} if last else None)

    def _more_after(self, arguments: dict[str, Any], last: dict[str, Any]) -> bool:
        try:
            answer = self._db.query(**{**arguments, "ExclusiveStartKey": last, "Limit": 1})
        except Exception as exc:
            raise translate("dynamodb", exc) from None
        return bool(answer.get("Items"))

    def append_view(self, pk: str, sk: str, view: dict[str, str]) -> dict[str, Any] | None:
        try:
            answer = self._db.update_item(
                TableName=self._table,
                Key=self._key(pk, sk),
                UpdateExpression="SET #views = list_append(if_not_exists(#views, :none), :view)",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#views": "views"},
                ExpressionAttributeValues={":none": {"L": []}, ":view": {"L": [self._serialize(view)]}},
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            error = translate("dynamodb", exc)
            if error.code == "ConditionalCheckFailedException":
                return None
            raise error from None
        return self._decode(answer["Attributes"])

    def decide(
        self,
        key: tuple[str, str],
        expected_status: str,
        sets: dict[str, Any],
        removes: list[str],
        old_line: tuple[str, str],
        new_line: dict[str, Any],
    ) -> None:
        from botocore.exceptions import ClientError

        names = {"#status": "status"}
        values: dict[str, Any] = {":expected": {"S": expected_status}}
        assignments = []
        for index, (name, value) in enumerate(sets.items()):
            names[f"#s{index}"] = name
            values[f":s{index}"] = self._serialize(value)
            assignments.append(f"#s{index} = :s{index}")
        for index, name in enumerate(removes):
            names[f"#r{index}"] = name
        update = "SET " + ", ".join(assignments)
        if removes:
            update += " REMOVE " + ", ".join(f"#r{index}" for index in range(len(removes)))
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": self._key(*key),
                            "UpdateExpression": update,
                            "ConditionExpression": "#status = :expected",
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": values,
                        }
                    },
                    {"Delete": {"TableName": self._table, "Key": self._key(*old_line)}},
                    {"Put": {"TableName": self._table, "Item": self._encode(new_line)}},
                ]
            )
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                raise _ConditionFailed from None
            raise translate("dynamodb", exc) from None
        except Exception as exc:
            raise translate("dynamodb", exc) from None

    def delete(self, keys: list[tuple[str, str]]) -> None:
        for start in range(0, len(keys), 25):
            requests = [{"DeleteRequest": {"Key": self._key(*key)}} for key in keys[start : start + 25]]
            try:
                for _ in range(5):
                    answer = self._db.batch_write_item(RequestItems={self._table: requests})
                    requests = answer.get("UnprocessedItems", {}).get(self._table, [])
                    if not requests:
                        break
            except Exception as exc:
                raise translate("dynamodb", exc) from None
            if requests:
                raise AwsError("dynamodb", "UnprocessedItems", retryable=True)



# -- attachments metadata ---------------------------------------------------------------------------


def _attachments_to_list(attachments: tuple[StoredAttachment, ...]) -> list[dict[str, Any]]:
    return [
        _compact(
            {
                "id": a.attachment_id,
                "type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "key": a.object_key or None,
                "refused": a.refused,
            }
        )
        for a in attachments
    ]


def _attachments_from_list(stored: list[dict[str, Any]], names: dict[str, str]) -> tuple[StoredAttachment, ...]:
    return tuple(
        StoredAttachment(
            attachment_id=a["id"],
            filename=names.get(a["id"], ""),
            content_type=a["type"],
            size=int(a["size"]),
            sha256=a["sha256"],
            object_key=a.get("key", ""),
            refused=a.get("refused"),
        )
        for a in stored
    )


# -- replies ----------------------------------------------------------------------------------------


def reply_field(reply_id: str) -> str:
    return f"reply:{reply_id}"


def reply_to_item(reply: AgencyReply, sealed: SealedRecord) -> dict[str, Any]:
    if sealed.record_id != reply.reference:
        raise ValueError("a reply is sealed with its own referral's key")
    personal = {
        "sender": reply.sender,
        "subject": reply.subject,
        "text": reply.text,
        "full_text": reply.full_text,
        "filenames": {a.attachment_id: a.filename for a in reply.attachments},
    }
    return _compact(
        {
            "pk": partition_key(reply.reference),
            "sk": REPLY_PREFIX + reply.reply_id,
            "reply_id": reply.reply_id,
            "enquiry_id": reply.enquiry_id,
            "agency": reply.agency.value,
            "received_at": _iso(reply.received_at),
            "attached_by": reply.attached_by,
            "source_key": reply.source_key,
            "attachments": _attachments_to_list(reply.attachments) or None,
            REPLY_FIELD: sealed.encrypt(reply_field(reply.reply_id), personal),
        }
    )


def reply_from_item(item: dict[str, Any], sealed: SealedRecord) -> AgencyReply:
    reply_id = item["reply_id"]
    personal = sealed.decrypt(reply_field(reply_id), bytes(item[REPLY_FIELD]))
    return AgencyReply(
        reply_id=reply_id,
        reference=item["pk"].removeprefix("REF#"),
        enquiry_id=item["enquiry_id"],
        agency=AgencyId(item["agency"]),
        received_at=_parse(item["received_at"]),  # type: ignore[arg-type]
        sender=personal["sender"],
        subject=personal["subject"],
        text=personal["text"],
        full_text=personal["full_text"],
        attachments=_attachments_from_list(item.get("attachments", []), personal.get("filenames", {})),
        source_key=item.get("source_key"),
        attached_by=item.get("attached_by"),
    )


class ReplyStore:
    """A referral's agency replies, sealed with the referral's key (no KMS call of its own)."""

    def __init__(self, items: Items) -> None:
        self.items = items

    def add_reply(self, sealed: SealedRecord, reply: AgencyReply) -> bool:
        """Store a reply once: a repeat (the same message again) changes nothing and returns False."""
        return self.items.put_new([reply_to_item(reply, sealed)])

    def has_reply(self, reference: str, reply_id: str) -> bool:
        return self.items.get(partition_key(reference), REPLY_PREFIX + reply_id) is not None

    def replies_of(self, reference: str, sealed: SealedRecord) -> list[AgencyReply]:
        """Every reply on the referral, oldest first, opened with the referral's unwrapped key."""
        found, _ = self.items.query(partition_key(reference), REPLY_PREFIX)
        replies = [reply_from_item(item, sealed) for item in found]
        return sorted(replies, key=lambda reply: (reply.received_at, reply.reply_id))

    def reply_ids(self, reference: str) -> list[str]:
        """Metadata only (retention): the ids of a referral's replies, nothing decrypted."""
        found, _ = self.items.query(partition_key(reference), REPLY_PREFIX)
        return [item["reply_id"] for item in found]

    def delete_replies(self, reference: str, reply_ids: list[str]) -> None:
        self.items.delete([(partition_key(reference), REPLY_PREFIX + reply_id) for reply_id in reply_ids])

    # Retention deletes a referral in one transaction; its replies and their files go just after.
    # A marker written before says "this referral's replies are to go", so if that second step
    # fails, the next sweep finishes it (and drops the marker if the referral was not deleted).

    def mark_for_cleanup(self, reference: str) -> None:
        self.items.put_new([{"pk": CLEANUP_PK, "sk": reference, "reference": reference}])  # once is enough

    def pending_cleanups(self) -> list[str]:
        found, _ = self.items.query(CLEANUP_PK, "")
        return [item["reference"] for item in found]

    def cleanup_done(self, reference: str) -> None:
        self.items.delete([(CLEANUP_PK, reference)])


class InMemoryReplyStore(ReplyStore):
    def __init__(self, items: InMemoryItems | None = None) -> None:
        super().__init__(items or InMemoryItems())


class DynamoReplyStore(ReplyStore):
    def __init__(self, dynamodb_client: Any, table_name: str) -> None:
        super().__init__(DynamoItems(dynamodb_client, table_name))


# -- triage -----------------------------------------------------------------------------------------


def triage_record(triage_id: str) -> str:
    """The record id a triage item's data key is bound to (KMS encryption context and every field's AAD)."""
    return f"triage:{triage_id}"


def _line_sk(status: TriageStatus, received_at: dt.datetime, triage_id: str) -> str:
    return f"{status.value}#{_iso(received_at)}#{triage_id}"


def _line(item: dict[str, Any]) -> dict[str, Any]:
    """The list line of a stored triage item: metadata only."""
    return _compact(
        {
            "pk": TRIAGE_LIST_PK,
            "sk": item["list_sk"],
            "triage_id": item["triage_id"],
            "received_at": item["received_at"],
            "reason": item["reason"],
            "status": item["status"],
            "claimed_reference": item.get("claimed_reference"),
            "claimed_enquiry_id": item.get("claimed_enquiry_id"),
            "attachment_count": len(item.get("attachments", [])),
            "decided_by": item.get("decided_by"),
            "decided_at": item.get("decided_at"),
        }
    )


def summary_from_line(line: dict[str, Any]) -> TriageSummary:
    return TriageSummary(
        triage_id=line["triage_id"],
        received_at=_parse(line["received_at"]),  # type: ignore[arg-type]
        reason=TriageReason(line["reason"]),
        status=TriageStatus(line["status"]),
        claimed_reference=line.get("claimed_reference"),
        claimed_enquiry_id=line.get("claimed_enquiry_id"),
        attachment_count=int(line.get("attachment_count", 0)),
        decided_by=line.get("decided_by"),
        decided_at=_parse(line.get("decided_at")),
    )


def encode_triage_cursor(key: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_triage_cursor(cursor: str, status: TriageStatus) -> dict[str, str]:
    refused = InvalidCursor("cursor is not one this API gave out for this list: start again without it")
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise refused from None
    if (
        not isinstance(key, dict)
        or set(key) != {"pk", "sk"}
        or key["pk"] != TRIAGE_LIST_PK
        or not isinstance(key["sk"], str)
        or not key["sk"].startswith(f"{status.value}#")
    ):
        raise refused
    return key


class TriageStore:
    def __init__(self, items: Items, cipher: FieldCipher) -> None:
        self.items = items
        self.cipher = cipher

    def add_triage(self, item: TriageItem) -> bool:
        """Store a new item (waiting) under a new data key; a repeat changes nothing and returns False."""
        sealed = self.cipher.seal(triage_record(item.triage_id))
        stored = _compact(
            {
                "pk": TRIAGE_ITEM_PREFIX + item.triage_id,
                "sk": TRIAGE_ITEM_SK,
                "triage_id": item.triage_id,
                "received_at": _iso(item.received_at),
                "reason": item.reason.value,
                "status": TriageStatus.WAITING.value,
                "list_sk": _line_sk(TriageStatus.WAITING, item.received_at, item.triage_id),
                "source_key": item.source_key,
                "claimed_reference": item.claimed_reference,
                "claimed_enquiry_id": item.claimed_enquiry_id,
                "verdicts": dict(item.verdicts) if item.verdicts else None,
                "attachments": _attachments_to_list(item.attachments) or None,
                "data_key": sealed.encrypted_key,
            }
        )
        if item.reason is not TriageReason.VIRUS:  # a quarantined message was never opened: nothing to seal
            stored[CONTENT_FIELD] = sealed.encrypt(
                "content",
                {
                    "sender": item.sender,
                    "subject": item.subject,
                    "text": item.text,
                    "full_text": item.full_text,
                    "filenames": {a.attachment_id: a.filename for a in item.attachments},
                },
            )
        return self.items.put_new([stored, _line(stored)])

    def has_triage(self, triage_id: str) -> bool:
        return self.items.get(TRIAGE_ITEM_PREFIX + triage_id, TRIAGE_ITEM_SK) is not None

    def list_triage(
        self, status: TriageStatus | str = TriageStatus.WAITING, limit: int = 50, cursor: str | None = None
    ) -> tuple[list[TriageSummary], str | None]:
        """One status, newest first: metadata only, no KMS call."""
        status = TriageStatus(status)
        start = decode_triage_cursor(cursor, status) if cursor else None
        lines, last = self.items.query(TRIAGE_LIST_PK, f"{status.value}#", newest_first=True, limit=limit, start=start)
        return [summary_from_line(line) for line in lines], (encode_triage_cursor(last) if last else None)

    def open_triage(self, triage_id: str, *, viewer: str | None = None, at: dt.datetime | None = None) -> TriageItem:
        """The item with its content decrypted (one KMS Decrypt). With a viewer, the view is recorded on the
        item first, in the same write that reads it back: no content is read without its record."""
        key = (TRIAGE_ITEM_PREFIX + triage_id, TRIAGE_ITEM_SK)
        if viewer is not None:
            if at is None:
                raise ValueError("a recorded view needs its time")
            stored = self.items.append_view(*key, {"by": viewer, "at": _iso(at)})
        else:
            stored = self.items.get(*key)
        if stored is None:
            raise TriageNotFound(triage_id)
        return self._from_item(stored)

    def metadata(self, triage_id: str) -> TriageItem:
        """The item without its content: nothing decrypted."""
        stored = self.items.get(TRIAGE_ITEM_PREFIX + triage_id, TRIAGE_ITEM_SK)
        if stored is None:
            raise TriageNotFound(triage_id)
        return self._from_item(stored, decrypt=False)

    def decide_triage(
        self,
        triage_id: str,
        status: TriageStatus,
        *,
        by: str,
        at: dt.datetime,
        note: str | None = None,
        attached_to: tuple[str, str] | None = None,
    ) -> TriageItem:
        """Attach or reject a waiting item. TriageAlreadyDecided if someone decided it first.

        Attached: its content now lives on the referral (under the referral's key and retention), so
        the copy here is removed; only the metadata and where it went are kept.
        """
        if status is TriageStatus.WAITING:
            raise ValueError("a decision attaches or rejects")
        key = (TRIAGE_ITEM_PREFIX + triage_id, TRIAGE_ITEM_SK)
        stored = self.items.get(*key)
        if stored is None:
            raise TriageNotFound(triage_id)
        if stored["status"] != TriageStatus.WAITING.value:
            raise TriageAlreadyDecided(triage_id)
        new_sk = _line_sk(status, _parse(stored["received_at"]), triage_id)  # type: ignore[arg-type]
        sets: dict[str, Any] = {"status": status.value, "decided_by": by, "decided_at": _iso(at), "list_sk": new_sk}
        removes: list[str] = []
        if note:
            sealed = self.cipher.open(triage_record(triage_id), bytes(stored["data_key"]))
            sets[NOTE_FIELD] = sealed.encrypt("decision_note", note)
        if attached_to:
            sets["attached_reference"], sets["attached_enquiry_id"] = attached_to
            removes.append(CONTENT_FIELD)
        decided = {**stored, **sets}
        for name in removes:
            decided.pop(name, None)
        try:
            self.items.decide(
                key, TriageStatus.WAITING.value, sets, removes, (TRIAGE_LIST_PK, stored["list_sk"]), _line(decided)
            )
        except _ConditionFailed:
            raise TriageAlreadyDecided(triage_id) from None
        return self._from_item(decided, decrypt=False)

    def rejected_before(self, cutoff: dt.datetime, limit: int = 100) -> list[str]:
        """Ids of rejected items decided before `cutoff`, oldest received first (metadata only)."""
        lines, _ = self.items.query(TRIAGE_LIST_PK, f"{TriageStatus.REJECTED.value}#", limit=limit)
        return [
            line["triage_id"]
            for line in lines
            if (decided := _parse(line.get("decided_at"))) is not None and decided < cutoff
        ]

    def delete_triage(self, triage_id: str) -> None:
        """The item and its list line. Its files (if any) are the caller's to delete first."""
        stored = self.items.get(TRIAGE_ITEM_PREFIX + triage_id, TRIAGE_ITEM_SK)
        if stored is None:
            return
        self.items.delete([(TRIAGE_ITEM_PREFIX + triage_id, TRIAGE_ITEM_SK), (TRIAGE_LIST_PK, stored["list_sk"])])

    def _from_item(self, stored: dict[str, Any], *, decrypt: bool = True) -> TriageItem:
        triage_id = stored["triage_id"]
        content: dict[str, Any] = {}
        note = None
        if decrypt and (CONTENT_FIELD in stored or NOTE_FIELD in stored):
            sealed = self.cipher.open(triage_record(triage_id), bytes(stored["data_key"]))
            if CONTENT_FIELD in stored:
                content = sealed.decrypt("content", bytes(stored[CONTENT_FIELD]))
            if NOTE_FIELD in stored:
                note = sealed.decrypt("decision_note", bytes(stored[NOTE_FIELD]))
        return TriageItem(
            triage_id=triage_id,
            received_at=_parse(stored["received_at"]),  # type: ignore[arg-type]
            reason=TriageReason(stored["reason"]),
            status=TriageStatus(stored["status"]),
            source_key=stored["source_key"],
            claimed_reference=stored.get("claimed_reference"),
            claimed_enquiry_id=stored.get("claimed_enquiry_id"),
            sender=content.get("sender"),
            subject=content.get("subject"),
            text=content.get("text"),
            full_text=content.get("full_text"),
            attachments=_attachments_from_list(stored.get("attachments", []), content.get("filenames", {})),
            verdicts=dict(stored["verdicts"]) if stored.get("verdicts") else None,
            decided_by=stored.get("decided_by"),
            decided_at=_parse(stored.get("decided_at")),
            decision_note=note,
            attached_reference=stored.get("attached_reference"),
            attached_enquiry_id=stored.get("attached_enquiry_id"),
            views=tuple(TriageView(v["by"], _parse(v["at"])) for v in stored.get("views", [])),  # type: ignore[arg-type]
        )


class InMemoryTriageStore(TriageStore):
    def __init__(self, cipher: FieldCipher, items: InMemoryItems | None = None) -> None:
        super().__init__(items or InMemoryItems(), cipher)


class DynamoTriageStore(TriageStore):
    def __init__(self, dynamodb_client: Any, table_name: str, cipher: FieldCipher) -> None:
        super().__init__(DynamoItems(dynamodb_client, table_name), cipher)
