"""The email telling a parent about a protection referral: plain English, never who referred or
what they said (that could put the child, or the referrer, at risk)."""

from __future__ import annotations

from email.message import EmailMessage

from chalicelib.domain.notices import Notice
from chalicelib.domain.referral_record import Referral
from chalicelib.mail.compose import compose, contact_numbers
from chalicelib.mail.family import family_address, named_referrer
from chalicelib.settings import Settings


def compose_parents_told(referral: Referral, notice: Notice, settings: Settings) -> EmailMessage:
    address = family_address(referral, notice)
    context = {
        "named_referrer": named_referrer(referral),
        **contact_numbers(settings),
    }
    return compose(
        "parents_told", sender=settings.mail_sender, to=address, mail_domain=settings.mail_domain, context=context
    )
