"""Emails to partner agencies: the information request, its chaser, and the escalation.

Minimal disclosure: an agency gets only what it needs to search its records — the reference, the
children's names, dates of birth and addresses, the parents' and carers' names — with the
question, the due time and how to reply. Never the concern text, never who referred.
The chaser, the escalation and the withdrawal carry no family details at all: the request is in
the mailbox. A withdrawal names the reference and the agency's own enquiry (its id and when it
was asked), never the question, which staff may have written with the family's details in it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from chalicelib.domain.enquiries import Enquiry, agency_of_recipient, enquiry_of_notice
from chalicelib.domain.notices import Notice, NoticeKind
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.reply_tokens import ReplyToken, reply_address, token_key
from chalicelib.mail.compose import compose
from chalicelib.settings import Settings

LONDON = ZoneInfo("Europe/London")
TEMPLATES = {
    NoticeKind.AGENCY_REQUEST: "agency_request",
    NoticeKind.AGENCY_CHASER: "agency_chaser",
    NoticeKind.AGENCY_ESCALATION: "agency_escalation",
    NoticeKind.AGENCY_WITHDRAWAL: "agency_withdrawal",
}


def compose_agency_email(referral: Referral, notice: Notice, settings: Settings) -> EmailMessage:
    enquiry = _enquiry_for(referral, notice)
    target = agency_of_recipient(notice.recipient)
    agency = settings.agency_directory.get(enquiry.agency)
    if agency is None or target is None:
        raise ValueError("the agency is no longer in the directory")
    _agency_id, to_escalation_contact = target
    reply_to = reply_address_for(referral.reference, enquiry, settings)
    context: dict[str, object] = {
        "reference": referral.reference,
        "enquiry_id": enquiry.enquiry_id,
        "agency_name": agency.name,
        # Not given to the withdrawal's template: nothing in it may name the family.
        "question": enquiry.question if notice.kind is not NoticeKind.AGENCY_WITHDRAWAL else "",
        "asked_on": when(enquiry.opened_at),
        "due": when(enquiry.due_at),
        "escalate": when(enquiry.escalate_at),
        "reply_address": reply_to,
        "council_name": settings.council_name,
        "mash_phone_office_hours": settings.mash_phone_office_hours,
        "mash_email": settings.mash_email,
    }
    if notice.kind is NoticeKind.AGENCY_REQUEST:
        context.update(family_search_details(referral))
    message = compose(
        TEMPLATES[notice.kind],
        sender=settings.mail_sender,
        to=agency.escalation_contact if to_escalation_contact else agency.mailbox,
        mail_domain=settings.mail_domain,
        context=context,
        reply_to=reply_to,
    )
    request_id = request_message_id(referral.reference, enquiry.enquiry_id, settings)
    if notice.kind is NoticeKind.AGENCY_REQUEST:
        # The same Message-ID on every retry: the agency's replies thread on it.
        message.replace_header("Message-ID", request_id)
    else:
        message["In-Reply-To"] = request_id
        message["References"] = request_id
    return message


def reply_address_for(reference: str, enquiry: Enquiry, settings: Settings) -> str:
    token = ReplyToken(reference, enquiry.enquiry_id, enquiry.opened_at.astimezone(dt.UTC).date())
    return reply_address(token, token_key(settings.hmac_secret), settings.mail_domain)


def request_message_id(reference: str, enquiry_id: str, settings: Settings) -> str:
    """Unguessable but stable: an HMAC, so a retry or a chaser names the same request."""
    digest = hmac.new(
        token_key(settings.hmac_secret), f"request-message-id\x1f{reference}\x1f{enquiry_id}".encode(), hashlib.sha256
    ).hexdigest()[:24]
    return f"<request.{digest}@{settings.mail_domain}>"


def family_search_details(referral: Referral) -> dict[str, object]:
    """What an agency searches its records by, and nothing more."""
    submission = referral.submission
    children = [
        {
            "name": f"{child.first_name} {child.last_name}",
            "born": child.date_of_birth.strftime("%-d %B %Y") if child.date_of_birth else None,
            "due": child.expected_date.strftime("%-d %B %Y") if child.expected_date else None,
            "address": _address(child.address),
        }
        for child in submission.children
    ]
    parents = [{"name": p.name, "relationship": p.relationship} for p in submission.parents_carers]
    return {"children": children, "parents": parents}


def _address(address: object) -> str:
    parts = [getattr(address, name, None) for name in ("line1", "line2", "town", "postcode")]
    return ", ".join(part for part in parts if part)


def when(moment: dt.datetime) -> str:
    local = moment.astimezone(LONDON)
    return local.strftime("%A %-d %B %Y at %-I:%M") + local.strftime("%p").lower()


def _enquiry_for(referral: Referral, notice: Notice) -> Enquiry:
    enquiry_id = enquiry_of_notice(notice.notice_id)
    enquiry = referral.enquiry(enquiry_id) if enquiry_id else None
    if enquiry is None:
        raise ValueError("no enquiry for this notice")
    return enquiry
