"""A parent changes their answer by the same consent link, while the link lives (issue 11 item 3).

The link is single-use for the first answer; after it, the same link (and only it) may change that
answer until it expires, as long as the parent's answer is still the referral's consent: once staff
record consent another way or ask again, the link no longer speaks for the referral. Changing to
"no" is a refusal like any other: every open enquiry is withdrawn in the same change.
"""

from __future__ import annotations

import datetime as dt

from chalicelib.domain.consent import ConsentSource
from chalicelib.domain.consent_links import LinkSuperseded
from chalicelib.domain.consent_requests import ParentAnswer, parent_actor, parent_consent_record
from chalicelib.domain.enquiry_withdrawals import withdraw_if_refused
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.tasks import Task, TaskKind


def may_change_answer(referral: Referral, *, notice_id: str, parent: int) -> bool:
    """Whether the referral's consent is still this parent's answer to this very request."""
    consent = referral.consent
    return (
        referral.status is not ReferralStatus.CLOSED
        and consent.source is ConsentSource.PARENT
        and consent.answered_request == notice_id
        and consent.recorded_by == parent_actor(parent)
    )


def change_answer(
    referral: Referral, *, notice_id: str, parent: int, answer: ParentAnswer, now: dt.datetime
) -> Referral:
    """The parent's new answer as the consent record, with a task to read it; LinkSuperseded if the
    consent is no longer this link's answer."""
    if not may_change_answer(referral, notice_id=notice_id, parent=parent):
        raise LinkSuperseded()
    record = parent_consent_record(referral, parent=parent, notice_id=notice_id, answer=answer, now=now)
    changed = withdraw_if_refused(referral.record_consent(record, by_manager=False), by=parent_actor(parent), now=now)
    # A task of its own (the first answer's may be done already): the practitioner reads the change.
    task_id = f"{notice_id}-changed-{int(now.timestamp())}"
    return changed.with_task(Task(task_id, TaskKind.CONSENT_ANSWERED, now, about=notice_id))
