"""A referral as the hub holds it: the submission plus what the hub knows and owes about it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum

from chalicelib.domain.notices import Notice, NoticeKind
from chalicelib.domain.referral import ReferralSubmission, Route


class ReferralStatus(StrEnum):
    RECEIVED = "received"


class Channel(StrEnum):
    FORM = "form"
    API = "api"


# The parts of a submission that hold personal data: each is encrypted as one field.
PERSONAL_SECTIONS = ("referrer", "children", "parents_carers", "concerns", "consent", "parents_informed")


@dataclass(frozen=True)
class Referral:
    reference: str
    route: Route
    status: ReferralStatus
    channel: Channel
    received_at: dt.datetime
    immediate_risk: bool
    proposed_level: int
    # HMACs, not hashes: a plain digest of a body could be confirmed by guessing its contents.
    request_fingerprint: str
    idempotency_key_hash: str | None
    submission: ReferralSubmission
    notices: tuple[Notice, ...] = field(default_factory=tuple)
    version: int = 0

    @classmethod
    def receive(
        cls,
        reference: str,
        submission: ReferralSubmission,
        *,
        channel: Channel,
        now: dt.datetime,
        request_fingerprint: str,
        idempotency_key_hash: str | None,
    ) -> Referral:
        """A new referral, with the referrer's acknowledgement already owed."""
        return cls(
            reference=reference,
            route=submission.route,
            status=ReferralStatus.RECEIVED,
            channel=channel,
            received_at=now,
            immediate_risk=submission.immediate_risk,
            proposed_level=submission.concerns.proposed_level,
            request_fingerprint=request_fingerprint,
            idempotency_key_hash=idempotency_key_hash,
            submission=submission,
            notices=(Notice.new(f"{reference}:ack", NoticeKind.ACKNOWLEDGEMENT, now),),
        )

    def with_notice(self, updated: Notice) -> Referral:
        notices = tuple(updated if n.notice_id == updated.notice_id else n for n in self.notices)
        return replace(self, notices=notices)

    def due_notices(self, now: dt.datetime) -> list[Notice]:
        return [n for n in self.notices if n.is_due(now)]

    def next_notice_due(self) -> dt.datetime | None:
        times = [
            n.next_attempt_at for n in self.notices if n.next_attempt_at is not None and n.status.value == "pending"
        ]
        return min(times) if times else None
