"""Withdrawing agency enquiries (issue 11 item 3): when consent is refused, or one on its own.

A support referral's agencies may share information only with consent. When a parent (or staff
for them) refuses after enquiries went out, every open enquiry is withdrawn in the same change
that records the refusal: the agency is emailed a short withdrawal (owed as a notice, so the
outbox guarantees it), chasers and escalations stop (a withdrawn enquiry is not open), and a reply
that still arrives goes to triage as `consent_withdrawn`, never onto the referral.

Staff can also withdraw a single enquiry, with a reason (kept sealed; the audit holds the code).

Which agencies are emailed: those whose request email was owed (sent, or on its way). A request
still waiting to go is cancelled instead, so the family's details never leave after a refusal;
the agency is told anyway, since SES may have taken it just before (the outbox cannot know).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from enum import StrEnum

from chalicelib.domain.consent import ConsentState
from chalicelib.domain.enquiries import (
    Enquiry,
    EnquiryRefused,
    agency_recipient,
    request_notice_id,
    withdrawal_notice_id,
)
from chalicelib.domain.notices import Notice, NoticeKind
from chalicelib.domain.referral_record import Referral

REASON_MAX_LENGTH = 2000


class WithdrawalCause(StrEnum):
    CONSENT_REFUSED = "consent_refused"  # the parent refused (or staff recorded a refusal)
    STAFF = "withdrawn_by_staff"  # one enquiry, with a reason


class EnquiryNotFound(LookupError):
    """The referral has no enquiry with that id."""


def withdraw_enquiry(
    referral: Referral,
    enquiry_id: str,
    *,
    reason: str,
    by: str,
    now: dt.datetime,
) -> Referral:
    """One enquiry withdrawn by staff, with their reason; EnquiryRefused if it is not open."""
    enquiry = referral.enquiry(enquiry_id)
    if enquiry is None:
        raise EnquiryNotFound(
            f"This referral has no enquiry {enquiry_id}: take its id from the enquiries in the whole picture"
        )
    if not reason.strip():
        raise EnquiryRefused("Say why the enquiry is withdrawn: the reason is kept with the referral")
    if enquiry.withdrawn_at is not None:
        raise EnquiryRefused(f"Enquiry {enquiry_id} is already withdrawn")
    if enquiry.answered_at is not None:
        raise EnquiryRefused(
            f"Enquiry {enquiry_id} is already answered: there is nothing to withdraw. "
            "If the answer should not be used, record that in the case notes"
        )
    return _withdrawn(referral, enquiry, WithdrawalCause.STAFF, by, now, reason=reason.strip())


def withdraw_open_enquiries(referral: Referral, *, by: str, now: dt.datetime) -> Referral:
    """Every open enquiry withdrawn because consent was refused (nothing to do if none is open)."""
    for enquiry in referral.enquiries:
        if enquiry.is_open:
            referral = _withdrawn(referral, enquiry, WithdrawalCause.CONSENT_REFUSED, by, now)
    return referral


def withdraw_if_refused(referral: Referral, *, by: str, now: dt.datetime) -> Referral:
    """After a consent record: a refusal withdraws every open enquiry; any other state changes nothing."""
    if referral.consent.state is not ConsentState.REFUSED:
        return referral
    return withdraw_open_enquiries(referral, by=by, now=now)


def withdrawn_now(referral: Referral, now: dt.datetime) -> list[str]:
    """Ids of the enquiries this change withdrew (for the audit: ids only)."""
    return [e.enquiry_id for e in referral.enquiries if e.withdrawn_at == now]


def _withdrawn(
    referral: Referral,
    enquiry: Enquiry,
    cause: WithdrawalCause,
    by: str,
    now: dt.datetime,
    *,
    reason: str | None = None,
) -> Referral:
    updated = replace(
        enquiry,
        withdrawn_at=now,
        withdrawn_by=by,
        withdrawn_because=cause.value,
        withdrawal_reason=reason,
        next_publish_at=None,  # never handed to the agency's queue now
    )
    referral = referral.with_enquiry(updated)
    request = next((n for n in referral.notices if n.notice_id == request_notice_id(enquiry.enquiry_id)), None)
    if request is None:
        # No request email was ever owed: the agency knows nothing of this family; nothing to take back.
        return referral
    referral = referral.with_notice(request.cancelled())
    return referral.with_notice_added(
        Notice.new(
            withdrawal_notice_id(enquiry.enquiry_id),
            NoticeKind.AGENCY_WITHDRAWAL,
            now,
            recipient=agency_recipient(enquiry.agency),
        )
    )
