"""What makes a queue row recognisable to a person: the children's first names and ages, the
owner by name, and the open and overdue tasks.

The names come from each referral's search card (the children's first names and dates of birth,
sealed under a key derived from the blind-index key, kept on the referral's item and projected into
the queue's index): a page opens with no KMS call once the container has unwrapped that key (one,
the first time), never one Decrypt per referral. A referral stored before cards were kept on the
item has none, and shows by reference alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from chalicelib.adapters.referrals import QueueRow
from chalicelib.adapters.search_cards import CardUnreadable
from chalicelib.domain.failures import AwsError
from chalicelib.domain.staff import StaffEntry
from chalicelib.domain.tasks import Task
from chalicelib.services.search_referrals import FoundChild
from chalicelib.services.staff_names import staff_namer
from chalicelib.wiring import wiring


@dataclass(frozen=True)
class ShownRow:
    row: QueueRow
    children: tuple[FoundChild, ...]
    owner_name: str | None  # None: nobody owns it
    open_tasks: int
    overdue_tasks: int


def is_overdue(task: Task, today: dt.date) -> bool:
    return task.open and task.due_on is not None and task.due_on < today


def staff_entries() -> list[StaffEntry]:
    """The directory, or nobody when it cannot be read: a page still shows, owners unnamed."""
    try:
        return wiring().staff_directory.everyone()
    except AwsError:
        return []


def casework_staff() -> list[StaffEntry]:
    """Who a referral may be given to, by name: the directory's practitioners and managers."""
    from chalicelib.domain.allocation import OWNER_ROLES

    return [entry for entry in staff_entries() if not entry.roles.isdisjoint(OWNER_ROLES)]


def shown_rows(rows: Iterable[QueueRow], *, today: dt.date, recognise: bool = True) -> list[ShownRow]:
    """`recognise`: open the search cards for the children's names (no KMS call when warm)."""
    name = staff_namer()
    return [
        ShownRow(
            row=row,
            children=card_children(row.reference, row.card) if recognise else (),
            owner_name=name(row.owner) if row.owner else None,
            open_tasks=len(row.open_tasks),
            overdue_tasks=sum(1 for task in row.open_tasks if is_overdue(task, today)),
        )
        for row in rows
    ]


def card_children(reference: str, card: bytes | None) -> tuple[FoundChild, ...]:
    if not card:
        return ()
    try:
        opened = wiring().search_cards.open(reference, card)
    except CardUnreadable:
        return ()  # shown by reference alone; opening it reads it whole
    return tuple(
        FoundChild(child["first_name"], dt.date.fromisoformat(born) if (born := child.get("date_of_birth")) else None)
        for child in opened
    )
