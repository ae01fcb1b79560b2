"""Advice contacts: a call to the MASH that is not (yet) a referral ("contact the MASH for advice").

Staff record who called (a professional, with their agency, or a member of the public), about whom
(a short description; names optional), the advice given and how it ended: advice only, a referral
invited, or made into a referral (its reference). What identifies anyone is sealed under the
contact's own data key; what the reports count (when, the caller's kind and agency, the outcome) is
coded and kept in clear, so counting needs no decryption. Each is kept `advice_retention_years`
from the call, then deleted by the retention sweep, leaving a receipt of codes.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.london_time import LONDON
from chalicelib.domain.referral import Agency
from chalicelib.domain.rollups import ADVICE, ADVICE_CALLER_PREFIX, ADVICE_PREFIX, DayRollup

# A referral names ten children at most (`ReferralSubmission.children`).
MAX_NAMED_CHILDREN = 10


class CallerKind(StrEnum):
    PROFESSIONAL = "professional"
    PUBLIC = "public"


class AdviceOutcome(StrEnum):
    ADVICE_ONLY = "advice_only"
    REFERRAL_INVITED = "referral_invited"
    MADE_INTO_REFERRAL = "made_into_referral"


CALLER_LABELS = {CallerKind.PROFESSIONAL: "A professional", CallerKind.PUBLIC: "A member of the public"}
OUTCOME_LABELS = {
    AdviceOutcome.ADVICE_ONLY: "Advice only",
    AdviceOutcome.REFERRAL_INVITED: "The caller was asked to make a referral",
    AdviceOutcome.MADE_INTO_REFERRAL: "Made into a referral",
}


class AdviceProblem(Exception):
    """An advice contact recorded wrongly: the message says what to fix."""


class AdviceNotFound(Exception):
    """No advice contact has that id (or it was deleted at the end of its retention period)."""


def new_contact_id(called_at: dt.datetime) -> str:
    """Sortable by when the call was (so a list reads newest first), then 32 random bits; nothing personal."""
    return f"{called_at.astimezone(dt.UTC):%Y%m%d%H%M%S}{secrets.token_hex(4)}"


@dataclass(frozen=True)
class AdviceContact:
    contact_id: str
    called_at: dt.datetime
    recorded_at: dt.datetime
    recorded_by: str
    caller_kind: CallerKind
    outcome: AdviceOutcome
    retention_until: dt.datetime
    # Coded, in clear: the professional caller's kind of agency (never their organisation's name).
    caller_agency: Agency | None = None
    # The referral it became, when made into one (a reference is not personal data).
    referral_reference: str | None = None
    # Sealed: who called and about whom, and what was said.
    caller_name: str | None = None
    caller_organisation: str | None = None
    caller_phone: str | None = None
    about: str = ""
    names: str | None = None
    advice: str = ""

    def __post_init__(self) -> None:
        if self.caller_kind is CallerKind.PROFESSIONAL and self.caller_agency is None:
            raise AdviceProblem("Select the professional caller's agency")
        if self.caller_kind is CallerKind.PUBLIC and self.caller_agency is not None:
            raise AdviceProblem("A member of the public has no agency: leave it out")
        if self.outcome is AdviceOutcome.MADE_INTO_REFERRAL and not self.referral_reference:
            raise AdviceProblem("Give the reference of the referral it was made into")
        if self.outcome is not AdviceOutcome.MADE_INTO_REFERRAL and self.referral_reference:
            raise AdviceProblem("A referral reference goes only with the outcome made_into_referral")


def retention_until(called_at: dt.datetime, years: int) -> dt.datetime:
    try:
        return called_at.replace(year=called_at.year + years)
    except ValueError:  # 29 February in a year that has none
        return called_at.replace(year=called_at.year + years, day=28)


@dataclass(frozen=True)
class AdviceRow:
    """An advice contact's clear metadata: what the list shows and the reports count."""

    contact_id: str
    called_at: dt.datetime
    recorded_at: dt.datetime
    recorded_by: str
    caller_kind: CallerKind
    caller_agency: Agency | None
    outcome: AdviceOutcome
    referral_reference: str | None


