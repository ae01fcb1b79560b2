"""The in-memory twins of the reply and triage stores: domain objects in dicts, no table.

They keep the contract of their DynamoDB twins (tests/test_reply_store.py, tests/test_triage_store.py):
the same answers, refusals, order and cursors. What they hold is never serialised, so nothing here is
encrypted; a reply remembers the data key it was sealed under instead, so that, as in DynamoDB, it
opens only with that key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from chalicelib.adapters.agency_replies import (
    TRIAGE_LIST_PK,
    ReplyStore,
    TriageStore,
    decision_must_be_made,
    decode_triage_cursor,
    encode_triage_cursor,
    list_line_sk,
    must_be_sealed_for_its_referral,
    oldest_first,
)
from chalicelib.adapters.envelope import DecryptionFailed, SealedRecord
from chalicelib.domain.agency_replies import (
    AgencyReply,
    TriageAlreadyDecided,
    TriageItem,
    TriageNotFound,
    TriageReason,
    TriageStatus,
    TriageSummary,
    TriageView,
)


class InMemoryReplyStore(ReplyStore):
    def __init__(self) -> None:
        # reference -> reply id -> the reply and the encrypted data key it was sealed under
        self.replies: dict[str, dict[str, tuple[AgencyReply, bytes]]] = {}
        self.cleanups: set[str] = set()

    def add_reply(self, sealed: SealedRecord, reply: AgencyReply) -> bool:
        must_be_sealed_for_its_referral(reply, sealed)
        held = self.replies.setdefault(reply.reference, {})
        if reply.reply_id in held:
            return False
        held[reply.reply_id] = (reply, sealed.encrypted_key)
        return True

    def has_reply(self, reference: str, reply_id: str) -> bool:
        return reply_id in self.replies.get(reference, {})

    def replies_of(self, reference: str, sealed: SealedRecord) -> list[AgencyReply]:
        held = self.replies.get(reference, {}).values()
        if any(data_key != sealed.encrypted_key for _, data_key in held):
            raise DecryptionFailed("sealed under another data key")
        return oldest_first([reply for reply, _ in held])

    def reply_ids(self, reference: str) -> list[str]:
        return sorted(self.replies.get(reference, {}))

    def delete_replies(self, reference: str, reply_ids: list[str]) -> None:
        held = self.replies.get(reference, {})
        for reply_id in reply_ids:
            held.pop(reply_id, None)

    def mark_for_cleanup(self, reference: str) -> None:
        self.cleanups.add(reference)

    def pending_cleanups(self) -> list[str]:
        return sorted(self.cleanups)

    def cleanup_done(self, reference: str) -> None:
        self.cleanups.discard(reference)


def _content_removed(item: TriageItem) -> TriageItem:
    """The sealed content gone (sender, subject, texts, file names); the decision's note kept."""
    nameless = tuple(replace(attachment, filename="") for attachment in item.attachments)
    return replace(item, sender=None, subject=None, text=None, full_text=None, attachments=nameless)


def _line_sk(item: TriageItem) -> str:
    return list_line_sk(item.status, item.received_at, item.triage_id)


def _summary(item: TriageItem) -> TriageSummary:
    return TriageSummary(
        triage_id=item.triage_id,
        received_at=item.received_at,
        reason=item.reason,
        status=item.status,
        claimed_reference=item.claimed_reference,
        claimed_enquiry_id=item.claimed_enquiry_id,
        attachment_count=len(item.attachments),
        decided_by=item.decided_by,
        decided_at=item.decided_at,
    )


class InMemoryTriageStore(TriageStore):
    def __init__(self) -> None:
        self.items: dict[str, TriageItem] = {}

    def add_triage(self, item: TriageItem) -> bool:
        if item.triage_id in self.items:
            return False
        waiting = TriageItem(  # only what a new item holds: no decision, no views yet
            triage_id=item.triage_id,
            received_at=item.received_at,
            reason=item.reason,
            status=TriageStatus.WAITING,
            source_key=item.source_key,
            claimed_reference=item.claimed_reference,
            claimed_enquiry_id=item.claimed_enquiry_id,
            sender=item.sender,
            subject=item.subject,
            text=item.text,
            full_text=item.full_text,
            attachments=item.attachments,
            verdicts=dict(item.verdicts) if item.verdicts else None,
        )
        # A quarantined message was never opened: nothing of its content is kept.
        self.items[item.triage_id] = _content_removed(waiting) if item.reason is TriageReason.VIRUS else waiting
        return True

    def has_triage(self, triage_id: str) -> bool:
        return triage_id in self.items

    def list_triage(
        self, status: TriageStatus | str = TriageStatus.WAITING, limit: int = 50, cursor: str | None = None
    ) -> tuple[list[TriageSummary], str | None]:
        status = TriageStatus(status)
        after = decode_triage_cursor(cursor, status)["sk"] if cursor else None
        newest = sorted((i for i in self.items.values() if i.status is status), key=_line_sk, reverse=True)
        following = [item for item in newest if after is None or _line_sk(item) < after]
        page = following[:limit]
        more = len(following) > limit
        next_cursor = encode_triage_cursor({"pk": TRIAGE_LIST_PK, "sk": _line_sk(page[-1])}) if more else None
        return [_summary(item) for item in page], next_cursor

    def open_triage(self, triage_id: str, *, viewer: str | None = None, at: dt.datetime | None = None) -> TriageItem:
        if viewer is not None and at is None:
            raise ValueError("a recorded view needs its time")
        item = self._held(triage_id)
        if viewer is not None and at is not None:
            item = replace(item, views=(*item.views, TriageView(viewer, at)))
            self.items[triage_id] = item
        return item

    def metadata(self, triage_id: str) -> TriageItem:
        return replace(_content_removed(self._held(triage_id)), decision_note=None)

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
        item = self._held(triage_id)
        if item.status is not TriageStatus.WAITING:
            raise TriageAlreadyDecided(triage_id)
        decided = replace(item, status=status, decided_by=by, decided_at=at, decision_note=note or None)
        if attached_to:
            reference, enquiry_id = attached_to
            decided = _content_removed(replace(decided, attached_reference=reference, attached_enquiry_id=enquiry_id))
        self.items[triage_id] = decided
        return self.metadata(triage_id)

    def rejected_before(self, cutoff: dt.datetime, limit: int = 100) -> list[str]:
        rejected = [item for item in self.items.values() if item.status is TriageStatus.REJECTED]
        oldest = sorted(rejected, key=_line_sk)[:limit]
        return [item.triage_id for item in oldest if item.decided_at is not None and item.decided_at < cutoff]

    def delete_triage(self, triage_id: str) -> None:
        self.items.pop(triage_id, None)

    def _held(self, triage_id: str) -> TriageItem:
        item = self.items.get(triage_id)
        if item is None:
            raise TriageNotFound(triage_id)
        return item
