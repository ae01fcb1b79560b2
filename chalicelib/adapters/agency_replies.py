"""Agency replies and the triage list: their stores' contracts, and their DynamoDB twins in the hub's table.

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

from chalicelib.adapters.dynamo_items import compact, parse_time, utc_iso
from chalicelib.adapters.envelope import FieldCipher, SealedRecord
from chalicelib.adapters.referrals import InvalidCursor, partition_key
from chalicelib.adapters.reply_items import ReplyItems
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


def _attachments_to_list(attachments: tuple[StoredAttachment, ...]) -> list[dict[str, Any]]:
    return [
        compact(
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


def must_be_sealed_for_its_referral(reply: AgencyReply, sealed: SealedRecord) -> None:
    if sealed.record_id != reply.reference:
        raise ValueError("a reply is sealed with its own referral's key")


def reply_to_item(reply: AgencyReply, sealed: SealedRecord) -> dict[str, Any]:
    must_be_sealed_for_its_referral(reply, sealed)
    personal = {
        "sender": reply.sender,
        "subject": reply.subject,
        "text": reply.text,
        "full_text": reply.full_text,
        "filenames": {a.attachment_id: a.filename for a in reply.attachments},
    }
    return compact(
        {
            "pk": partition_key(reply.reference),
            "sk": REPLY_PREFIX + reply.reply_id,
            "reply_id": reply.reply_id,
            "enquiry_id": reply.enquiry_id,
            "agency": reply.agency.value,
            "received_at": utc_iso(reply.received_at),
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
        received_at=parse_time(item["received_at"]),  # type: ignore[arg-type]
        sender=personal["sender"],
        subject=personal["subject"],
        text=personal["text"],
        full_text=personal["full_text"],
        attachments=_attachments_from_list(item.get("attachments", []), personal.get("filenames", {})),
        source_key=item.get("source_key"),
        attached_by=item.get("attached_by"),
    )


class ReplyStore:
    """A referral's agency replies, sealed with the referral's key (no KMS call of its own).

    The contract both twins keep (tests/test_reply_store.py): DynamoReplyStore, and the in-memory
    one in agency_replies_memory.py.
    """

    def add_reply(self, sealed: SealedRecord, reply: AgencyReply) -> bool:
        """Store a reply once: a repeat (the same message again) changes nothing and returns False."""
        raise NotImplementedError

    def has_reply(self, reference: str, reply_id: str) -> bool:
        raise NotImplementedError

    def replies_of(self, reference: str, sealed: SealedRecord) -> list[AgencyReply]:
        """Every reply on the referral, oldest first, opened with the referral's unwrapped key
        (DecryptionFailed under any other key)."""
        raise NotImplementedError

    def reply_ids(self, reference: str) -> list[str]:
        """Metadata only (retention): the ids of a referral's replies, nothing decrypted."""
        raise NotImplementedError

    def delete_replies(self, reference: str, reply_ids: list[str]) -> None:
        raise NotImplementedError

    # Retention deletes a referral in one transaction; its replies and their files go just after.
    # A marker written before says "this referral's replies are to go", so if that second step
    # fails, the next sweep finishes it (and drops the marker if the referral was not deleted).

    def mark_for_cleanup(self, reference: str) -> None:
        """Once is enough: marking again changes nothing."""
        raise NotImplementedError

    def pending_cleanups(self) -> list[str]:
        """The marked references, in order."""
        raise NotImplementedError

    def cleanup_done(self, reference: str) -> None:
        raise NotImplementedError


def oldest_first(replies: list[AgencyReply]) -> list[AgencyReply]:
    return sorted(replies, key=lambda reply: (reply.received_at, reply.reply_id))


