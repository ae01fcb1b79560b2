"""Deliver an export owed to the case-management system, in two hops.

1. The request that owes it, then the outbox sweep if that did not happen, *hands it over*
   (`hand_over_export`): one SNS publish to the export topic, the body naming the reference and the
   export id only. The export stays owed (pending, under a lease)
   until the export function settles it; if the publish fails it is simply due again with the
   outbox's backoff, and one never settled (a message lost or dead-lettered) is handed over again
   when its lease runs out, so nothing is lost.
2. The export function (`services/receive_export.py`, from the export queue) builds the document from the
   table as it stands then and delivers it under the export's own id: the receiver keeps one copy
   per id (the S3 key is the id; the endpoint gets it as the Idempotency-Key), so a message
   delivered twice never makes a second export. The receiver's id is recorded on the export. A 4xx
   fails the export for good (a task on the referral and the ExportsFailed metric); a 5xx or a
   timeout raises `ExportRetryLater` so SQS delivers the message again, after a backoff that grows
   with its receive count, until its last receive, which fails the export the same way.
Logs name the reference, the export and an error code: never the document.
"""

from __future__ import annotations

import datetime as dt

from chalicelib.domain.case_export import export_id, handed_over
from chalicelib.domain.case_export_document import build_export
from chalicelib.domain.failures import AwsError
from chalicelib.domain.notices import Notice, RetryPolicy
from chalicelib.domain.referral_record import Referral
from chalicelib.logs import logger
from chalicelib.wiring import wiring

# last_error of an export handed over as often as the outbox tries anything, never settled.
NEVER_SETTLED = "export_not_settled"


def hand_over_export(referral: Referral, notice: Notice, policy: RetryPolicy, now: dt.datetime) -> Notice:
    """The first hop (the request's send-now, or the sweep): publish the export to the export topic. The returned notice is handed over
    (owed, under its lease), due again with backoff (SNS failed), or failed for good."""
    the_id = export_id(referral.reference, notice.notice_id)
    if notice.attempts >= policy.max_attempts:
        logger.error("export never settled: failed", extra={"reference": referral.reference, "export": the_id})
        return notice.attempt_failed(NEVER_SETTLED, False, now, policy)
    try:
        wiring().export_topic.publish(referral.reference, the_id)
    except AwsError as error:
        updated = notice.attempt_failed(error.code, error.retryable, now, policy)
        logger.warning(
            "export not handed over",
            extra={
                "reference": referral.reference,
                "export": the_id,
                "error": error.code,
                "attempts": updated.attempts,
            },
        )
        return updated
    logger.info("export handed over", extra={"reference": referral.reference, "export": the_id})
    return handed_over(notice, now)


def export_body(referral: Referral, the_id: str, now: dt.datetime) -> bytes:
    """The document as JSON: the agencies' replies (opened with the referral's key) and documents by id."""
    hub = wiring()
    replies = []
    if referral.enquiries:
        opened = hub.referrals.open(referral.reference)
        replies = hub.replies.replies_of(referral.reference, opened.sealed)
    attachments = hub.attachment_records.metadata_of(referral.reference)
    document = build_export(referral, export_id=the_id, exported_at=now, replies=replies, attachments=attachments)
    return document.model_dump_json().encode()
