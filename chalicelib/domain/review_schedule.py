"""When a protective decision is to be looked at again: the dates, and when the sweep next acts.

Plain values from a referral's decisions, so the Referral itself can say when the outbox sweep
must next look at it; chalicelib/domain/review_dates.py raises the tasks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from chalicelib.domain.consent import (
    ConsentRecord,
    ConsentState,
    OutcomeNoticeChoice,
    OutcomeNoticeDecision,
    ParentsToldDecision,
    ParentsToldState,
)
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.tasks import TaskKind

LONDON = ZoneInfo("Europe/London")


class ReviewKind(StrEnum):
    CONSENT_DISPENSED = "consent_dispensed"
    PARENTS_NOT_TOLD = "parents_not_told"
    OUTCOME_NOTICE_WITHHELD = "outcome_notice_withheld"
    PERSON_NOT_TOLD = "person_not_told"  # the contact plan: one person not told, by a decision


# The task each kind of review raises.
REVIEW_TASKS: dict[ReviewKind, TaskKind] = {
    ReviewKind.CONSENT_DISPENSED: TaskKind.REVIEW_CONSENT_DISPENSED,
    ReviewKind.PARENTS_NOT_TOLD: TaskKind.REVIEW_PARENTS_NOT_TOLD,
    ReviewKind.OUTCOME_NOTICE_WITHHELD: TaskKind.REVIEW_OUTCOME_NOTICE_WITHHELD,
    ReviewKind.PERSON_NOT_TOLD: TaskKind.REVIEW_PERSON_NOT_TOLD,
}


@dataclass(frozen=True)
class ReviewDate:
    kind: ReviewKind
    on: dt.date
    # What it is about, by position or name of the record part, never a person's name:
    # "consent", "parents_told", "outcome_notice" (a per-person date would say "parent:0").
    about: str

    @property
    def task_id(self) -> str:
        return f"review:{self.kind.value}:{self.about}:{self.on.isoformat()}"

    @property
    def starts_at(self) -> dt.datetime:
        """Midnight at the start of the review date, London time, as UTC."""
        return dt.datetime.combine(self.on, dt.time(), tzinfo=LONDON).astimezone(dt.UTC)


def schedule(
    status: ReferralStatus,
    consent: ConsentRecord,
    told: ParentsToldDecision | None,
    notice: OutcomeNoticeDecision | None,
    people_not_told: tuple[tuple[str, dt.date], ...] = (),
) -> list[ReviewDate]:
    """The review dates of these decisions, earliest first (none once the referral is closed)."""
    if status is ReferralStatus.CLOSED:
        return []
    found: list[ReviewDate] = []
    if consent.state is ConsentState.DISPENSED and consent.review_on:
        found.append(ReviewDate(ReviewKind.CONSENT_DISPENSED, consent.review_on, "consent"))
    if told is not None and told.state is ParentsToldState.WITHHELD and told.review_on:
        found.append(ReviewDate(ReviewKind.PARENTS_NOT_TOLD, told.review_on, "parents_told"))
    if notice is not None and notice.choice is OutcomeNoticeChoice.WITHHOLD and notice.review_on:
        found.append(ReviewDate(ReviewKind.OUTCOME_NOTICE_WITHHELD, notice.review_on, "outcome_notice"))
    # The contact plan's "not told" decisions, each about one person (by key, never a name).
    found += [ReviewDate(ReviewKind.PERSON_NOT_TOLD, on, person) for person, on in people_not_told]
    return sorted(found, key=lambda review: (review.on, review.kind.value, review.about))


def next_moment(dates: list[ReviewDate], raised: set[str]) -> dt.datetime | None:
    """When a task must next be raised for these dates (None: nothing left to raise)."""
    moments = [r.starts_at for r in dates if r.task_id not in raised]
    return min(moments) if moments else None
