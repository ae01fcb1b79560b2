"""The email asking a parent for consent: plain English, a signed single-use link, nothing of the
concern, the child's details or who referred (unless they agreed to be named)."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

from chalicelib.domain.consent_links import link_for, link_key, sign
from chalicelib.domain.consent_requests import current_request_notice
from chalicelib.domain.notices import Notice
from chalicelib.domain.referral_record import Referral
from chalicelib.mail.compose import compose, contact_numbers
from chalicelib.mail.family import family_address, named_referrer
from chalicelib.settings import Settings

CONSENT_PATH = "/consent/"
# The agencies in the MASH (mash-guidance.txt §1), as a parent would know them.
MASH_AGENCIES = (
    "children’s social care",
    "health services, such as your GP, health visitor or school nurse",
    "your child’s school or nursery",
    "the police",
    "probation",
    "housing",
    "early help services",
    "the youth offending service",
    "victim support services",
)


def link_lifetime(settings: Settings) -> dt.timedelta:
    return dt.timedelta(days=settings.consent_link_days)


def consent_link(referral: Referral, notice: Notice, settings: Settings) -> str:
    """The link a consent request email carries; ValueError (the notice fails) if the request was
    answered or replaced before the email could go."""
    if notice.notice_id != current_request_notice(referral):
        raise ValueError("the consent request this notice was for is no longer awaiting an answer")
    link = link_for(
        reference=referral.reference,
        notice_id=notice.notice_id,
        requested_at=referral.consent.recorded_at,
        key=link_key(settings.hmac_secret),
        lifetime=link_lifetime(settings),
    )
    return settings.public_url.rstrip("/") + CONSENT_PATH + sign(link, link_key(settings.hmac_secret))


def compose_consent_request(referral: Referral, notice: Notice, settings: Settings) -> EmailMessage:
    """Plain English for a parent: who is worried in general terms, what would be shared, with whom,
    why, and how to answer. Never the referrer's name, the concerns, or the child's details."""
    address = family_address(referral, notice)
    expires_on = referral.consent.recorded_at + link_lifetime(settings)
    context = {
        "link": consent_link(referral, notice, settings),
        "expires_on": f"{expires_on.day} {expires_on:%B %Y}",
        "named_referrer": named_referrer(referral),
        "agencies": MASH_AGENCIES,
        **contact_numbers(settings),
    }
    return compose(
        "consent_request", sender=settings.mail_sender, to=address, mail_domain=settings.mail_domain, context=context
    )
