"""The export function's half of an export to the case-management system (the outbox sweep's half,
the hand-over, is chalicelib/services/export_case.py): a message from the export queue names an
export; it is built from the table as it stands and delivered under its own id, so the receiver
keeps one copy however often the message comes. A 4xx fails it for good (a task and the metric); a
5xx or a timeout raises ExportRetryLater after stretching the message's visibility (the backoff),
and the message's last receive fails it the same way as a 4xx. Each retry is recorded on the export
(why, and one more attempt; not settled), so staff see it being tried again before it fails for good.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass

from chalicelib.domain.case_export import notice_id_of, retrying
from chalicelib.domain.failures import AwsError, ExportFailed, ReferralNotFound, StaleReferral
from chalicelib.domain.notices import Notice, NoticeKind, NoticeStatus, RetryPolicy
from chalicelib.domain.referral_record import Referral
from chalicelib.logs import logger
from chalicelib.services.deliver_notices import record_outcomes, retry_policy
from chalicelib.services.export_case import export_body
from chalicelib.wiring import wiring

# last_error of an export owed where no case system is configured (outside the local stage).
NO_TARGET = "export_target_not_set"


class ExportRetryLater(Exception):
    """The receiver failed in a way worth another try: the export queue delivers the message again."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ExportMessage:
    """One export queue message as the export function gets it."""

    body: str
    receive_count: int  # SQS's ApproximateReceiveCount: 1 on the first delivery
    queue_arn: str
    receipt_handle: str


def receive_export(message: ExportMessage, *, last_receive: int) -> None:
    """The export function's half: deliver the export a message names and record how it went.
    Raises ExportRetryLater (after asking SQS to wait) when the receiver should be tried again."""
    hub = wiring()
    named = _read(message.body)
    if named is None:
        logger.error("export queue message is not an export: dropped")  # retrying cannot mend it
        return
    reference, the_id = named
    notice_id = notice_id_of(reference, the_id)
    try:
        referral = hub.referrals.fetch(reference)
    except ReferralNotFound:
        logger.warning("export's referral not found: deleted since", extra={"reference": reference})
        return
    notice = next((n for n in referral.notices if n.notice_id == notice_id and n.kind is NoticeKind.CASE_EXPORT), None)
    if notice is None or notice.status is not NoticeStatus.PENDING:
        # Settled already (a message delivered twice, or handed over again after a lost save).
        logger.info("export already settled: message dropped", extra={"reference": reference, "export": the_id})
        return
    now = hub.clock()
    policy = retry_policy(hub.settings)
    try:
        outcome = _deliver(referral, notice, the_id, now, policy, last_try=message.receive_count >= last_receive)
    except ExportRetryLater as retry:
        # Backoff: the message stays out of sight longer with each receive (30 s doubling).
        delay = int(policy.delay(message.receive_count).total_seconds())
        # If SQS refuses, the queue's own visibility timeout still brings the message back.
        with contextlib.suppress(AwsError):
            hub.export_topic.retry_after(message.queue_arn, message.receipt_handle, delay)
        _record_retry(referral, notice, retry.code, now)
        raise
    record_outcomes(hub.referrals, referral, [outcome], now=now)


def _record_retry(referral: Referral, notice: Notice, code: str, now: dt.datetime) -> None:
    """Staff see the export being tried again, and why: one write, conditional on the referral as
    read (so it never undoes a settlement made meanwhile). If it fails, the retry goes on regardless:
    the record is for people, the queue's redelivery is what matters."""
    try:
        wiring().referrals.save_notices(referral.with_notice(retrying(notice, code, now)))
    except (AwsError, StaleReferral) as error:
        code = error.code if isinstance(error, AwsError) else "StaleReferral"
        logger.warning("export retry not recorded", extra={"reference": referral.reference, "error": code})


def _deliver(
    referral: Referral, notice: Notice, the_id: str, now: dt.datetime, policy: RetryPolicy, *, last_try: bool
) -> Notice:
    """Delivered (with the receiver's id) or failed for good; raises ExportRetryLater to try again."""
    target = wiring().case_export_target
    if target is None:
        logger.error("export not delivered: no target set", extra={"reference": referral.reference})
        return notice.attempt_failed(NO_TARGET, False, now, policy)
    try:
        external_id = target.deliver(the_id, export_body(referral, the_id, now))
    except (ExportFailed, AwsError) as error:
        retry = error.retryable and not last_try
        logger.warning(
            "export not delivered",
            extra={"reference": referral.reference, "export": the_id, "error": error.code, "retry": retry},
        )
        if retry:
            raise ExportRetryLater(error.code) from None
        return notice.attempt_failed(error.code, False, now, policy)
    logger.info("export delivered", extra={"reference": referral.reference, "export": the_id})
    # The receiver's own id, when it answers with one, is kept on the export (shown to staff).
    return notice.sent(external_id or "", now)


def _read(body: str) -> tuple[str, str] | None:
    try:
        data = json.loads(body)
        return str(data["reference"]), str(data["export_id"])
    except (ValueError, KeyError, TypeError):
        return None