@dataclass(frozen=True)
class AdviceCounts:
    """Advice contacts in a range: counted from clear codes only."""

    total: int
    by_outcome: dict[str, int]
    by_caller_kind: dict[str, int]
    by_month: dict[str, int]


def count_contacts(rows: list[AdviceRow]) -> AdviceCounts:
    by_month: dict[str, int] = {}
    for row in rows:
        month = row.called_at.astimezone(LONDON).strftime("%Y-%m")
        by_month[month] = by_month.get(month, 0) + 1
    return AdviceCounts(
        total=len(rows),
        by_outcome={outcome.value: sum(1 for r in rows if r.outcome is outcome) for outcome in AdviceOutcome},
        by_caller_kind={kind.value: sum(1 for r in rows if r.caller_kind is kind) for kind in CallerKind},
        by_month=dict(sorted(by_month.items())),
    )


def counts_from_rollups(days: list[DayRollup]) -> AdviceCounts:
    """The same counts from the calls' daily rollups (London days): O(days), whatever the calls."""
    by_month: dict[str, int] = {}
    for day in days:
        if day.count(ADVICE):
            month = day.day.strftime("%Y-%m")
            by_month[month] = by_month.get(month, 0) + day.count(ADVICE)
    return AdviceCounts(
        total=sum(day.count(ADVICE) for day in days),
        by_outcome={o.value: sum(day.count(ADVICE_PREFIX + o.value) for day in days) for o in AdviceOutcome},
        by_caller_kind={k.value: sum(day.count(ADVICE_CALLER_PREFIX + k.value) for day in days) for k in CallerKind},
        by_month=dict(sorted(by_month.items())),
    )


def referral_prefill(contact: AdviceContact) -> dict[str, object]:
    """What a referral made from this call starts with (a partial ReferralSubmission, as JSON): the
    caller as the referrer (a professional with their organisation and agency; the public as given)
    and what was said about the child and family as the concerns. Staff complete the rest."""
    referrer: dict[str, object] = {"kind": contact.caller_kind.value}
    if contact.caller_name:
        referrer["name"] = contact.caller_name
    if contact.caller_phone:
        referrer["phone"] = contact.caller_phone
    if contact.caller_kind is CallerKind.PROFESSIONAL:
        if contact.caller_organisation:
            referrer["organisation"] = contact.caller_organisation
        if contact.caller_agency:
            referrer["agency"] = contact.caller_agency.value
    about = contact.about if not contact.names else f"{contact.about}\n\nNames given: {contact.names}"
    prefill: dict[str, object] = {"referrer": referrer, "concerns": {"description": about}}
    if children := children_named(contact.names):
        prefill["children"] = children
    return prefill


# One name as typed in the call's "Names": capitalised words of letters, hyphens and apostrophes
# ("Mia Testchild", "Zoë O'Test-Child"), at most four; anything else ("her mum") is not taken as a name.
_NAME_WORD = r"[^\W\d_][\w'’-]*"
_ONE_NAME = re.compile(rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,3}}")
_BETWEEN_NAMES = re.compile(r"\s*(?:[,;/&\n]|\band\b)\s*", re.IGNORECASE)


def children_named(names: str | None) -> list[dict[str, str]]:
    """The children a call's "Names" gives, for the referral's child entries: "Mia Testchild, Leo"
    gives Mia (last name Testchild) and Leo (last name left for staff: a sibling's surname may differ).
    Only what reads as a capitalised name is taken; the names stay in the concerns as given either way."""
    children: list[dict[str, str]] = []
    for part in _BETWEEN_NAMES.split(names or ""):
        if not _ONE_NAME.fullmatch(part) or not all(word[0].isupper() for word in part.split()):
            continue
        first, _, last = part.partition(" ")
        children.append({"first_name": first, "last_name": last.strip()} if last.strip() else {"first_name": first})
    return children[:MAX_NAMED_CHILDREN]
