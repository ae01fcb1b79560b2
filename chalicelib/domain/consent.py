"""The MASH consent model (mash-guidance.txt §3–4), as state the hub can enforce.

- A support referral needs parental consent before MASH agencies share and research
  information: given, implicit (integral to a service the parent agreed to), or dispensed with
  by a manager where asking would be unsafe or cause undue delay (reason and review date kept).
- A protection referral needs no consent, but parents are told about it unless a manager records
  that telling them could put the child at more risk. Until that is decided the notice is held.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.decision import NotAllowed
from chalicelib.domain.referral import ConsentStatus, ReferralSubmission, Route


class ConsentState(StrEnum):
    NOT_REQUIRED = "not_required"  # protection route
    NOT_SOUGHT = "not_sought"  # the referrer could not or did not ask
    REQUESTED = "requested"  # the MASH has asked the parent and awaits the answer
    GIVEN = "given"
    IMPLICIT = "implicit"
    REFUSED = "refused"
    DISPENSED = "dispensed"


# States that allow agencies to share information on a support referral.
SHARING_STATES = frozenset({ConsentState.GIVEN, ConsentState.IMPLICIT, ConsentState.DISPENSED})
# What staff may record through the consent route (not_required and not_sought are never chosen).
RECORDABLE_STATES = frozenset(
    {ConsentState.REQUESTED, ConsentState.GIVEN, ConsentState.IMPLICIT, ConsentState.REFUSED, ConsentState.DISPENSED}
)


class ConsentSource(StrEnum):
    REFERRER = "referrer"
    STAFF = "staff"
    PARENT = "parent"


@dataclass(frozen=True)
class ConsentRecord:
    state: ConsentState
    source: ConsentSource
    recorded_by: str
    recorded_at: dt.datetime
    # Free text below may name the family: stored encrypted.
    given_by: str | None = None
    given_on: dt.date | None = None
    how: str | None = None
    service: str | None = None  # implicit: the service the parent agreed to
    reason: str | None = None  # refused, not sought, or dispensed: why
    review_on: dt.date | None = None  # dispensed: when to look again
    signed_off_by: str | None = None  # dispensed: the manager
    # A parent's answer by a consent link: the request (its notice id) it answered, so that link may
    # change it while it lives, and no other link can.
    answered_request: str | None = None


class ConsentProblem(Exception):
    """A consent record that the model does not allow; the message says what is missing."""


def initial_consent(submission: ReferralSubmission, referrer_id: str, now: dt.datetime) -> ConsentRecord:
    """What the referral itself tells us about consent."""
    if submission.route is Route.PROTECTION or submission.consent is None:
        return ConsentRecord(ConsentState.NOT_REQUIRED, ConsentSource.REFERRER, referrer_id, now)
    given = submission.consent
    state = {
        ConsentStatus.GIVEN: ConsentState.GIVEN,
        ConsentStatus.REFUSED: ConsentState.REFUSED,
        ConsentStatus.NOT_SOUGHT: ConsentState.NOT_SOUGHT,
    }[given.status]
    return ConsentRecord(
        state,
        ConsentSource.REFERRER,
        referrer_id,
        now,
        given_by=given.given_by,
        given_on=given.given_on,
        how=given.how,
        reason=given.reason_not_sought or given.reason_refused,
    )


def check_record(record: ConsentRecord, route: Route, *, by_manager: bool) -> None:
    """Refuse a staff-recorded consent that lacks what MASH practice requires of it."""
    if route is Route.PROTECTION:
        raise ConsentProblem("A protection referral needs no consent: record whether the parents are told instead")
    if record.state not in RECORDABLE_STATES:
        raise ConsentProblem(f"Consent can be recorded as: {', '.join(sorted(s.value for s in RECORDABLE_STATES))}")
    required: dict[ConsentState, list[tuple[str, object]]] = {
        ConsentState.GIVEN: [("given_by", record.given_by), ("given_on", record.given_on), ("how", record.how)],
        ConsentState.IMPLICIT: [("service", record.service)],
        ConsentState.REFUSED: [("reason", record.reason)],
        ConsentState.DISPENSED: [("reason", record.reason), ("review_on", record.review_on)],
    }
    absent = [name for name, value in required.get(record.state, []) if not value]
    if absent:
        raise ConsentProblem(f"Consent {record.state.value} needs: {', '.join(absent)}")
    if record.state is ConsentState.DISPENSED and not by_manager:
        raise NotAllowed("Only a manager can dispense with consent")


def sharing_refusal(route: Route, consent: ConsentRecord) -> str | None:
    """Why agencies may not share information yet, and what would unblock it; None if they may."""
    if route is Route.PROTECTION or consent.state in SHARING_STATES:
        return None
    now_state = {
        ConsentState.NOT_SOUGHT: "consent has not been asked for",
        ConsentState.REQUESTED: "the parent has been asked and has not answered yet",
        ConsentState.REFUSED: "the parent has refused consent",
    }.get(consent.state, f"consent is {consent.state.value}")
    return (
        f"Agencies cannot be asked to share information on this support referral: {now_state}. "
        "Record consent as given or implicit, ask the parent, or a manager can dispense with consent "
        "if asking would put the child at more risk or cause undue delay."
    )


class ParentsToldState(StrEnum):
    """Protection route: are the parents told about the referral?"""

    UNDECIDED = "undecided"  # the notice to parents is held until this is decided
    TELL = "tell"
    WITHHELD = "withheld"


@dataclass(frozen=True)
class ParentsToldDecision:
    state: ParentsToldState
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    reason: str | None = None  # withheld: why telling them could put the child at more risk
    review_on: dt.date | None = None


class OutcomeNoticeChoice(StrEnum):
    WITHHOLD = "withhold"  # a manager: telling the parents the outcome could put the child at more risk
    SEND = "send"  # a manager: send it, even though the parents were not told about the referral


@dataclass(frozen=True)
class OutcomeNoticeDecision:
    choice: OutcomeNoticeChoice
    decided_by: str
    decided_at: dt.datetime
    reason: str  # may name the family: stored encrypted, never audited
    review_on: dt.date | None = None
