"""The email to the service a family is referred on to: only the sections the practitioner chose.

Rendered from the decrypted submission; a section not chosen is never put in the template's
context, so no template change can leak it.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from chalicelib.domain.decision import OUTCOME_LABELS
from chalicelib.domain.notices import Notice
from chalicelib.domain.onward_referral import SECTION_TITLES, OnwardReferral, Section, directory_from
from chalicelib.domain.referral_record import Referral
from chalicelib.mail.compose import compose, contact_numbers
from chalicelib.settings import Settings


def compose_onward_referral(referral: Referral, notice: Notice, settings: Settings) -> EmailMessage:
    onward = _onward_for(referral, notice)
    service = directory_from(settings.onward_service_directory).get(onward.service_id)
    if service is None:
        raise ValueError("the service is no longer in the directory")
    context = {
        "reference": referral.reference,
        "service_name": onward.service_name,
        "outcome": OUTCOME_LABELS[referral.decision.outcome] if referral.decision else None,
        "reason": onward.reason,
        "sections": [
            {"title": SECTION_TITLES[section], "content": section_content(referral, section)}
            for section in onward.sections
        ],
        **contact_numbers(settings),
    }
    return compose(
        "onward_referral",
        sender=settings.mail_sender,
        to=service.email,
        mail_domain=settings.mail_domain,
        context=context,
    )


def _onward_for(referral: Referral, notice: Notice) -> OnwardReferral:
    for onward in referral.onward_referrals:
        if onward.notice_id == notice.notice_id:
            return onward
    raise ValueError("no onward referral for this notice")


def section_content(referral: Referral, section: Section) -> Any:
    """One section as plain data (dicts, lists, text) for the template to lay out."""
    if section is Section.DECISION:
        decision = referral.decision
        if decision is None:
            return None
        return {"outcome": OUTCOME_LABELS[decision.outcome], "reasons": decision.reasons}
    return referral.submission.model_dump(mode="json")[section.value]
