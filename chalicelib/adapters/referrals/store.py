"""The referral store's contract: encoding and the rules, shared by both stores.

`ReferralStore` turns referrals into items (`item_codec`) and back, and keeps the rules (a new
reference once, optimistic locking, the audit chain, retention); `DynamoReferralStore`
(`dynamo.py`) and its in-memory twin (`memory.py`) only move items.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.adapters.enquiry_codec import enquiries_to_map
from chalicelib.adapters.envelope import FieldCipher, SealedRecord
from chalicelib.adapters.referrals.allocation_codec import CARD_ATTRIBUTE, owner_partition
from chalicelib.adapters.referrals.item_codec import (
    AUDIT_PREFIX,
    OpenReferral,
    ReferralSummary,
    audit_from_item,
    audit_to_item,
    from_item,
    opened_from_item,
    summary_from_item,
    to_item,
)
from chalicelib.adapters.referrals.keys import CHILD_PREFIX, REFERRAL_SK, iso, parse, partition_key
from chalicelib.adapters.referrals.notice_codec import notice_to_map, outbox_attributes, task_to_map
from chalicelib.adapters.referrals.queue_rows import (
    QueuePage,
    QueueRow,
    decode_cursor,
    encode_cursor,
    has_undelivered_notice,
    queue_row,
)
from chalicelib.adapters.referrals.search_index import (
    SEARCH_PREFIX,
    SearchEntry,
    SearchRow,
    search_entry_items,
)
from chalicelib.adapters.referrals.sent_markers import (
    MESSAGE_PREFIX,
    MESSAGE_SK,
    SENT_PREFIX,
    SentMessage,
    message_index_item,
    sent_marker_item,
)
from chalicelib.adapters.referrals.timeliness_reads import timeliness_row
from chalicelib.domain.audit import AuditEvent, ChainHead
from chalicelib.domain.census import census_fields
from chalicelib.domain.failures import ReferralNotFound
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.review_dates import review_due_on
from chalicelib.domain.rollups import DayCounts, DayRollup, merged, rollup_delta
from chalicelib.domain.timeliness import ReferralTimes


@dataclass(frozen=True)
class RetentionFacts:
    reference: str
    version: int
    child_keys: tuple[str, ...]
    audit_head: ChainHead
    outcome: str | None
    closed_at: dt.datetime | None
    deletable_after: dt.datetime | None
    notice_ids: tuple[str, ...] = ()
    search_keys: tuple[str, ...] = ()


# DynamoDB's limit on the items of one transaction.
MAX_TRANSACTION_ITEMS = 100


class ReferralStore:
    """Base of both stores: encoding and the rules; subclasses only move items."""

    def __init__(self, cipher: FieldCipher) -> None:
        self.cipher = cipher

    def add(
        self, referral: Referral, *, search_card: bytes | None = None, audit: tuple[AuditEvent, ...] = ()
    ) -> SealedRecord:
        """Store a new referral under one new data key; ReferenceTaken if the reference exists.

        Its child index and search index entries, and its first audit events (the receipt), go in
        the same transaction: a stored referral is always found and its chain starts at receipt,
        and a refused one (its reference taken) leaves no entry behind.
        """
        if audit:
            referral = replace(referral, audit_head=ChainHead(audit[-1].sequence, audit[-1].hash))
        sealed = self.cipher.seal(referral.reference)
        item = to_item(referral, sealed)
        if search_card is not None:
            item[CARD_ATTRIBUTE] = search_card  # for the work queue too (allocation_codec)
        index = self._child_index_items(referral.reference, referral.child_keys)
        # Its counts go on the daily rollups in the same transaction (domain/rollups.py), with its
        # first audit event (the receipt).
        counts = rollup_delta(None, census_fields(referral))
        index_and_audit = index + search_entry_items(referral, search_card) + [audit_to_item(e) for e in audit]
        self._put_new(item, index_and_audit, rollups=counts)
        return sealed

    def fetch(self, reference: str) -> Referral:
        """The whole referral, decrypted (one KMS Decrypt)."""
        return from_item(self._get(reference), self.cipher)

    def fetch_summary(self, reference: str) -> ReferralSummary:
        return summary_from_item(self._get(reference))

    def open(self, reference: str) -> OpenReferral:
        """Decrypted, with its data key kept for sealing changes (one KMS Decrypt in all)."""
        return opened_from_item(self._get(reference), self.cipher)

    def save(self, opened: OpenReferral, updated: Referral, audit: list[AuditEvent]) -> Referral:
        """Write a change and its audit events in one transaction.

        Refused (StaleReferral) if the referral changed or its audit chain grew since it was read:
        the caller reads again and re-applies, so no change and no audit event is lost.
        """
        if audit:
            updated = replace(updated, audit_head=ChainHead(audit[-1].sequence, audit[-1].hash))
        stored = replace(updated, version=opened.referral.version + 1)
        self._replace_together(
            [
                (
                    self._item_of(opened, stored),
                    (opened.referral.version, opened.referral.audit_head.sequence),
                    [audit_to_item(event) for event in audit],
                )
            ],
            rollups=rollup_delta(census_fields(opened.referral), census_fields(stored)),
        )
        return stored

    @staticmethod
    def _item_of(opened: OpenReferral, stored: Referral) -> dict[str, Any]:
        """The item a change writes, keeping the sealed search card the work queue shows names from."""
        item = to_item(stored, opened.sealed)
        if opened.card is not None:
            item[CARD_ATTRIBUTE] = opened.card
        return item

    def save_together(self, changes: list[tuple[OpenReferral, Referral, list[AuditEvent]]]) -> list[Referral]:
        """Write changes to several referrals (a link: both sides) and their audit events in one
        transaction: all or none. StaleReferral if any of them changed since it was read."""
        writes, saved, deltas = [], [], []
        for opened, updated, audit in changes:
            if audit:
                updated = replace(updated, audit_head=ChainHead(audit[-1].sequence, audit[-1].hash))
            stored = replace(updated, version=opened.referral.version + 1)
            expected = (opened.referral.version, opened.referral.audit_head.sequence)
            writes.append((self._item_of(opened, stored), expected, [audit_to_item(event) for event in audit]))
            saved.append(stored)
            deltas.append(rollup_delta(census_fields(opened.referral), census_fields(stored)))
        self._replace_together(writes, rollups=merged(deltas))
        return saved

    def append_audit(self, referral: Referral, events: list[AuditEvent]) -> Referral:
        """Append audit events alone (e.g. a read): the referral's version is left as it is."""
        head = ChainHead(events[-1].sequence, events[-1].hash)
        self._append_audit(referral.reference, referral.audit_head.sequence, head, [audit_to_item(e) for e in events])
        return replace(referral, audit_head=head)

    def audit_trail(self, reference: str) -> tuple[list[AuditEvent], ChainHead | None]:
        """Every audit event of a referral in order, and the chain head stored on the referral."""
        items = self._partition(reference)
        referral = next((i for i in items if i["sk"] == REFERRAL_SK), None)
        events = sorted(
            (audit_from_item(i) for i in items if i["sk"].startswith(AUDIT_PREFIX)), key=lambda e: e.sequence
        )
        if referral is None:
            if not events:
                raise ReferralNotFound(reference)
            # Deleted by retention: its audit events (ids and codes only) are the receipt.
            return events, None
        head = ChainHead(int(referral.get("audit_seq", 0)), referral.get("audit_head", ChainHead().last_hash))
        return events, head

    def retention_facts(self, reference: str) -> RetentionFacts:
        """What the retention sweep needs, read from clear metadata: nothing is decrypted."""
        item = self._get(reference)
        retention_until = parse(item.get("retention_until"))
        return RetentionFacts(
            reference=reference,
            version=int(item["version"]),
            child_keys=tuple(item.get("child_keys", ())),
            audit_head=ChainHead(int(item.get("audit_seq", 0)), item.get("audit_head", ChainHead().last_hash)),
            outcome=item.get("outcome"),
            closed_at=parse(item.get("closed_at")),
            deletable_after=None if "hold_by" in item else retention_until,
            notice_ids=tuple(item.get("notices", {})),
            search_keys=tuple(item.get("search_keys", ())),
        )

    def delete_with_receipt(self, facts: RetentionFacts, receipt: AuditEvent) -> None:
        """Delete a referral and its index entries, leaving the receipt, all at once."""
        pk = partition_key(facts.reference)
        index_keys = [(CHILD_PREFIX + key, pk) for key in facts.child_keys]
        # The markers of emails SES accepted (message ids only) go with the referral too.
        index_keys += [(pk, SENT_PREFIX + notice_id) for notice_id in facts.notice_ids]
        search_keys = [(SEARCH_PREFIX + key, pk) for key in facts.search_keys]
        if len(index_keys) + len(search_keys) + 2 <= MAX_TRANSACTION_ITEMS:
            index_keys += search_keys
        else:
            # Too many for one transaction: the search entries (keyed hashes and cards) go first,
            # so none outlives the referral; if a hold then stops the deletion, the sweep's next
            # run finds the referral still held and nothing but its search entries is gone.
            self._delete_index(search_keys)
        self._delete_with_receipt(facts.reference, facts.version, index_keys, audit_to_item(receipt))

    def references_due_for_deletion(self, now: dt.datetime, limit: int = 50) -> list[str]:
        items, _ = self._closed_before(iso(now), limit)
        return [item["reference"] for item in items]

    @staticmethod
    def _child_index_items(reference: str, child_keys: tuple[str, ...]) -> list[dict[str, Any]]:
        return [{"pk": CHILD_PREFIX + key, "sk": f"REF#{reference}", "reference": reference} for key in child_keys]

    def reindex(
        self,
        referral: Referral,
        *,
        child_keys: tuple[str, ...],
        search_keys: tuple[str, ...],
        search_card: bytes | None,
        card_missing: bool = False,
    ) -> bool:
        """Give a stored referral these child and search index keys (a re-index after the way
        names are folded changed, or for a referral stored before search existed), and the search
        card on its item when `card_missing` (stored before the queue showed names).

        One transaction: the referral's keys (its version bumped, so a change read before this is
        refused and read again rather than writing the old keys back), the entries it gains and the
        entries it loses; StaleReferral if it changed since `referral` was read. Returns False, and
        writes nothing, when it already has exactly these keys.
        """
        same_keys = set(child_keys) == set(referral.child_keys) and set(search_keys) == set(referral.search_keys)
        if same_keys and not (card_missing and search_card):
            return False
        pk = partition_key(referral.reference)
        gained_children = tuple(key for key in child_keys if key not in referral.child_keys)
        gained = replace(referral, search_keys=tuple(key for key in search_keys if key not in referral.search_keys))
        puts = self._child_index_items(referral.reference, gained_children) + search_entry_items(gained, search_card)
        lost = [(CHILD_PREFIX + key, pk) for key in referral.child_keys if key not in child_keys]
        lost += [(SEARCH_PREFIX + key, pk) for key in referral.search_keys if key not in search_keys]
        if len(puts) + len(lost) + 1 > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"re-indexing {referral.reference} needs more than one transaction")
        item_card = search_card if card_missing else None
        self._reindex(referral.reference, referral.version, child_keys, search_keys, puts, lost, item_card)
        return True

    def stored_references(self) -> list[str]:
        """Every referral still stored (open or closed): references only, nothing decrypted."""
        raise NotImplementedError

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
        raise NotImplementedError

    def search_entries(self, search_key: str, limit: int) -> list[SearchEntry]:
        """The index entries under one term's keyed hash, at most `limit` (the caller asks one
        more than it will take, to know a term is too broad)."""
        raise NotImplementedError

    def search_rows(self, references: list[str]) -> list[SearchRow]:
        """The clear status and received time of these referrals (those still stored)."""
        raise NotImplementedError

    def referrals_of_child(self, child_key: str, exclude: str | None = None) -> list[ReferralSummary]:
        """Every referral indexed under this child's keyed hash: metadata only, nothing decrypted.

        An index item whose referral does not carry the same key (one left behind when a
        reference clashed and the referral went elsewhere) is ignored, never shown.
        """
        found = []
        for reference in self._indexed_references(CHILD_PREFIX + child_key):
            if reference == exclude:
                continue  # the referral being read: no need to read it again
            try:
                summary = self.fetch_summary(reference)
            except ReferralNotFound:
                continue
            if child_key in summary.child_keys:
                found.append(summary)
        return sorted(found, key=lambda summary: summary.received_at)

    def list_queue(
        self,
        *,
        status: str | None = None,
        rag: str | None = None,
        limit: int = 25,
        cursor: str | None = None,
        undelivered: bool = False,
    ) -> QueuePage:
        start = decode_cursor(cursor) if cursor else None
        items, last_key = self._queue_items(status, rag, limit, start, undelivered=undelivered)
        return QueuePage([queue_row(i) for i in items], encode_cursor(last_key) if last_key else None)

    def list_owned(self, owner: str, *, limit: int = 100) -> tuple[list[QueueRow], bool]:
        """The open referrals this member of staff owns, most urgent first (the sparse owner index:
        clear metadata only), and whether there are more than `limit`."""
        items, more = self._owned_items(owner_partition(owner), limit)
        return [queue_row(item) for item in items], more

    def _owned_items(self, owner_pk: str, limit: int) -> tuple[list[dict[str, Any]], bool]:
        raise NotImplementedError

    def save_notices(self, referral: Referral) -> Referral:
        """Record notices' delivery state; refuses if the referral changed since it was read."""
        notices = {n.notice_id: notice_to_map(n) for n in referral.notices}
        # Tasks and the queue's "undelivered" flag ride along: a bounce raises a task in the same write.
        tasks = {task.task_id: task_to_map(task) for task in referral.tasks} or None
        self._update_notices(
            referral.reference,
            referral.version,
            notices,
            outbox_attributes(referral),
            tasks=tasks,
            undelivered=has_undelivered_notice(referral),
            enquiries=enquiries_to_map(referral.enquiries),
            review_due=review.isoformat() if (review := review_due_on(referral)) else None,
        )
        return _bump(referral)

    def metadata_received_between(self, start: dt.datetime, end: dt.datetime) -> list[ReferralTimes]:
        """Every referral received in [start, end), as clear metadata for the timeliness report:
        only TIMELINESS_ATTRIBUTES are read (never a pd_ field) and no key is unwrapped."""
        return [timeliness_row(item) for item in self._received_between(iso(start), iso(end))]

    def _received_between(self, start: str, end: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def daily_rollups(self, first: dt.date, last: dt.date) -> list[DayRollup]:
        """The stored days' rollups from `first` to `last` (London dates, both included); a day with
        nothing counted has no item. One Query, whatever the number of referrals."""
        raise NotImplementedError

    def _get(self, reference: str) -> dict[str, Any]:
        raise NotImplementedError

    def _put_new(
        self, item: dict[str, Any], index_items: list[dict[str, Any]], *, rollups: DayCounts | None = None
    ) -> None:
        raise NotImplementedError

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
        raise NotImplementedError

    def references_with_notices_due(self, now: dt.datetime, limit: int = 50) -> list[str]:
        raise NotImplementedError

    def _append_audit(
        self, reference: str, expected_seq: int, head: ChainHead, audit_items: list[dict[str, Any]]
    ) -> None:
        raise NotImplementedError

    def _replace_together(
        self,
        writes: list[tuple[dict[str, Any], tuple[int, int], list[dict[str, Any]]]],
        *,
        rollups: DayCounts | None = None,
    ) -> None:
        """Each (item, (expected version, expected audit sequence), audit items), and the counts to add
        to the daily rollups, in one transaction."""
        raise NotImplementedError

    def _partition(self, reference: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _queue_items(
        self,
        status: str | None,
        rag: str | None,
        limit: int,
        start: dict[str, str] | None,
        *,
        undelivered: bool = False,
    ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        raise NotImplementedError

    def _put_index(self, items: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def _delete_with_receipt(
        self, reference: str, version: int, index_keys: list[tuple[str, str]], receipt: dict[str, Any]
    ) -> None:
        raise NotImplementedError

    def _delete_index(self, keys: list[tuple[str, str]]) -> None:
        raise NotImplementedError

    def _closed_before(self, moment: str, limit: int) -> tuple[list[dict[str, Any]], None]:
        raise NotImplementedError

    def _indexed_references(self, pk: str) -> list[str]:
        raise NotImplementedError

    # -- delivery tracking: the message index ---------------------------------------------------

    def save_message_index(self, message_id: str, reference: str, notice_id: str, now: dt.datetime) -> None:
        """Remember which notice an SES message carried, and that the notice was accepted by SES
        (idempotent: the same items again). One BatchWriteItem for both small items."""
        self._put_index(
            [
                message_index_item(message_id, reference, notice_id, now),
                sent_marker_item(reference, notice_id, message_id, now),
            ]
        )

    def fetch_sent_marker(self, reference: str, notice_id: str) -> str | None:
        """The SES message id of a notice SES already accepted, if it did."""
        item = self._get_key(partition_key(reference), SENT_PREFIX + notice_id)
        return item["message_id"] if item else None

    def fetch_sent_message(self, message_id: str) -> SentMessage | None:
        """The notice an SES message id belongs to; None if it was never indexed (or expired)."""
        item = self._get_key(MESSAGE_PREFIX + message_id, MESSAGE_SK)
        if item is None:
            return None
        return SentMessage(reference=item["reference"], notice_id=item["notice_id"])

    def _get_key(self, pk: str, sk: str) -> dict[str, Any] | None:
        raise NotImplementedError


def _bump(referral: Referral) -> Referral:
    return replace(referral, version=referral.version + 1)
