"""Agency checks: the hub asks a partner agency what it holds about a family, and the agency answers.

An enquiry is opened by a practitioner (only where the consent gate allows sharing), handed to its
agency's queue through the topic (owed in the same write that opens it: the outbox publishes it),
emailed to the agency, and answered by email. Each has two deadlines from the referral's RAG:
- `due_at`, half way from opening to the decision deadline, so answers come in while there is time
  to weigh them; past it the agency gets one chaser;
- `escalate_at`, the decision deadline itself; past it the agency's escalation contact is told and
  a manager's task is raised on the referral.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from chalicelib.domain.agencies import AgencyId

# An overdue referral still gives the agency this long, then as long again before escalation.
MINIMUM_WINDOW = dt.timedelta(hours=1)
# How long a publisher has an enquiry to itself before the outbox sweep may publish it (> Lambda timeout).
PUBLISH_GRACE = dt.timedelta(minutes=2)
PUBLISH_RETRY_BASE = dt.timedelta(seconds=30)
PUBLISH_RETRY_MAX = dt.timedelta(hours=1)


class EnquiryState(StrEnum):
    QUEUED = "queued"  # stored; not yet handed to the agency's queue
    REQUESTED = "requested"  # handed over: the request email is on its way or sent
    OVERDUE = "overdue"  # past due, chaser not yet sent
    CHASED = "chased"
    ESCALATED = "escalated"
    ANSWERED = "answered"
    WITHDRAWN = "withdrawn"  # the hub asked the agency not to answer (consent refused, or staff withdrew it)


class EnquiryRefused(Exception):
    """An enquiry that may not be opened now; the message says why and what to do."""


class AgencyNotConfigured(ValueError):
    pass


def request_notice_id(enquiry_id: str) -> str:
    return f"request:{enquiry_id}"


def chaser_notice_id(enquiry_id: str) -> str:
    return f"chaser:{enquiry_id}"


def escalation_notice_id(enquiry_id: str) -> str:
    return f"escalation:{enquiry_id}"


def withdrawal_notice_id(enquiry_id: str) -> str:
    return f"withdrawal:{enquiry_id}"


def enquiry_of_notice(notice_id: str) -> str | None:
    """The enquiry an agency email is about (request, chaser or escalation), from its notice id."""
    kind, _, enquiry_id = notice_id.partition(":")
    return enquiry_id if kind in ("request", "chaser", "escalation", "withdrawal") and enquiry_id else None


def agency_recipient(agency: AgencyId) -> str:
    """How a notice names an agency: by id, never by address."""
    return f"agency:{agency.value}"


def escalation_recipient(agency: AgencyId) -> str:
    return f"agency-escalation:{agency.value}"


def agency_of_recipient(recipient: str) -> tuple[AgencyId, bool] | None:
    """(agency, is the escalation contact) for a notice recipient naming an agency."""
    kind, _, value = recipient.partition(":")
    if kind not in ("agency", "agency-escalation"):
        return None
    return AgencyId(value), kind == "agency-escalation"


@dataclass(frozen=True)
class Enquiry:
    enquiry_id: str  # e1, e2, … within the referral
    agency: AgencyId
    question: str  # personal data: sealed with the referral
    opened_by: str
    opened_at: dt.datetime
    due_at: dt.datetime
    escalate_at: dt.datetime
    # The topic publish, owed from the write that opens the enquiry (outbox).
    next_publish_at: dt.datetime | None = None
    publish_attempts: int = 0
    published_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    reply_ids: tuple[str, ...] = ()
    chased_at: dt.datetime | None = None
    escalated_at: dt.datetime | None = None
    # The request email's Message-ID, once it is sent: replies and chasers thread on it.
    request_message_id: str | None = None
    # Withdrawn: when, by whom, and why (a WithdrawalCause code; staff's own words are sealed apart).
    withdrawn_at: dt.datetime | None = None
    withdrawn_by: str | None = None
    withdrawn_because: str | None = None
    withdrawal_reason: str | None = None  # personal data: sealed with the referral

    @property
    def is_open(self) -> bool:
        return self.answered_at is None and self.withdrawn_at is None

    def state(self, now: dt.datetime) -> EnquiryState:
        if self.answered_at is not None:
            return EnquiryState.ANSWERED
        if self.withdrawn_at is not None:
            return EnquiryState.WITHDRAWN
        if self.escalated_at is not None:
            return EnquiryState.ESCALATED
        if self.chased_at is not None:
            return EnquiryState.CHASED
        if self.published_at is None:
            return EnquiryState.QUEUED
        return EnquiryState.OVERDUE if now >= self.due_at else EnquiryState.REQUESTED

    # --- the outbox: publishing to the agency's queue ------------------------------------------

    def publish_due(self, now: dt.datetime) -> bool:
        return (
            self.withdrawn_at is None
            and self.published_at is None
            and self.next_publish_at is not None
            and self.next_publish_at <= now
        )

    def claimed_for_publish(self, now: dt.datetime) -> Enquiry:
        return replace(self, next_publish_at=now + PUBLISH_GRACE)

    def published(self, now: dt.datetime) -> Enquiry:
        return replace(self, published_at=now, next_publish_at=None, publish_attempts=self.publish_attempts + 1)

    def publish_failed(self, now: dt.datetime) -> Enquiry:
        """Tried again with backoff, for as long as it takes: a request to an agency is never dropped.
        Staff see it `queued` on the referral meanwhile."""
        attempts = self.publish_attempts + 1
        delay = min(PUBLISH_RETRY_BASE * (2 ** (attempts - 1)), PUBLISH_RETRY_MAX)
        return replace(self, publish_attempts=attempts, next_publish_at=now + delay)

    # --- chasing --------------------------------------------------------------------------------

    def chase_due(self, now: dt.datetime) -> bool:
        return self.is_open and self.published_at is not None and self.chased_at is None and now >= self.due_at

    def escalation_due(self, now: dt.datetime) -> bool:
        return self.is_open and self.published_at is not None and self.escalated_at is None and now >= self.escalate_at

    def next_moment(self) -> dt.datetime | None:
        """When the outbox must next look at this enquiry (publish, chase or escalate)."""
        if not self.is_open:
            return None
        if self.published_at is None:
            return self.next_publish_at
        if self.chased_at is None:
            return self.due_at
        if self.escalated_at is None:
            return self.escalate_at
        return None

    def answered(self, reply_id: str, now: dt.datetime) -> Enquiry:
        """A reply attached: the first one answers the enquiry; later ones are kept beside it."""
        if reply_id in self.reply_ids:
            return self
        return replace(self, answered_at=self.answered_at or now, reply_ids=(*self.reply_ids, reply_id))


def enquiry_deadlines(now: dt.datetime, decision_due: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    """(due, escalate) for an enquiry opened now on a referral whose decision is due then."""
    if decision_due is None or decision_due - now < 2 * MINIMUM_WINDOW:
        return now + MINIMUM_WINDOW, now + 2 * MINIMUM_WINDOW
    return now + (decision_due - now) / 2, decision_due


def next_enquiry_id(existing: tuple[Enquiry, ...]) -> str:
    numbers = [int(e.enquiry_id[1:]) for e in existing]
    return f"e{max(numbers, default=0) + 1}"
