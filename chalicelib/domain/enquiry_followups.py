"""What the outbox sweep owes an agency enquiry: its publish (if the opening request could not),
one chaser once it is overdue, one escalation at the decision deadline.

Each follow-up is recorded on the enquiry (`chased_at`, `escalated_at`) in the same write that
owes its notice, and the write is conditional on the referral's version: a second sweep, or the
same sweep run twice, finds nothing left to do, so nothing is sent twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from chalicelib.domain.enquiries import (
    agency_recipient,
    chaser_notice_id,
    escalation_notice_id,
    escalation_recipient,
)
from chalicelib.domain.notices import Notice, NoticeKind
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.tasks import Task, TaskKind


def escalation_task_id(enquiry_id: str) -> str:
    return f"{TaskKind.ENQUIRY_ESCALATED.value}:{enquiry_id}"


def owe_followups(referral: Referral, now: dt.datetime) -> tuple[Referral, list[str]]:
    """The referral with chasers and escalations owed (their notices due now), and the ids of the
    enquiries this sweep must publish (claimed, so no other sweep publishes them meanwhile)."""
    to_publish: list[str] = []
    if not referral.awaits_agency_answers:
        return referral, to_publish
    for enquiry in referral.enquiries:
        if enquiry.publish_due(now):
            referral = referral.with_enquiry(enquiry.claimed_for_publish(now))
            to_publish.append(enquiry.enquiry_id)
            continue
        if enquiry.chase_due(now):
            enquiry = replace(enquiry, chased_at=now)
            referral = referral.with_enquiry(enquiry).with_notice_added(
                _due_now(
                    chaser_notice_id(enquiry.enquiry_id),
                    NoticeKind.AGENCY_CHASER,
                    agency_recipient(enquiry.agency),
                    now,
                )
            )
        if enquiry.escalation_due(now):
            enquiry = replace(enquiry, escalated_at=now)
            referral = (
                referral.with_enquiry(enquiry)
                .with_notice_added(
                    _due_now(
                        escalation_notice_id(enquiry.enquiry_id),
                        NoticeKind.AGENCY_ESCALATION,
                        escalation_recipient(enquiry.agency),
                        now,
                    )
                )
                .with_task(
                    Task(
                        escalation_task_id(enquiry.enquiry_id),
                        TaskKind.ENQUIRY_ESCALATED,
                        now,
                        about=enquiry.enquiry_id,
                    )
                )
            )
    return referral, to_publish


def _due_now(notice_id: str, kind: NoticeKind, recipient: str, now: dt.datetime) -> Notice:
    # Sent by this sweep (which claims it before sending); not left for the next one.
    return replace(Notice.new(notice_id, kind, now, recipient=recipient), next_attempt_at=now)
