"""Who in the family the MASH contacts: a plan per person, owned by the MASH (issue 11 item 2).

A consent request, a "parents told" notice and an outcome notice go only to the people the plan
says are told. By default that is a parent, carer or household adult **with parental
responsibility** who is **not recorded as unsafe to contact**, and **never** a person who may
pose a risk to the child. The referrer's answers start the plan; a practitioner changes it per
person with a reason:
- what the MASH has found: parental responsibility (yes, no, not known), safe to contact, may
  pose a risk (clearing "may pose a risk" is a manager's, as every protective finding is);
- not telling someone the defaults include: a reason and a review date;
- telling someone the defaults leave out: a manager only.
A send the plan forbids is refused (ContactRefused, a 409 naming the person's role and the rule).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from chalicelib.domain.decision import NotAllowed
from chalicelib.domain.people import Person, PersonKind, people_of
from chalicelib.domain.referral import ReferralSubmission
from chalicelib.domain.staff import Role


@dataclass(frozen=True)
class ContactDecision:
    """A member of staff's change to one person's plan; the latest for a person stands."""

    person: str  # a person key: parent:0, household:1, risk:0
    reason: str  # may name the family: stored sealed, never audited
    decided_by: str
    decided_at: dt.datetime
    # None in a change: as before (the person's last decision, else what the referrer said).
    parental_responsibility: bool | None = None
    safe_to_contact: bool | None = None
    may_pose_risk: bool | None = None
    tell: bool | None = None  # None: as before; with nothing before, follow the defaults
    review_on: dt.date | None = None  # needed when not telling someone the defaults include


class Why(StrEnum):
    """Why a person is or is not told: a code for the audit, the API and the console."""

    HAS_PARENTAL_RESPONSIBILITY = "has_parental_responsibility"
    NO_PARENTAL_RESPONSIBILITY = "no_parental_responsibility"
    PARENTAL_RESPONSIBILITY_NOT_KNOWN = "parental_responsibility_not_known"
    UNSAFE_TO_CONTACT = "unsafe_to_contact"
    MAY_POSE_RISK = "may_pose_risk"
    NOT_TOLD_BY_DECISION = "not_told_by_decision"
    TOLD_BY_MANAGER = "told_by_manager"


# Each completes "They ...", in a message to staff or on the console.
WHY_TEXT: dict[Why, str] = {
    Why.HAS_PARENTAL_RESPONSIBILITY: "have parental responsibility and are not recorded as unsafe to contact",
    Why.NO_PARENTAL_RESPONSIBILITY: "do not have parental responsibility",
    Why.PARENTAL_RESPONSIBILITY_NOT_KNOWN: "are not known to have parental responsibility",
    Why.UNSAFE_TO_CONTACT: "are recorded as unsafe to contact",
    Why.MAY_POSE_RISK: "may pose a risk to the child",
    Why.NOT_TOLD_BY_DECISION: "are not told, by a recorded decision",
    Why.TOLD_BY_MANAGER: "are told, by a manager's decision",
}


@dataclass(frozen=True)
class PlanEntry:
    person: Person
    parental_responsibility: bool | None
    safe_to_contact: bool | None
    safe_said_by: str | None  # "referrer", "mash" or None (nobody has said)
    may_pose_risk: bool
    default_told: bool
    told: bool
    why: Why
    decision: ContactDecision | None

    @property
    def review_on(self) -> dt.date | None:
        return self.decision.review_on if self.decision and not self.told else None


class ContactPlanProblem(Exception):
    """A change to the plan that lacks what it needs; the message says what."""


class ContactRefused(Exception):
    """A send the plan forbids. The message names the person's role and the rule, never their name."""


def contact_plan(submission: ReferralSubmission, decisions: tuple[ContactDecision, ...]) -> list[PlanEntry]:
    latest = {decision.person: decision for decision in decisions}
    return [_entry(person, latest.get(person.key)) for person in people_of(submission)]


def _entry(person: Person, decision: ContactDecision | None) -> PlanEntry:
    responsibility = person.parental_responsibility
    safe, said_by = person.safe_to_contact, ("referrer" if person.safe_to_contact is not None else None)
    risk = person.kind is PersonKind.RISK
    if decision is not None:
        if decision.parental_responsibility is not None:
            responsibility = decision.parental_responsibility
        if decision.safe_to_contact is not None:
            safe, said_by = decision.safe_to_contact, "mash"
        risk = risk or bool(decision.may_pose_risk)
    default_why = _default_why(responsibility, safe, risk)
    default_told = default_why is Why.HAS_PARENTAL_RESPONSIBILITY
    told, why = default_told, default_why
    if decision is not None and decision.tell is not None and decision.tell != default_told:
        told = decision.tell
        why = Why.TOLD_BY_MANAGER if told else Why.NOT_TOLD_BY_DECISION
    return PlanEntry(person, responsibility, safe, said_by, risk, default_told, told, why, decision)


