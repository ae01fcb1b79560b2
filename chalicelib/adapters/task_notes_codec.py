"""Staff's notes on finishing tasks, on the referral item: one sealed field (a note may name people).

The tasks themselves stay in the clear `tasks` map (ids, kinds, times, codes), which the delivery
path rewrites without opening the referral; this field is only written by a staff change.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.adapters.envelope import SealedRecord
from chalicelib.domain.tasks import Task

FIELD = "task_notes"


def task_notes_attributes(tasks: tuple[Task, ...], sealed: SealedRecord, prefix: str) -> dict[str, Any]:
    notes = {task.task_id: task.note for task in tasks if task.note}
    return {prefix + FIELD: sealed.encrypt(FIELD, notes)} if notes else {}


def with_task_notes(
    tasks: tuple[Task, ...], item: dict[str, Any], sealed: SealedRecord, prefix: str
) -> tuple[Task, ...]:
    blob = item.get(prefix + FIELD)
    if blob is None:
        return tasks
    notes: dict[str, str] = sealed.decrypt(FIELD, bytes(blob))
    return tuple(replace(task, note=notes[task.task_id]) if task.task_id in notes else task for task in tasks)
