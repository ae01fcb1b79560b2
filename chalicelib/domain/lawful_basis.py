"""The lawful basis of each sharing decision, as a code kept in clear on the referral.

Every time the hub lets information about a family leave the MASH (an agency asked to share and
research, a family referred on to another service) it records why that was lawful: a code, so the
record holds no free text and an auditor can count them. The basis follows from the referral at
the moment of sharing: its route and its consent (mash-guidance.txt §3–4).

The legal grounds behind every code are the same for a council: UK GDPR Article 6(1)(e) (a public
task: the Children Act 1989 and 2004 duties) and, for the special category data a referral holds
(health, ethnicity, sex life), Article 9(2)(g) with the Data Protection Act 2018 Schedule 1
paragraph 18 (safeguarding children). What differs is the decision that made this sharing right.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.consent import ConsentRecord, ConsentState
from chalicelib.domain.referral import Route


class LawfulBasis(StrEnum):
    CONSENT_GIVEN = "consent_given"
    CONSENT_IMPLICIT = "consent_implicit"
    CONSENT_DISPENSED = "consent_dispensed"
    PROTECTION_ROUTE = "protection_route"
    ONWARD_REFERRAL = "onward_referral"


# In words for staff (the referral page, the whole picture): plain English, law named once.
BASIS_WORDS: dict[LawfulBasis, str] = {
    LawfulBasis.CONSENT_GIVEN: "Consent: a parent agreed to information being shared",
    LawfulBasis.CONSENT_IMPLICIT: (
        "Implied consent: sharing is part of a service the parent agreed to (Children Act 1989 section 17)"
    ),
    LawfulBasis.CONSENT_DISPENSED: (
        "Without consent, by a manager's decision: asking would put the child at more risk or cause "
        "undue delay (Children Act 1989 section 17; safeguarding, Data Protection Act 2018)"
    ),
    LawfulBasis.PROTECTION_ROUTE: (
        "Child protection: a child may be suffering significant harm, so no consent is needed "
        "(Children Act 1989 section 47)"
    ),
    LawfulBasis.ONWARD_REFERRAL: (
        "Onward referral: the MASH decided another service should help the family, and only the parts "
        "it needs were passed on (Children Act 2004 section 10)"
    ),
}

# The grounds common to every basis, for the privacy notice and the records of processing.
LEGAL_GROUNDS = (
    "UK GDPR Article 6(1)(e): a task in the public interest, the council's duties under the "
    "Children Act 1989 and the Children Act 2004",
    "UK GDPR Article 9(2)(g) and the Data Protection Act 2018 Schedule 1 paragraph 18: "
    "safeguarding children, for the health, ethnicity and other special category details a referral may hold",
)

_CONSENT_BASES = {
    ConsentState.GIVEN: LawfulBasis.CONSENT_GIVEN,
    ConsentState.IMPLICIT: LawfulBasis.CONSENT_IMPLICIT,
    ConsentState.DISPENSED: LawfulBasis.CONSENT_DISPENSED,
}


class SharingKind(StrEnum):
    ENQUIRY = "enquiry"  # an agency asked to share and research (its enquiry id)
    ONWARD_REFERRAL = "onward_referral"  # a service the family was referred on to (its notice id)


@dataclass(frozen=True)
class SharingBasis:
    """One sharing decision and its basis: ids, codes and a time, nothing personal."""

    kind: SharingKind
    shared: str  # the enquiry id or the onward referral's notice id
    basis: LawfulBasis
    recorded_at: dt.datetime

    @property
    def words(self) -> str:
        return BASIS_WORDS[self.basis]


def basis_for_sharing(route: Route, consent: ConsentRecord) -> LawfulBasis | None:
    """Why agencies may be asked to share now; None when they may not (no basis, no sharing)."""
    if route is Route.PROTECTION:
        return LawfulBasis.PROTECTION_ROUTE
    return _CONSENT_BASES.get(consent.state)


def bases_for(
    kind: SharingKind, shared_ids: list[str], basis: LawfulBasis, now: dt.datetime
) -> tuple[SharingBasis, ...]:
    return tuple(SharingBasis(kind, shared, basis, now) for shared in shared_ids)
