"""Messages the hub owes someone: each is a notice with a delivery state, never fire-and-forget.

A notice is recorded in the same write as the change that causes it (the outbox), then sent;
a failure that may pass (throttling, 5xx) is retried with backoff, and after the last attempt
the notice is `failed`, visible to staff, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

# How long a sender has a notice to itself before another may take it (> Lambda timeout).
SEND_GRACE = dt.timedelta(minutes=2)


class NoticeKind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"  # to the referrer
    CONSENT_REQUEST = "consent_request"  # to a parent: may agencies share information?
    PARENTS_TOLD = "parents_told"  # to a parent: a protection referral was made
    OUTCOME = "outcome"  # to a parent: what the MASH decided
    REFERRER_FEEDBACK = "referrer_feedback"  # to the referrer: the outcome, as fits who they are
    ONWARD_REFERRAL = "onward_referral"  # to the service the family is passed to
    AGENCY_REQUEST = "agency_request"  # to an agency: what do you hold? (sent from its queue)
    AGENCY_CHASER = "agency_chaser"  # to an agency: the answer is overdue
    AGENCY_ESCALATION = "agency_escalation"  # to an agency's escalation contact: overdue twice
    AGENCY_WITHDRAWAL = "agency_withdrawal"  # to an agency: do not send information; disregard our request
    EDT_ALERT = "edt_alert"  # to the emergency duty team: a protection referral came in out of hours
    CASE_EXPORT = "case_export"  # to the case-management system: the referral as a document (domain/case_export.py)


class NoticeStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELAYED = "delayed"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    REJECTED = "rejected"
    FAILED = "failed"
    # Never sent, on purpose: an agency's request whose enquiry was withdrawn before the email went.
    CANCELLED = "cancelled"


# A final failure is never overwritten: not by a late "delivered", not by a "delayed".
FINAL_FAILURES = frozenset({NoticeStatus.BOUNCED, NoticeStatus.COMPLAINED, NoticeStatus.REJECTED, NoticeStatus.FAILED})
# Order of progress; an event that would move a notice backwards (a "delayed" after "delivered",
# events arriving out of order) is recorded in the history but does not change the status.
PROGRESS = {
    NoticeStatus.PENDING: 0,
    # A provider's report on a cancelled notice means SES had it after all: let the report show.
    NoticeStatus.CANCELLED: 0,
    NoticeStatus.SENDING: 1,
    NoticeStatus.SENT: 2,
    NoticeStatus.DELAYED: 3,
    NoticeStatus.DELIVERED: 4,
    # A complaint can follow a delivery; every final failure outranks success.
    **dict.fromkeys(FINAL_FAILURES, 5),
}


def recipient_parent(index: int) -> str:
    """How a notice names the parent or carer it goes to: by position, never by address."""
    return f"parent:{index}"


REFERRER = "referrer"


@dataclass(frozen=True)
class Notice:
    notice_id: str
    kind: NoticeKind
    status: NoticeStatus
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None
    attempts: int = 0
    last_error: str | None = None
    provider_message_id: str | None = None
    sent_at: dt.datetime | None = None
    # Who it goes to: REFERRER, recipient_parent(i), or a service name; never an address.
    recipient: str = REFERRER
    # (status, when) for every delivery event after sending, in the order they arrived.
    history: tuple[tuple[str, str], ...] = ()

    @classmethod
    def new(cls, notice_id: str, kind: NoticeKind, now: dt.datetime, recipient: str = REFERRER) -> Notice:
        # The request that creates a notice sends it at once; the outbox sweep only takes it
        # after a grace period, so the two never race (and a crashed request is picked up).
        return cls(notice_id, kind, NoticeStatus.PENDING, now, next_attempt_at=now + SEND_GRACE, recipient=recipient)

    def delivery_event(self, status: NoticeStatus, at: dt.datetime) -> Notice:
        """A provider's report (delivered, bounced, ...): kept in the history; moves the status
        only forwards, and never off a final failure."""
        history = (*self.history, (status.value, _history_time(at)))
        if self.status in FINAL_FAILURES or PROGRESS[status] <= PROGRESS[self.status]:
            return replace(self, history=history)
        return replace(self, status=status, history=history)

    def knows_event(self, status: NoticeStatus, at: dt.datetime) -> bool:
        """Whether this very report is already in the history (providers deliver events at least once)."""
        return (status.value, _history_time(at)) in self.history

    def claimed(self, now: dt.datetime) -> Notice:
        """Taken by a dispatcher: not due again until the lease runs out."""
        return replace(self, next_attempt_at=now + SEND_GRACE)

    @property
    def on_hold(self) -> bool:
        """Owed but not to go yet (a family notice waiting for its translation): nothing sends it
        until it is released with a time to go."""
        return self.status is NoticeStatus.PENDING and self.next_attempt_at is None

    def is_due(self, now: dt.datetime) -> bool:
        return self.status is NoticeStatus.PENDING and self.next_attempt_at is not None and self.next_attempt_at <= now

    def sent(self, provider_message_id: str, now: dt.datetime) -> Notice:
        return replace(
            self,
            status=NoticeStatus.SENT,
            attempts=self.attempts + 1,
            provider_message_id=provider_message_id,
            sent_at=now,
            next_attempt_at=None,
            last_error=None,
        )

    def attempt_failed(self, error_code: str, retryable: bool, now: dt.datetime, policy: RetryPolicy) -> Notice:
        attempts = self.attempts + 1
        if not retryable or attempts >= policy.max_attempts:
            return replace(
                self, status=NoticeStatus.FAILED, attempts=attempts, last_error=error_code, next_attempt_at=None
            )
        return replace(self, attempts=attempts, last_error=error_code, next_attempt_at=now + policy.delay(attempts))

    def cancelled(self) -> Notice:
        """Not to be sent any more (only a pending one: one already sent stays as it went)."""
        if self.status is not NoticeStatus.PENDING:
            return self
        return replace(self, status=NoticeStatus.CANCELLED, next_attempt_at=None)


def _history_time(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay: dt.timedelta = dt.timedelta(seconds=30)
    max_delay: dt.timedelta = dt.timedelta(hours=1)

    def delay(self, attempts: int) -> dt.timedelta:
        return min(self.base_delay * (2 ** (attempts - 1)), self.max_delay)
