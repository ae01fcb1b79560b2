"""Where a notice to someone in the family goes, checked against the contact plan as it is sent."""

from __future__ import annotations

from chalicelib.domain.notices import Notice
from chalicelib.domain.people import person_of
from chalicelib.domain.referral_record import Referral


def family_address(referral: Referral, notice: Notice) -> str:
    """The email address of the person a family notice is for. ValueError (the notice fails and a
    person is told) if they have none, or if the contact plan no longer tells them: the plan is
    checked again at the moment of sending, not only when the notice was owed."""
    person = person_of(referral.submission, notice.recipient)
    if person is None or not person.email:
        raise ValueError("the person has no email address")
    if person.key not in {told.key for told in referral.told_people}:
        raise ValueError("the contact plan no longer tells this person")
    return person.email


def named_referrer(referral: Referral) -> str | None:
    """How a family message may name who referred: only if the referrer agreed to be named. Else
    None, and the message says "someone": not even what kind of person, which on a street can
    narrow it to the neighbour who wrote in."""
    referrer = referral.submission.referrer
    if not referrer.may_be_named_to_family:
        return None
    where = ", ".join(part for part in (referrer.role, referrer.organisation) if part)
    return f"{referrer.name} ({where})" if where else referrer.name
