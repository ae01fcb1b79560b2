"""My work: the open referrals I own, most urgent first, and my open tasks across them, most
urgent first. One Query of the sparse owner index; clear metadata only (no KMS call)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib.domain.staff import StaffMember
from chalicelib.domain.tasks import Task
from chalicelib.services.queue_people import ShownRow, is_overdue, shown_rows
from chalicelib.wiring import wiring

MAX_REFERRALS = 100


@dataclass(frozen=True)
class MyTask:
    reference: str
    task: Task
    overdue: bool


@dataclass(frozen=True)
class MyWork:
    referrals: list[ShownRow]
    tasks: list[MyTask]
    more: bool


def my_work(staff: StaffMember, *, today: dt.date) -> MyWork:
    rows, more = wiring().referrals.list_owned(staff.id, limit=MAX_REFERRALS)
    shown = shown_rows(rows, today=today, recognise=False)
    tasks = []
    for rank, row in enumerate(rows):  # rows come most urgent first: a task inherits its referral's rank
        for task in row.open_tasks:
            tasks.append((_task_urgency(task, today, rank), MyTask(row.reference, task, is_overdue(task, today))))
    return MyWork(shown, [task for _, task in sorted(tasks, key=lambda pair: pair[0])], more)


def _task_urgency(task: Task, today: dt.date, rank: int) -> tuple[int, dt.date, int, dt.datetime]:
    """Overdue first (the longest overdue first), then due soonest, then by the referral's urgency."""
    due = task.due_on or dt.date.max
    return (0 if is_overdue(task, today) else 1, due, rank, task.created_at)
