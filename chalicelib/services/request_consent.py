"""Ask a parent for consent by email, and take their answer from the link (issue 4 items 1–2).

Asking: the link's item is written first, then the referral changes (consent `requested` and the
consent request notice, one save: the outbox guarantees the email), then the email goes at once,
best effort. Answering: the link is verified (signature, expiry), its item is claimed once, and the
answer is saved through `change_referral` with the parent as the actor; if that save fails for a
reason that may pass, the claim is released so the parent can try again.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.adapters.consent_requests import AlreadyAnswered, ConsentRequestRecord
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.consent_links import (
    ConsentLink,
    LinkSuperseded,
    LinkTampered,
    LinkUsed,
    link_for,
    link_key,
    verify,
)
from chalicelib.domain.consent_requests import (
    ParentAnswer,
    ask_parent,
    consent_notice_id,
    is_current_request,
    parent_actor,
    record_answer,
)
from chalicelib.domain.failures import AwsError, ReferralNotFound, StaleReferral
from chalicelib.domain.lifecycle import IllegalTransition
from chalicelib.domain.referral_record import Referral, ReferralClosed
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.logs import logger
from chalicelib.mail.consent_request import link_lifetime
from chalicelib.services.referral_changes import change_referral
from chalicelib.services.send_or_leave import send_now_or_leave_to_outbox
from chalicelib.services.withdraw_enquiries import send_withdrawals_now, withdrawn_details
from chalicelib.wiring import wiring

# --- asking ------------------------------------------------------------------------------------


def request_consent(reference: str, *, parent: int, staff: StaffMember, request_id: str | None) -> Referral:
    hub = wiring()
    # Whole seconds: the time names the request on the referral and in the link.
    now = hub.clock().replace(microsecond=0)
    notice_id = consent_notice_id(now)
    link = link_for(
        reference=reference,
        notice_id=notice_id,
        requested_at=now,
        key=link_key(hub.settings.hmac_secret),
        lifetime=link_lifetime(hub.settings),
    )
    # First, so a link that is emailed can always be found; if the change below is refused, this
    # item is never linked to and the table's TTL removes it.
    wiring().consent_requests.save(
        ConsentRequestRecord(link.lookup_key, reference, parent, notice_id, now, link.expires_at)
    )
    saved = change_referral(
        reference,
        staff,
        request_id,
        AuditAction.CONSENT_REQUESTED,
        lambda referral: ask_parent(
            referral, parent=parent, staff_id=staff.id, by_manager=Role.MANAGER in staff.roles, now=now
        ),
        lambda referral: {"state": "requested", "source": "staff", "parent": str(parent), "notice": notice_id},
    )
    return send_now_or_leave_to_outbox(saved, "consent request")


# --- answering ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenRequest:
    """A consent request a link may still answer, and the little the parent's page shows."""

    link: ConsentLink
    record: ConsentRequestRecord
    child_first_names: tuple[str, ...]


def open_consent_request(token: str) -> OpenRequest:
    """The request a link names, if it can still be answered; else LinkRefused (which kind says why)."""
    hub = wiring()
    link = verify(token, link_key(hub.settings.hmac_secret), hub.clock())
    record = wiring().consent_requests.find(link.lookup_key)
    if record is None:
        raise LinkTampered()  # signed by us but never sent (its request was refused), or long gone
    try:
        referral = hub.referrals.fetch(record.reference)
    except ReferralNotFound:
        raise LinkSuperseded() from None  # deleted by the retention sweep
    if not is_current_request(referral, record.requested_at):
        # Answered (the answer is now the referral's consent), or replaced by staff.
        raise LinkUsed() if record.answered_at is not None else LinkSuperseded()
    # A claim whose answer never reached the referral (the save and its release both failed) does
    # not use the link up: the referral still awaits this answer, so the parent may give it.
    names = tuple(child.first_name for child in referral.submission.children)
    return OpenRequest(link, record, names)


def answer_consent_request(token: str, answer: ParentAnswer, request_id: str | None) -> ConsentRequestRecord:
    opened = open_consent_request(token)
    record, store = opened.record, wiring().consent_requests
    state = "given" if answer.agreed else "refused"
    try:
        store.claim(record.lookup_key, state, wiring().clock())
    except AlreadyAnswered:
        # open_consent_request found the link's request still the referral's consent, so no answer
        # was recorded: this claim was left by a save that failed (and whose release failed too),
        # or another tab is answering right now. Go on: the versioned save and record_answer's own
        # check let exactly one answer land, and a parent's answer is never lost to a stale claim.
        logger.info("consent link claimed before, answer not recorded", extra={"reference": record.reference})
    try:
        _save_answer(record, answer, state, request_id)
    except (AwsError, StaleReferral):
        store.release(record.lookup_key)
        raise
    except (IllegalTransition, ReferralClosed):
        raise LinkSuperseded() from None  # closed meanwhile: the answer no longer changes anything
    logger.info("consent answered by link", extra={"reference": record.reference, "state": state})
    return record


def _save_answer(record: ConsentRequestRecord, answer: ParentAnswer, state: str, request_id: str | None) -> None:
    # Not a staff member: an actor with no role, audited as "parent" (by position, never by name).
    parent = StaffMember(parent_actor(record.parent), frozenset())
    now = wiring().clock()
    saved = change_referral(
        record.reference,
        parent,
        request_id,
        AuditAction.CONSENT_ANSWERED,
        lambda referral: record_answer(
            referral,
            requested_at=record.requested_at,
            parent=record.parent,
            notice_id=record.notice_id,
            answer=answer,
            now=now,
        ),
        # No comment here: the audit holds the outcome, the comment stays encrypted on the referral.
        lambda referral: {
            "state": state,
            "source": "parent",
            "notice": record.notice_id,
            **withdrawn_details(referral, now),
        },
        role="parent",
    )
    send_withdrawals_now(saved)  # a refusal withdrew the open enquiries: tell the agencies at once


def answered_request(token: str) -> ConsentRequestRecord | None:
    """For the confirmation page: the request this link answered, if it was answered."""
    hub = wiring()
    link = verify(token, link_key(hub.settings.hmac_secret), hub.clock())
    record = wiring().consent_requests.find(link.lookup_key)
    return record if record is not None and record.answered_at is not None else None
