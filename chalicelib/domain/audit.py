"""Tamper-evident audit: each referral's events form a hash chain.

Every event carries the SHA-256 of the one before it; changing, deleting or reordering any
event breaks every link after it. Events hold ids and codes, never personal data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum

GENESIS = "0" * 64


class AuditAction(StrEnum):
    RECEIVED = "referral.received"
    VIEWED = "referral.viewed"
    SCREENED = "referral.screened"
    DECISION_RECORDED = "decision.recorded"
    DECISION_APPROVED = "decision.approved"
    DECISION_RETURNED = "decision.returned"
    CLOSED = "referral.closed"
    EXPORTED = "referral.exported"


@dataclass(frozen=True)
class AuditEvent:
    reference: str
    sequence: int
    action: AuditAction
    at: dt.datetime
    actor: str
    role: str
    request_id: str | None
    previous_hash: str
    details: dict[str, str] = field(default_factory=dict)

    def canonical(self) -> bytes:
        data = asdict(self)
        data["at"] = self.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
        data["action"] = self.action.value
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


@dataclass(frozen=True)
class ChainHead:
    """Where a referral's chain stands: the next event's sequence and previous hash."""

    sequence: int = 0
    last_hash: str = GENESIS

    def append(
        self,
        reference: str,
        action: AuditAction,
        *,
        at: dt.datetime,
        actor: str,
        role: str,
        request_id: str | None,
        details: dict[str, str] | None = None,
    ) -> tuple[AuditEvent, ChainHead]:
        event = AuditEvent(
            reference=reference,
            sequence=self.sequence + 1,
            action=action,
            at=at,
            actor=actor,
            role=role,
            request_id=request_id,
            previous_hash=self.last_hash,
            details=dict(details or {}),
        )
        return event, ChainHead(event.sequence, event.hash)


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    events: int
    first_broken_sequence: int | None = None
    problem: str | None = None


def verify_chain(events: list[AuditEvent], head: ChainHead | None = None) -> ChainReport:
    """Check sequence numbers run 1..n without gaps and every link matches.

    With the head stored on the referral, deleting the newest events is caught too.
    """
    previous = GENESIS
    for expected, event in enumerate(events, start=1):
        if event.sequence != expected:
            return ChainReport(False, len(events), expected, f"event {expected} is missing or out of order")
        if event.previous_hash != previous:
            return ChainReport(False, len(events), expected, f"event {expected} does not follow event {expected - 1}")
        previous = event.hash
    if head is not None and (head.sequence != len(events) or head.last_hash != previous):
        return ChainReport(False, len(events), len(events) + 1, "the newest events are missing or were changed")
    return ChainReport(True, len(events))
