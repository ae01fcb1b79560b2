"""Closing a referral starts its retention clock; legal holds stop it; the sweep deletes with a receipt."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib.domain.agency_replies import REPLY_OBJECT_PREFIX
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.failures import AwsError, ReferralNotFound, StaleReferral
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.retention import LegalHold
from chalicelib.domain.staff import StaffMember
from chalicelib.logs import logger
from chalicelib.services.advice_contacts import sweep_expired_advice
from chalicelib.services.referral_attachments import delete_attachments, has_attachments
from chalicelib.services.referral_changes import change_referral
from chalicelib.wiring import wiring

SWEEPER = "retention-sweep"


def close_referral(reference: str, *, staff: StaffMember, request_id: str | None) -> Referral:
    hub = wiring()
    now = hub.clock()
    years = hub.settings.retention_years_by_outcome
    return change_referral(
        reference,
        staff,
        request_id,
        AuditAction.CLOSED,
        lambda referral: referral.close(now, years),
        lambda referral: {
            "retention_until": referral.retention_until.date().isoformat() if referral.retention_until else ""
        },
    )


def place_legal_hold(reference: str, *, reason: str, staff: StaffMember, request_id: str | None) -> Referral:
    hold = LegalHold(placed_by=staff.id, placed_at=wiring().clock(), reason=reason)
    return change_referral(
        reference, staff, request_id, AuditAction.HOLD_PLACED, lambda referral: referral.place_legal_hold(hold)
    )


def lift_legal_hold(reference: str, *, staff: StaffMember, request_id: str | None) -> Referral:
    return change_referral(
        reference, staff, request_id, AuditAction.HOLD_LIFTED, lambda referral: referral.lift_legal_hold()
    )


# A rejected triage email is kept this long (to answer "what happened to my reply?"), then deleted.
REJECTED_TRIAGE_DAYS = 30


@dataclass
class SweepReport:
    deleted: int = 0
    skipped: int = 0
    triage_deleted: int = 0
    advice_deleted: int = 0


def sweep_expired(limit: int = 50) -> SweepReport:
    """Delete closed referrals past their retention date, each leaving an audit receipt."""
    hub = wiring()
    now = hub.clock()
    report = SweepReport()
    # Agency replies of referrals deleted before, whose cleanup did not finish then.
    for reference in hub.replies.pending_cleanups():
        _finish_reply_cleanup(reference)
    report.triage_deleted = _delete_rejected_triage(now - dt.timedelta(days=REJECTED_TRIAGE_DAYS))
    # Advice calls by their own rule (MASH_ADVICE_RETENTION_YEARS), each leaving a receipt.
    report.advice_deleted = sweep_expired_advice(limit)
    for reference in hub.referrals.references_due_for_deletion(now, limit):
        try:
            facts = hub.referrals.retention_facts(reference)
            if facts.deletable_after is None or facts.deletable_after > now:
                report.skipped += 1
                continue
            receipt, _ = facts.audit_head.append(
                reference,
                AuditAction.DELETED,
                at=now,
                actor=SWEEPER,
                role="system",
                request_id=None,
                key=hub.audit_key,
                # What was deleted and why, in codes and dates: the receipt holds no personal data.
                details={
                    "outcome": facts.outcome or "",
                    "closed_at": facts.closed_at.date().isoformat() if facts.closed_at else "",
                    "retention_until": facts.deletable_after.date().isoformat(),
                },
            )
            # Marked first: if the replies and documents cannot go just after the referral, the next
            # sweep sees the mark (one mark for both: "this deleted referral's files are to go").
            has_replies = bool(hub.replies.reply_ids(reference)) or has_attachments(reference)
            if has_replies:
                hub.replies.mark_for_cleanup(reference)
            hub.referrals.delete_with_receipt(facts, receipt)
        except (StaleReferral, ReferralNotFound):
            report.skipped += 1
            continue
        logger.info("referral deleted by retention", extra={"reference": reference})
        report.deleted += 1
        if has_replies:
            _finish_reply_cleanup(reference)
    return report


def _finish_reply_cleanup(reference: str) -> bool:
    """Delete a deleted referral's agency replies and the documents the referrer added, with their
    files; False if it must be tried again.

    Only once the referral itself is gone: a referral that was not deleted after all (a legal hold
    placed meanwhile) keeps its replies, and its mark is dropped.
    """
    hub = wiring()
    try:
        try:
            hub.referrals.fetch_summary(reference)
        except ReferralNotFound:
            reply_ids = hub.replies.reply_ids(reference)
            for reply_id in reply_ids:
                hub.mail_objects.delete_attachments(f"{REPLY_OBJECT_PREFIX}{reply_id}/")
            hub.replies.delete_replies(reference, reply_ids)
            documents = delete_attachments(reference)
            logger.info(
                "agency replies and documents deleted by retention",
                extra={"reference": reference, "replies": len(reply_ids), "documents": documents},
            )
        hub.replies.cleanup_done(reference)
    except AwsError as error:
        logger.warning(
            "agency replies not yet deleted: the next sweep tries again",
            extra={"reference": reference, "error": error.code},
        )
        return False
    return True


def _delete_rejected_triage(cutoff: dt.datetime) -> int:
    """Rejected triage emails decided before `cutoff`: their files, then the item (so a failure
    part way leaves the item for the next sweep). Waiting items are never deleted: a person decides."""
    hub = wiring()
    deleted = 0
    for triage_id in hub.triage.rejected_before(cutoff):
        try:
            hub.mail_objects.delete_attachments(f"{REPLY_OBJECT_PREFIX}{triage_id}/")
            hub.triage.delete_triage(triage_id)
        except AwsError as error:
            logger.warning("rejected triage email not yet deleted", extra={"triage_id": triage_id, "error": error.code})
            continue
        deleted += 1
    if deleted:
        logger.info("rejected triage emails deleted by retention", extra={"count": deleted})
    return deleted
