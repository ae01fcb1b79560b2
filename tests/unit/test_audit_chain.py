"""The audit chain shows any change, deletion or reordering of an event."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from chalicelib.domain.audit import AuditAction, AuditEvent, ChainHead, verify_chain

KEY = b"audit-key"
AT = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


def chain(length: int = 4) -> tuple[list[AuditEvent], ChainHead]:
    head, events = ChainHead(), []
    actions = [AuditAction.VIEWED, AuditAction.SCREENED, AuditAction.DECISION_RECORDED, AuditAction.DECISION_APPROVED]
    for n in range(length):
        event, head = head.append(
            "K7Q-F3M-RW9",
            actions[n % len(actions)],
            at=AT + dt.timedelta(minutes=n),
            actor=f"staff-{n}",
            role="mash-practitioner",
            request_id=f"req-{n}",
            key=KEY,
        )
        events.append(event)
    return events, head


def test_an_untouched_chain_is_intact() -> None:
    events, head = chain()
    report = verify_chain(events, KEY, head)
    assert (report.intact, report.events, report.problem) == (True, 4, None)


def test_changing_one_event_is_detected() -> None:
    events, head = chain()
    events[1] = replace(events[1], actor="someone-else")
    report = verify_chain(events, KEY, head)
    assert (report.intact, report.first_broken_sequence) == (False, 2)
    assert report.problem == "event 2 was changed after it was written"


def test_rebuilding_the_chain_without_the_key_is_detected() -> None:
    events, _head = chain()
    forged_head, forged = ChainHead(), []
    for event in events:
        changed = replace(event, previous_hash=forged_head.last_hash, actor="forger", hash="")
        changed = replace(changed, hash=changed.digest(b"guessed-key"))
        forged.append(changed)
        forged_head = ChainHead(changed.sequence, changed.hash)
    assert verify_chain(forged, KEY, forged_head).intact is False


def test_deleting_an_event_is_detected() -> None:
    events, head = chain()
    del events[2]
    report = verify_chain(events, KEY, head)
    assert (report.intact, report.first_broken_sequence) == (False, 3)


def test_deleting_the_newest_event_is_detected_by_the_stored_head() -> None:
    events, head = chain()
    report = verify_chain(events[:-1], KEY, head)
    assert (report.intact, report.problem) == (False, "the newest events are missing or were changed")


def test_reordering_events_is_detected() -> None:
    events, head = chain()
    events[1], events[2] = events[2], events[1]
    assert verify_chain(events, KEY, head).intact is False
