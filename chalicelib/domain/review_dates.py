"""Review dates that act (issue 11 item 4): on each one the outbox sweep raises a task, once.

A protective decision that holds something back is made with a date to look at it again:
dispensed consent, parents not told about a protection referral, a withheld outcome notice.
`review_dates` lists a referral's review dates (kind, date, what it is about); it is the one
source the sweep and the queue read, so a new kind (say, a per-person "not told" date) is one more
entry here. On the date (from midnight, London time) the sweep raises a task for the practitioner,
due that day, with an id made of the review's kind, subject and date: a second sweep, or the same
date recorded again, finds it already raised. A new date raises a new task on its own day.

Nothing is re-sent or released automatically: the task asks a person to review the decision.
Only decisions still in force have a review date, and a closed referral has none.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from chalicelib.domain.review_schedule import REVIEW_TASKS, ReviewDate, ReviewKind, next_moment, schedule
from chalicelib.domain.tasks import Task

if TYPE_CHECKING:
    from chalicelib.domain.referral_record import Referral

__all__ = ["REVIEW_TASKS", "ReviewDate", "ReviewKind", "next_review_moment", "owe_review_tasks", "review_dates"]


def review_dates(referral: Referral) -> list[ReviewDate]:
    """Every review date of the decisions in force on this referral, earliest first."""
    return schedule(
        referral.status,
        referral.consent,
        referral.parents_told,
        referral.outcome_notice_decision,
        referral.people_not_told,
    )


def _raised(referral: Referral) -> set[str]:
    return {task.task_id for task in referral.tasks}


def reviews_due(referral: Referral, now: dt.datetime) -> list[ReviewDate]:
    """Review dates that have come and whose task is not yet raised."""
    raised = _raised(referral)
    return [r for r in review_dates(referral) if r.starts_at <= now and r.task_id not in raised]


def owe_review_tasks(referral: Referral, now: dt.datetime) -> Referral:
    """The referral with a task for each review date that has come; the same referral if none."""
    for review in reviews_due(referral, now):
        referral = referral.with_task(
            Task(review.task_id, REVIEW_TASKS[review.kind], now, about=review.about, due_on=review.on)
        )
    return referral


def next_review_moment(referral: Referral) -> dt.datetime | None:
    """When the sweep must next raise a review task on this referral (None: nothing to raise)."""
    return next_moment(review_dates(referral), _raised(referral))


def review_due_on(referral: Referral) -> dt.date | None:
    """For the work queue: the earliest review whose task is raised and still open, while its
    decision holds (a decision reversed since needs no review)."""
    current = {r.task_id for r in review_dates(referral)}
    dates = [t.due_on for t in referral.tasks if t.open and t.task_id in current and t.due_on is not None]
    return min(dates) if dates else None