class DynamoReplyStore(ReplyStore):
    def __init__(self, dynamodb_client: Any, table_name: str) -> None:
        self.items = ReplyItems(dynamodb_client, table_name)

    def add_reply(self, sealed: SealedRecord, reply: AgencyReply) -> bool:
        return self.items.put_new([reply_to_item(reply, sealed)])

    def has_reply(self, reference: str, reply_id: str) -> bool:
        return self.items.get(partition_key(reference), REPLY_PREFIX + reply_id) is not None

    def replies_of(self, reference: str, sealed: SealedRecord) -> list[AgencyReply]:
        found, _ = self.items.query(partition_key(reference), REPLY_PREFIX)
        return oldest_first([reply_from_item(item, sealed) for item in found])

    def reply_ids(self, reference: str) -> list[str]:
        found, _ = self.items.query(partition_key(reference), REPLY_PREFIX)
        return [item["reply_id"] for item in found]

    def delete_replies(self, reference: str, reply_ids: list[str]) -> None:
        self.items.delete([(partition_key(reference), REPLY_PREFIX + reply_id) for reply_id in reply_ids])

    def mark_for_cleanup(self, reference: str) -> None:
        self.items.put_new([{"pk": CLEANUP_PK, "sk": reference, "reference": reference}])

    def pending_cleanups(self) -> list[str]:
        found, _ = self.items.query(CLEANUP_PK, "")
        return [item["reference"] for item in found]

    def cleanup_done(self, reference: str) -> None:
        self.items.delete([(CLEANUP_PK, reference)])


# -- triage -----------------------------------------------------------------------------------------


def triage_record(triage_id: str) -> str:
    """The record id a triage item's data key is bound to (KMS encryption context and every field's AAD)."""
    return f"triage:{triage_id}"


def list_line_sk(status: TriageStatus, received_at: dt.datetime, triage_id: str) -> str:
    return f"{status.value}#{utc_iso(received_at)}#{triage_id}"


