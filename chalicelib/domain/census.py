"""Coded, non-identifying figures of a referral, as the children in need (CIN) census counts them.

The DfE's CIN census records each referral's *source* by a code (the census guide's "source of
referral" list, below). The hub's form asks whether the referrer is a professional (and which kind of
agency) or a member of the public; `SOURCE_BY_AGENCY` is the one mapping from the form's answers to
the census codes, so a council can check it in one place. The form does not ask a member of the
public how they know the child, so they are 1D ("Individual: other"), never guessed as family.

Also here, all computed from clear metadata or at receipt (no personal data in or out):
- the referral date: the London date it was received;
- the outcome code: the decision that stands, or `duplicate` for a referral closed as a duplicate
  of another (left out of the outcome mix and the re-referral rate: the original is counted);
- the decision time: when the decision stood (approved when approval was needed, else recorded);
- a re-referral: the same child (by "known before", `child_identity`) had a referral received in
  the 12 months before this one was received (the census's definition, counted at receipt).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib.domain.decision import Decision, Outcome
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.london_time import london_date
from chalicelib.domain.referral import Agency, ReferrerKind
from chalicelib.domain.referral_links import duplicate_of
from chalicelib.domain.referral_record import Referral

# The census guide's source of referral codes (the "referral source" data item), in the guide's own words
# (a colon where it has a dash): "LA services", not "Local authority services", and early help is one of
# the LA services (5D). 8 is "Other" and 9 "Anonymous". Source: Department for Education, "Children in
# need census 2021 to 2022: guide for local authorities", version 1.0, October 2020; the groups as DfE's
# published "Referrals by source" tables name them (Explore education statistics, Children in need).
SOURCE_LABELS: dict[str, str] = {
    "1A": "Individual: family member, relative or carer",
    "1B": "Individual: acquaintance (including neighbours and child minders)",
    "1C": "Individual: self",
    "1D": "Individual: other",
    "2A": "Schools",
    "2B": "Education services",
    "3A": "Health services: GP",
    "3B": "Health services: health visitor",
    "3C": "Health services: school nurse",
    "3D": "Health services: other primary health services",
    "3E": "Health services: A&E",
    "3F": "Health services: other",
    "4": "Housing",
    "5A": "LA services: social care",
    "5B": "LA services: other internal",
    "5C": "LA services: external (another local authority's services)",
    "5D": "LA services: early help",
    "6": "Police",
    "7": "Other legal agency",
    "8": "Other",
    "9": "Anonymous",
    "10": "Unknown",
}

# A professional referrer's kind of agency (the form's choice) to the census code.
SOURCE_BY_AGENCY: dict[Agency, str] = {
    Agency.CHILDRENS_SOCIAL_CARE: "5A",
    Agency.HEALTH: "3F",  # the form does not say GP, health visitor or hospital
    Agency.EDUCATION: "2A",  # "school, nursery or college"
    Agency.POLICE: "6",
    Agency.PROBATION: "7",
    Agency.HOUSING: "4",
    Agency.EARLY_HELP: "5D",
    Agency.YOUTH_OFFENDING: "7",
    Agency.VICTIM_SUPPORT: "8",
    Agency.OTHER: "8",
}
PUBLIC_SOURCE = "1D"
UNKNOWN_SOURCE = "10"

# The outcome code of a referral closed as a duplicate: it has no decision of its own.
DUPLICATE = "duplicate"
# Decisions that convert a referral to an assessment (section 17 or a section 47 enquiry).
ASSESSMENT_OUTCOMES = frozenset({Outcome.CHILD_AND_FAMILY_ASSESSMENT, Outcome.STRATEGY_DISCUSSION})
RE_REFERRAL_WINDOW_MONTHS = 12


def source_code(kind: ReferrerKind, agency: Agency | None) -> str:
    """The census source of referral code for the form's answers about the referrer."""
    if kind is ReferrerKind.PUBLIC:
        return PUBLIC_SOURCE
    return SOURCE_BY_AGENCY.get(agency, UNKNOWN_SOURCE) if agency else UNKNOWN_SOURCE


def standing_decision(decision: Decision | None) -> tuple[Outcome, dt.datetime] | None:
    """The outcome and the time it stood, or None while there is no standing decision (none, only
    proposed, or returned by a manager)."""
    if decision is None or decision.returned_reason:
        return None
    if decision.needs_approval:
        return (decision.outcome, decision.approved_at) if decision.approved_at else None
    return decision.outcome, decision.decided_at


def re_referral_window_start(received_at: dt.datetime) -> dt.datetime:
    """The start of the 12 months before a receipt (29 February falls back to the 28th)."""
    try:
        return received_at.replace(year=received_at.year - 1)
    except ValueError:
        return received_at.replace(year=received_at.year - 1, day=28)


def is_re_referral(received_at: dt.datetime, earlier_receipts: list[dt.datetime]) -> bool:
    """Whether any earlier referral of the same child was received in the 12 months before this one."""
    start = re_referral_window_start(received_at)
    return any(start <= earlier < received_at for earlier in earlier_receipts)


@dataclass(frozen=True)
class CensusFields:
    """What the item keeps in clear for the figures: codes, dates and a flag, nothing identifying."""

    source: str
    route: str
    received_at: dt.datetime
    re_referral: bool | None  # None: received before the hub computed it
    outcome_code: str | None  # an Outcome's value, `duplicate`, or None while undecided
    decided_at: dt.datetime | None

    @property
    def referral_date(self) -> dt.date:
        return london_date(self.received_at)

    @property
    def duplicate(self) -> bool:
        return self.outcome_code == DUPLICATE

    @property
    def decision_seconds(self) -> int | None:
        """Elapsed seconds from receipt to the standing decision."""
        if self.decided_at is None:
            return None
        return max(0, int((self.decided_at - self.received_at).total_seconds()))


def census_fields(referral: Referral) -> CensusFields:
    """A referral's coded figures, as they stand now."""
    referrer = referral.submission.referrer
    standing = standing_decision(referral.decision)
    duplicate = referral.status is ReferralStatus.CLOSED and duplicate_of(referral.links) is not None
    if duplicate:
        outcome_code: str | None = DUPLICATE
        decided_at = None
    else:
        outcome_code = standing[0].value if standing else None
        decided_at = standing[1] if standing else None
    return CensusFields(
        source=source_code(referrer.kind, referrer.agency),
        route=referral.route.value,
        received_at=referral.received_at,
        re_referral=referral.re_referral,
        outcome_code=outcome_code,
        decided_at=decided_at,
    )