def _default_why(responsibility: bool | None, safe: bool | None, risk: bool) -> Why:
    if risk:
        return Why.MAY_POSE_RISK
    if safe is False:
        return Why.UNSAFE_TO_CONTACT
    if responsibility is None:
        return Why.PARENTAL_RESPONSIBILITY_NOT_KNOWN
    return Why.HAS_PARENTAL_RESPONSIBILITY if responsibility else Why.NO_PARENTAL_RESPONSIBILITY


def entry_for(plan: list[PlanEntry], key: str) -> PlanEntry | None:
    return next((entry for entry in plan if entry.person.key == key), None)


def check_change(
    submission: ReferralSubmission,
    decisions: tuple[ContactDecision, ...],
    change: ContactDecision,
    roles: frozenset[Role],
) -> tuple[ContactDecision, ...]:
    """The decisions with `change` in place of the person's last, or a refusal saying why not."""
    before = entry_for(contact_plan(submission, decisions), change.person)
    if before is None:
        raise ContactPlanProblem("person must name someone in the referral, like parent:0 or household:1")
    if not change.reason.strip():
        raise ContactPlanProblem("Say why you are changing the plan for this person, in reason")
    change = _merged(change, before.decision)
    manager = Role.MANAGER in roles
    if before.person.kind is PersonKind.RISK and (change.tell or change.safe_to_contact):
        raise ContactRefused("A person who may pose a risk to the child is never contacted by the hub")
    if before.may_pose_risk and not change.may_pose_risk and before.person.kind is not PersonKind.RISK and not manager:
        raise NotAllowed(
            f"Only a {Role.MANAGER.value} can record that this {before.person.role} no longer may pose a risk"
        )
    changed = (*(d for d in decisions if d.person != change.person), change)
    after = entry_for(contact_plan(submission, changed), change.person) or before  # the same person
    if after.told and not after.default_told and not manager:
        raise NotAllowed(
            f"Telling this {after.person.role} needs a {Role.MANAGER.value}: by default the hub does not, because "
            f"they {WHY_TEXT[_default_why(after.parental_responsibility, after.safe_to_contact, after.may_pose_risk)]}"
        )
    if not after.told and after.default_told and change.review_on is None:
        raise ContactPlanProblem("Not telling someone the plan would tell needs: review_on (when to look again)")
    # A review date only means something for someone not told.
    kept = change if not after.told or after.default_told else replace(change, review_on=None)
    return (*(d for d in decisions if d.person != change.person), kept)


def _merged(change: ContactDecision, previous: ContactDecision | None) -> ContactDecision:
    """A change says only what it changes; the rest carries over, so the latest decision is whole."""
    if previous is None:
        return change
    return replace(
        change,
        parental_responsibility=_either(change.parental_responsibility, previous.parental_responsibility),
        safe_to_contact=_either(change.safe_to_contact, previous.safe_to_contact),
        may_pose_risk=_either(change.may_pose_risk, previous.may_pose_risk),
        tell=_either(change.tell, previous.tell),
    )


def _either(new: bool | None, old: bool | None) -> bool | None:
    return new if new is not None else old


def refuse_unless_told(
    submission: ReferralSubmission, decisions: tuple[ContactDecision, ...], key: str, what: str
) -> None:
    """Refuse `what` (e.g. "a consent request") to a person the plan does not tell."""
    entry = entry_for(contact_plan(submission, decisions), key)
    if entry is None:
        raise ContactRefused(f"There is nobody in the referral to send {what} to: check the person chosen")
    if not entry.told:
        raise ContactRefused(
            f"The contact plan does not tell this {entry.person.role}: they {WHY_TEXT[entry.why]}, so the hub does "
            f"not send them {what}. Change their contact plan first if that is wrong (telling someone the plan "
            f"leaves out needs a {Role.MANAGER.value})"
        )


def told_people(submission: ReferralSubmission, decisions: tuple[ContactDecision, ...]) -> list[Person]:
    """Who the family's notices go to (an email, or a task to tell them another way)."""
    return [entry.person for entry in contact_plan(submission, decisions) if entry.told]
