"""Asking a parent for consent by email, and their answer by the link (mash-guidance.txt §3–4).

The request and its notice are one change to the referral, so the outbox guarantees the email.
The answer becomes the consent record (source: parent), with a task for the practitioner to read
it. A request is named on the referral by its consent record's `recorded_at`: asking again (or
staff recording consent another way) makes a new record, so an older link no longer matches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from chalicelib.domain.consent import ConsentProblem, ConsentRecord, ConsentSource, ConsentState
from chalicelib.domain.consent_links import LinkSuperseded
from chalicelib.domain.enquiry_withdrawals import withdraw_if_refused
from chalicelib.domain.notices import Notice, NoticeKind, recipient_parent
from chalicelib.domain.referral import Route
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.tasks import Task, TaskKind

HOW_BY_LINK = "online, by the consent link"
DECLINED_BY_LINK = "Declined by the consent link"
COMMENT_MAX_LENGTH = 1000
UK = ZoneInfo("Europe/London")


def parent_actor(parent: int) -> str:
    """Who the audit says answered: the parent by position on the referral, never by name."""
    return f"parent:{parent}"


@dataclass(frozen=True)
class ParentAnswer:
    agreed: bool
    # Free text from the parent: stored encrypted in the consent record, never audited or logged.
    comment: str | None = None


def ask_parent(referral: Referral, *, parent: int, staff_id: str, by_manager: bool, now: dt.datetime) -> Referral:
    """Consent becomes `requested` and a consent request to that parent is owed, in one change."""
    if referral.route is Route.PROTECTION:
        raise ConsentProblem("A protection referral needs no consent: record whether the parents are told instead")
    parents = referral.submission.parents_carers
    if not 0 <= parent < len(parents):
        raise ConsentProblem(
            f"There is no parent or carer {parent} on this referral: "
            f"give their position in parents_carers, from 0 to {len(parents) - 1}"
        )
    # The plan, before anything else about them: a refusal names their role, never their address.
    referral.refuse_unless_told(recipient_parent(parent), "a consent request")
    if not parents[parent].email:
        raise ConsentProblem(
            "This parent or carer has no email address: ask them by phone or letter instead, then record their answer"
        )
    record = ConsentRecord(ConsentState.REQUESTED, ConsentSource.STAFF, staff_id, now)
    asked = referral.record_consent(record, by_manager=by_manager)
    notice = Notice.new(consent_notice_id(now), NoticeKind.CONSENT_REQUEST, now, recipient=recipient_parent(parent))
    # A parent who reads another language: held for its translation, not sent in English.
    return replace(asked, notices=(*asked.notices, notice)).hold_for_translation(now)


def consent_notice_id(requested_at: dt.datetime) -> str:
    """Known before the referral is read (the link's item is written first); one request a second
    per referral is plenty, and a retried change makes the same id."""
    return f"consent-{int(requested_at.timestamp())}"


def current_request_notice(referral: Referral) -> str | None:
    """The notice carrying the link that can still be answered, if consent is awaiting a parent."""
    if referral.consent.state is not ConsentState.REQUESTED or referral.consent.source is not ConsentSource.STAFF:
        return None
    return consent_notice_id(referral.consent.recorded_at)


def is_current_request(referral: Referral, requested_at: dt.datetime) -> bool:
    consent = referral.consent
    return (
        consent.state is ConsentState.REQUESTED
        and consent.source is ConsentSource.STAFF
        and consent.recorded_at == requested_at
    )


def parent_consent_record(
    referral: Referral, *, parent: int, notice_id: str, answer: ParentAnswer, now: dt.datetime
) -> ConsentRecord:
    """The consent record a parent's answer by the link makes (naming the request it answered)."""
    actor = parent_actor(parent)
    if answer.agreed:
        return ConsentRecord(
            ConsentState.GIVEN,
            ConsentSource.PARENT,
            actor,
            now,
            given_by=referral.submission.parents_carers[parent].name,
            given_on=now.astimezone(UK).date(),  # the parent's today, not UTC's
            how=HOW_BY_LINK,
            reason=answer.comment,  # on a given consent from a parent: their comment, if any
            answered_request=notice_id,
        )
    return ConsentRecord(
        ConsentState.REFUSED,
        ConsentSource.PARENT,
        actor,
        now,
        reason=answer.comment or DECLINED_BY_LINK,
        answered_request=notice_id,
    )


def record_answer(
    referral: Referral,
    *,
    requested_at: dt.datetime,
    parent: int,
    notice_id: str,
    answer: ParentAnswer,
    now: dt.datetime,
) -> Referral:
    """The parent's answer as the consent record, and a task to read it; refused if the request
    the link was sent for is no longer the referral's consent."""
    if not is_current_request(referral, requested_at):
        raise LinkSuperseded()
    actor = parent_actor(parent)
    record = parent_consent_record(referral, parent=parent, notice_id=notice_id, answer=answer, now=now)
    answered = referral.record_consent(record, by_manager=False)
    # A refusal withdraws every open enquiry in the same change (issue 11 item 3).
    answered = withdraw_if_refused(answered, by=actor, now=now)
    return answered.with_task(Task(f"{notice_id}-answered", TaskKind.CONSENT_ANSWERED, now, about=notice_id))
