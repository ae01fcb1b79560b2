"""Notices, tasks and the outbox entry: the clear maps `save_notices` rewrites on every delivery.

Ids, kinds, states and times only: never an address (the default recipient is implied) and
never free text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.referrals.keys import iso, parse
from chalicelib.adapters.table import OUTBOX_PARTITION
from chalicelib.domain.notices import REFERRER, Notice, NoticeKind, NoticeStatus
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.tasks import Task, TaskEnd, TaskKind


def notice_to_map(notice: Notice) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": notice.kind.value,
        "status": notice.status.value,
        "created_at": iso(notice.created_at),
        "attempts": notice.attempts,
        "next_attempt_at": iso(notice.next_attempt_at) if notice.next_attempt_at else None,
        "last_error": notice.last_error,
        "provider_message_id": notice.provider_message_id,
        "sent_at": iso(notice.sent_at) if notice.sent_at else None,
        # The default recipient (the referrer) is implied: every byte of the item is billed.
        "recipient": notice.recipient if notice.recipient != REFERRER else None,
        "history": [list(entry) for entry in notice.history] or None,
    }
    # Absent, not null: every byte of the item is billed on every write.
    return {key: value for key, value in data.items() if value is not None}


def notice_from_map(notice_id: str, data: dict[str, Any]) -> Notice:
    return Notice(
        notice_id=notice_id,
        kind=NoticeKind(data["kind"]),
        status=NoticeStatus(data["status"]),
        created_at=parse(data["created_at"]),  # type: ignore[arg-type]
        next_attempt_at=parse(data.get("next_attempt_at")),
        attempts=int(data.get("attempts", 0)),
        last_error=data.get("last_error"),
        provider_message_id=data.get("provider_message_id"),
        sent_at=parse(data.get("sent_at")),
        recipient=data.get("recipient", REFERRER),
        history=tuple((str(status), str(at)) for status, at in data.get("history", [])),
    )


def outbox_attributes(referral: Referral) -> dict[str, str] | None:
    """The sparse outbox index entry: present only while a notice is waiting to go."""
    due = referral.next_notice_due()
    if due is None:
        return None
    return {"outbox_pk": OUTBOX_PARTITION, "outbox_due": iso(due)}


def task_to_map(task: Task) -> dict[str, Any]:
    data = {
        "kind": task.kind.value,
        "created_at": iso(task.created_at),
        "about": task.about,
        "done_by": task.done_by,
        "done_at": iso(task.done_at) if task.done_at else None,
        "due_on": task.due_on.isoformat() if task.due_on else None,
        # A code (completed or dismissed); the note itself is sealed (task_notes_codec).
        "ended": task.ended.value if task.ended else None,
    }
    return {key: value for key, value in data.items() if value is not None}


def task_from_map(task_id: str, data: dict[str, Any]) -> Task:
    return Task(
        task_id=task_id,
        kind=TaskKind(data["kind"]),
        created_at=parse(data["created_at"]),  # type: ignore[arg-type]
        about=data.get("about"),
        done_by=data.get("done_by"),
        done_at=parse(data.get("done_at")),
        due_on=dt.date.fromisoformat(data["due_on"]) if data.get("due_on") else None,
        ended=TaskEnd(data["ended"]) if data.get("ended") else None,
    )
