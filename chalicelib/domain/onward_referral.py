"""What an onward referral is (mash-guidance.txt §4): the family passed to another service with only
the parts of the record that service needs, and a record of what went, to whom, and why.

Values only (the Referral holds them); the rules that make one are in `passing_on`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.decision import Outcome


class Section(StrEnum):
    """The parts of the record a practitioner may choose to pass on."""

    CHILDREN = "children"
    PARENTS_CARERS = "parents_carers"
    CONCERNS = "concerns"
    CONSENT = "consent"
    PARENTS_INFORMED = "parents_informed"
    REFERRER = "referrer"
    DECISION = "decision"  # the MASH's outcome and its reasons


# Outcomes that hand the family to a service outside the MASH: early help, a universal service
# such as health visiting or school nursing, or the children's services of another authority.
# A section 17 or 47 outcome stays with this council's children's social care: nothing leaves.
PASSING_ON_OUTCOMES = frozenset({Outcome.EARLY_HELP, Outcome.UNIVERSAL_SERVICES, Outcome.TRANSFER})

# How the email to the service heads each section.
SECTION_TITLES: dict[Section, str] = {
    Section.CHILDREN: "Children",
    Section.PARENTS_CARERS: "Parents and carers",
    Section.CONCERNS: "The concerns",
    Section.CONSENT: "Consent",
    Section.PARENTS_INFORMED: "Whether the parents were told",
    Section.REFERRER: "Who made the referral",
    Section.DECISION: "The MASH decision and its reasons",
}

# How the parents' notice names each section: in their words, about their family.
SECTION_FOR_PARENTS: dict[Section, str] = {
    Section.CHILDREN: "your child’s details, such as their name, date of birth, address and school",
    Section.PARENTS_CARERS: "the names and contact details of the parents and carers",
    Section.CONCERNS: "what the person who contacted us was worried about",
    Section.CONSENT: "what you agreed to about sharing information",
    Section.PARENTS_INFORMED: "whether you had been told about the referral",
    Section.REFERRER: "who contacted us about your child",
    Section.DECISION: "what the MASH decided and why",
}


@dataclass(frozen=True)
class OnwardService:
    """An entry in the service directory (settings, per stage): the address is looked up at send time."""

    service_id: str
    name: str
    email: str


def directory_from(entries: list[dict[str, str]]) -> dict[str, OnwardService]:
    """The services a family can be referred on to, by id, from the stage's configured entries."""
    return {entry["id"]: OnwardService(entry["id"], entry["name"], entry["email"]) for entry in entries}


@dataclass(frozen=True)
class OnwardReferral:
    notice_id: str
    service_id: str
    service_name: str  # as it was when referred: what the parents were told stays true
    sections: tuple[Section, ...]
    # Why these parts: written for the family to read, and may name them, so stored encrypted.
    reason: str
    referred_by: str
    referred_at: dt.datetime


class OnwardReferralRefused(Exception):
    """Not allowed now (no standing decision, or one that passes nothing on); says what is allowed."""


class OnwardReferralProblem(Exception):
    """The request itself is incomplete or names something unknown; says what to fix."""
