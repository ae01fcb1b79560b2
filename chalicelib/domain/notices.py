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
    ACKNOWLEDGEMENT = "acknowledgement"


class NoticeStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


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

    @classmethod
    def new(cls, notice_id: str, kind: NoticeKind, now: dt.datetime) -> Notice:
        # The request that creates a notice sends it at once; the outbox sweep only takes it
        # after a grace period, so the two never race (and a crashed request is picked up).
        return cls(notice_id, kind, NoticeStatus.PENDING, now, next_attempt_at=now + SEND_GRACE)

    def claimed(self, now: dt.datetime) -> Notice:
        """Taken by a dispatcher: not due again until the lease runs out."""
        return replace(self, next_attempt_at=now + SEND_GRACE)

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


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay: dt.timedelta = dt.timedelta(seconds=30)
    max_delay: dt.timedelta = dt.timedelta(hours=1)

    def delay(self, attempts: int) -> dt.timedelta:
        return min(self.base_delay * (2 ** (attempts - 1)), self.max_delay)
