"""Decisions that protect a child by holding something back, and who may undo them.

Some decisions keep something from a person because doing it could put the child at more risk:
not telling the parents about a protection referral, dispensing with consent (not asking a parent
at all), withholding the parents' outcome notice. The guidance gives each to a manager. The rule,
the same for all of them and kept here rather than route by route: **whoever may make a
protective decision is the only one who may reverse it or release what it holds.** Otherwise a
practitioner could undo a manager's "do not tell" by recording "tell", and the email would go to
the parent the manager was protecting the child from.

`PROTECTIVE_DECISIONS` lists every such decision; `Referral.protective_decisions` says which
hold on a referral and `check_may_change` is called by each change that could reverse one. A
test walks the whole list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.consent import (
    ConsentRecord,
    ConsentState,
    OutcomeNoticeChoice,
    OutcomeNoticeDecision,
    ParentsToldDecision,
    ParentsToldState,
)
from chalicelib.domain.decision import NotAllowed
from chalicelib.domain.staff import Role


class ProtectiveDecision(StrEnum):
    PARENTS_NOT_TOLD = "parents_not_told"
    CONSENT_DISPENSED = "consent_dispensed"
    OUTCOME_NOTICE_WITHHELD = "outcome_notice_withheld"


@dataclass(frozen=True)
class Authority:
    decision: ProtectiveDecision
    made_by: Role
    holds_back: str  # what it keeps from whom, for the refusal message
    undone_by: str  # which change would reverse it or release what it holds


PROTECTIVE_DECISIONS: dict[ProtectiveDecision, Authority] = {
    authority.decision: authority
    for authority in (
        Authority(
            ProtectiveDecision.PARENTS_NOT_TOLD,
            Role.MANAGER,
            "a manager has decided the parents are not told about this referral",
            "recording that the parents are told (it emails them, and releases an outcome notice it holds)",
        ),
        Authority(
            ProtectiveDecision.CONSENT_DISPENSED,
            Role.MANAGER,
            "a manager has dispensed with consent because asking the parents could put the child at more risk",
            "recording consent again or asking a parent for it",
        ),
        Authority(
            ProtectiveDecision.OUTCOME_NOTICE_WITHHELD,
            Role.MANAGER,
            "a manager has withheld the parents' outcome notice",
            "releasing the outcome notice",
        ),
    )
}


class ReversalNotAllowed(NotAllowed):
    """A change that would undo a protective decision, asked by someone who may not make it."""

    def __init__(self, authority: Authority) -> None:
        super().__init__(
            f"Only a {authority.made_by.value} can do this: {authority.holds_back}, and {authority.undone_by} "
            "would undo that decision. Ask a manager to review it."
        )
        self.authority = authority


def in_force(
    parents_told: ParentsToldDecision | None, consent: ConsentRecord, outcome_notice: OutcomeNoticeDecision | None
) -> list[ProtectiveDecision]:
    """The protective decisions holding, from a referral's three decisions, in the list's order."""
    holding = {
        ProtectiveDecision.PARENTS_NOT_TOLD: parents_told is not None
        and parents_told.state is ParentsToldState.WITHHELD,
        ProtectiveDecision.CONSENT_DISPENSED: consent.state is ConsentState.DISPENSED,
        ProtectiveDecision.OUTCOME_NOTICE_WITHHELD: outcome_notice is not None
        and outcome_notice.choice is OutcomeNoticeChoice.WITHHOLD,
    }
    return [decision for decision in PROTECTIVE_DECISIONS if holding[decision]]


def may_make(decision: ProtectiveDecision, roles: Iterable[Role]) -> bool:
    """Whether someone with these roles may make this decision (and so reverse it): the rule the
    domain enforces and the rule the console uses to decide whether to offer the choice at all."""
    return PROTECTIVE_DECISIONS[decision].made_by in frozenset(roles)


def check_may_change(holding: list[ProtectiveDecision], decision: ProtectiveDecision, roles: frozenset[Role]) -> None:
    """Refuse a change that would reverse `decision` (if it is holding) unless its maker's role is held."""
    authority = PROTECTIVE_DECISIONS[decision]
    if decision in holding and not may_make(decision, roles):
        raise ReversalNotAllowed(authority)


def roles_of(by_manager: bool) -> frozenset[Role]:
    """The domain's older `by_manager` flag as roles, for the callers that still pass it."""
    return frozenset({Role.MANAGER}) if by_manager else frozenset({Role.PRACTITIONER})
