"""Deliver an export owed to the case-management system: the outbox sweep's half for exports.

The document is built when it goes (the referral as it stands then), under the export's own id: a
retry, or a second sweep after a save that failed, sends the same id again, and the receiver keeps
one (the S3 key is the id; the endpoint gets it as the Idempotency-Key). A 4xx answer fails the
export for good (a task on the referral and the ExportsFailed metric, in `record_outcomes`); a 5xx
or a timeout waits for the next try, with the outbox's backoff. Logs name the reference, the
export and an error code: never the document.
"""

from __future__ import annotations

import datetime as dt

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.case_export import export_id, owe_requested_export
from chalicelib.domain.case_export_document import build_export
from chalicelib.domain.failures import AwsError, ExportFailed
from chalicelib.domain.notices import Notice, RetryPolicy
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.logs import logger
from chalicelib.wiring import wiring

# last_error of an export owed where no case system is configured (outside the local stage).
NO_TARGET = "export_target_not_set"


def deliver_export(referral: Referral, notice: Notice, policy: RetryPolicy, now: dt.datetime) -> Notice:
    """One attempt; the returned notice says delivered (with the receiver's id, if any), retry later,
    or failed for good."""
    target = wiring().case_export_target
    if target is None:
        logger.error("export not delivered: no target set", extra={"reference": referral.reference})
        return notice.attempt_failed(NO_TARGET, False, now, policy)
    the_id = export_id(referral.reference, notice.notice_id)
    try:
        external_id = target.deliver(the_id, export_body(referral, the_id, now))
    except (ExportFailed, AwsError) as error:
        updated = notice.attempt_failed(error.code, error.retryable, now, policy)
        logger.warning(
            "export not delivered",
            extra={
                "reference": referral.reference,
                "export": the_id,
                "error": error.code,
                "status": updated.status.value,
                "attempts": updated.attempts,
            },
        )
        return updated
    logger.info("export delivered", extra={"reference": referral.reference, "export": the_id})
    # The receiver's own id, when it answers with one, is kept on the export (shown to staff).
    return notice.sent(external_id or "", now)


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


def request_export(reference: str, *, staff: StaffMember, request_id: str | None) -> tuple[Referral, str]:
    """A manager asks for an export now: owed in the same write as its audit event (the sweep
    delivers it within a minute or two). Returns the referral and the new export's id."""
    from chalicelib.services.referral_changes import change_referral

    now = wiring().clock()
    made: list[str] = []  # the step runs again if someone else saved first: the last one counts

    def owe(referral: Referral) -> Referral:
        owed, notice_id = owe_requested_export(referral, now)
        made.append(notice_id)
        return owed

    saved = change_referral(
        reference, staff, request_id, AuditAction.CASE_EXPORT_REQUESTED, owe, lambda _: {"export": made[-1]}
    )
    return saved, export_id(reference, made[-1])