def _line(item: dict[str, Any]) -> dict[str, Any]:
    """The list line of a stored triage item: metadata only."""
    return compact(
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
        received_at=parse_time(line["received_at"]),  # type: ignore[arg-type]
        reason=TriageReason(line["reason"]),
        status=TriageStatus(line["status"]),
        claimed_reference=line.get("claimed_reference"),
        claimed_enquiry_id=line.get("claimed_enquiry_id"),
        attachment_count=int(line.get("attachment_count", 0)),
        decided_by=line.get("decided_by"),
        decided_at=parse_time(line.get("decided_at")),
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
    """Mail the hub could not place by itself, waiting for a person to attach it or reject it.

    The contract both twins keep (tests/test_triage_store.py): DynamoTriageStore, and the in-memory
    one in agency_replies_memory.py.
    """

    def add_triage(self, item: TriageItem) -> bool:
        """Store a new item (waiting; a quarantined one without content); a repeat changes nothing
        and returns False."""
        raise NotImplementedError

    def has_triage(self, triage_id: str) -> bool:
        raise NotImplementedError

    def list_triage(
        self, status: TriageStatus | str = TriageStatus.WAITING, limit: int = 50, cursor: str | None = None
    ) -> tuple[list[TriageSummary], str | None]:
        """One status, newest first, a page at a time: metadata only. InvalidCursor for a cursor
        not given out for this list; ValueError for a status that is none."""
        raise NotImplementedError

    def open_triage(self, triage_id: str, *, viewer: str | None = None, at: dt.datetime | None = None) -> TriageItem:
        """The item with its content. With a viewer, the view is recorded before the content is
        returned. TriageNotFound when there is no such item."""
        raise NotImplementedError

    def metadata(self, triage_id: str) -> TriageItem:
        """The item without its content (no sender, subject, text, file names or note)."""
        raise NotImplementedError

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
        """Attach or reject a waiting item, once: TriageAlreadyDecided if someone decided it first.
        Returns its metadata.

        Attached: its content now lives on the referral (under the referral's key and retention), so
        the copy here is removed; only the metadata, the note and where it went are kept.
        """
        raise NotImplementedError

    def rejected_before(self, cutoff: dt.datetime, limit: int = 100) -> list[str]:
        """Ids of rejected items decided before `cutoff`, among the `limit` oldest received."""
        raise NotImplementedError

    def delete_triage(self, triage_id: str) -> None:
        """The item and its line in the list. Its files (if any) are the caller's to delete first."""
        raise NotImplementedError


def decision_must_be_made(status: TriageStatus) -> None:
    if status is TriageStatus.WAITING:
        raise ValueError("a decision attaches or rejects")


class DynamoTriageStore(TriageStore):
    """Each item under its own data key (one KMS GenerateDataKey to add, one Decrypt to open)."""

    def __init__(self, dynamodb_client: Any, table_name: str, cipher: FieldCipher) -> None:
        self.items = ReplyItems(dynamodb_client, table_name)
        self.cipher = cipher

    def add_triage(self, item: TriageItem) -> bool:
        sealed = self.cipher.seal(triage_record(item.triage_id))
        stored = compact(
            {
                "pk": TRIAGE_ITEM_PREFIX + item.triage_id,
                "sk": TRIAGE_ITEM_SK,
                "triage_id": item.triage_id,
                "received_at": utc_iso(item.received_at),
                "reason": item.reason.value,
                "status": TriageStatus.WAITING.value,
                "list_sk": list_line_sk(TriageStatus.WAITING, item.received_at, item.triage_id),
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
        status = TriageStatus(status)  # no KMS call: the list's lines are metadata only
        start = decode_triage_cursor(cursor, status) if cursor else None
        lines, last = self.items.query(TRIAGE_LIST_PK, f"{status.value}#", newest_first=True, limit=limit, start=start)
        return [summary_from_line(line) for line in lines], (encode_triage_cursor(last) if last else None)

    def open_triage(self, triage_id: str, *, viewer: str | None = None, at: dt.datetime | None = None) -> TriageItem:
        # With a viewer, the view is recorded in the same write that reads the item back.
        key = (TRIAGE_ITEM_PREFIX + triage_id, TRIAGE_ITEM_SK)
        if viewer is not None:
            if at is None:
                raise ValueError("a recorded view needs its time")
            stored = self.items.append_view(*key, {"by": viewer, "at": utc_iso(at)})
        else:
            stored = self.items.get(*key)
        if stored is None:
            raise TriageNotFound(triage_id)
        return self._from_item(stored)

    def metadata(self, triage_id: str) -> TriageItem:
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
        decision_must_be_made(status)
        key = (TRIAGE_ITEM_PREFIX + triage_id, TRIAGE_ITEM_SK)
        stored = self.items.get(*key)
        if stored is None:
            raise TriageNotFound(triage_id)
        if stored["status"] != TriageStatus.WAITING.value:
            raise TriageAlreadyDecided(triage_id)
        new_sk = list_line_sk(status, parse_time(stored["received_at"]), triage_id)  # type: ignore[arg-type]
        sets: dict[str, Any] = {"status": status.value, "decided_by": by, "decided_at": utc_iso(at), "list_sk": new_sk}
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
        old_line = (TRIAGE_LIST_PK, stored["list_sk"])
        if not self.items.decide(key, TriageStatus.WAITING.value, sets, removes, old_line, _line(decided)):
            raise TriageAlreadyDecided(triage_id)
        return self._from_item(decided, decrypt=False)

    def rejected_before(self, cutoff: dt.datetime, limit: int = 100) -> list[str]:
        lines, _ = self.items.query(TRIAGE_LIST_PK, f"{TriageStatus.REJECTED.value}#", limit=limit)
        return [
            line["triage_id"]
            for line in lines
            if (decided := parse_time(line.get("decided_at"))) is not None and decided < cutoff
        ]

    def delete_triage(self, triage_id: str) -> None:
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
            received_at=parse_time(stored["received_at"]),  # type: ignore[arg-type]
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
            decided_at=parse_time(stored.get("decided_at")),
            decision_note=note,
            attached_reference=stored.get("attached_reference"),
            attached_enquiry_id=stored.get("attached_enquiry_id"),
            views=tuple(TriageView(v["by"], parse_time(v["at"])) for v in stored.get("views", [])),  # type: ignore[arg-type]
        )
