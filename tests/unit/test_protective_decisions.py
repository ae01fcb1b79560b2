"""Authority follows the decision's weight: for EVERY protective decision in the domain's list, a
practitioner cannot reverse it or release what it holds, and its maker's role can.

Each decision has here how the test puts it in force and every change that would undo it; the
first test fails when a decision is added to the list without them, so no new one goes unchecked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

import pytest

from chalicelib.domain.consent import (
    ConsentRecord,
    ConsentSource,
    ConsentState,
    OutcomeNoticeChoice,
    OutcomeNoticeDecision,
    ParentsToldDecision,
    ParentsToldState,
)
from chalicelib.domain.consent_requests import ask_parent
from chalicelib.domain.decision import NotAllowed
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.outcome_notices import OutcomeNoticeProblem, decide_outcome_notice
from chalicelib.domain.protective_decisions import (
    PROTECTIVE_DECISIONS,
    ProtectiveDecision,
    ReversalNotAllowed,
    may_make,
)
from chalicelib.domain.referral import ReferralSubmission
from chalicelib.domain.referral_record import Channel, Referral
from chalicelib.domain.staff import Role
from tests.factories import protection_referral, support_referral

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
REVIEW = dt.date(2027, 1, 15)
Step = Callable[[Referral, bool], Referral]  # (referral, by_manager) -> changed


def received(data: dict[str, object]) -> Referral:
    submission = ReferralSubmission.model_validate(data)
    return Referral.receive(
        "ABC-DEF-GH2", submission, channel=Channel.API, now=NOW, request_fingerprint="f", idempotency_key_hash=None
    )


def parents_not_told() -> Referral:
    decision = ParentsToldDecision(ParentsToldState.WITHHELD, "manager-1", NOW, "Father is the alleged abuser", REVIEW)
    return received(protection_referral()).decide_parents_told(decision, by_manager=True)


def consent_dispensed() -> Referral:
    record = ConsentRecord(
        ConsentState.DISPENSED, ConsentSource.STAFF, "manager-1", NOW, reason="Asking would alert the carer",
        review_on=REVIEW, signed_off_by="manager-1",
    )  # fmt: skip
    return received(support_referral()).record_consent(record, by_manager=True)


def outcome_notice_withheld() -> Referral:
    decision = OutcomeNoticeDecision(
        OutcomeNoticeChoice.WITHHOLD, "manager-1", NOW, "Not yet: strategy meeting", REVIEW
    )
    # Before the decision stands, so the withholding holds the notice from the start.
    return decide_outcome_notice(received(support_referral()), decision, by_manager=True)


def tell(referral: Referral, by_manager: bool) -> Referral:
    return referral.decide_parents_told(ParentsToldDecision(ParentsToldState.TELL, "x", NOW), by_manager=by_manager)


def record(state: ConsentState, **details: object) -> Step:
    def step(referral: Referral, by_manager: bool) -> Referral:
        made = ConsentRecord(state, ConsentSource.STAFF, "x", NOW, **details)  # type: ignore[arg-type]
        return referral.record_consent(made, by_manager=by_manager)

    return step


def ask_a_parent(referral: Referral, by_manager: bool) -> Referral:
    return ask_parent(referral, parent=0, staff_id="x", by_manager=by_manager, now=NOW)


def release_outcome(referral: Referral, by_manager: bool) -> Referral:
    decision = OutcomeNoticeDecision(OutcomeNoticeChoice.SEND, "x", NOW, "Synthetic: agreed at the strategy meeting")
    return decide_outcome_notice(referral, decision, by_manager=by_manager)


IN_FORCE: dict[ProtectiveDecision, Callable[[], Referral]] = {
    ProtectiveDecision.PARENTS_NOT_TOLD: parents_not_told,
    ProtectiveDecision.CONSENT_DISPENSED: consent_dispensed,
    ProtectiveDecision.OUTCOME_NOTICE_WITHHELD: outcome_notice_withheld,
}
REVERSALS: dict[ProtectiveDecision, list[Step]] = {
    ProtectiveDecision.PARENTS_NOT_TOLD: [tell],
    ProtectiveDecision.CONSENT_DISPENSED: [
        ask_a_parent,
        record(ConsentState.GIVEN, given_by="Alex Testparent", given_on=dt.date(2026, 12, 7), how="by phone"),
        record(ConsentState.IMPLICIT, service="Health visiting"),
        record(ConsentState.REFUSED, reason="Synthetic: declined"),
        record(ConsentState.REQUESTED),
    ],
    ProtectiveDecision.OUTCOME_NOTICE_WITHHELD: [release_outcome],
}


def test_every_protective_decision_is_covered_here() -> None:
    assert set(IN_FORCE) == set(PROTECTIVE_DECISIONS) == set(REVERSALS) == set(ProtectiveDecision)


@pytest.mark.parametrize("decision", list(ProtectiveDecision))
def test_the_fixture_puts_exactly_that_decision_in_force(decision: ProtectiveDecision) -> None:
    assert IN_FORCE[decision]().protective_decisions == [decision]


@pytest.mark.parametrize(
    ("decision", "reverse"),
    [(decision, step) for decision, steps in REVERSALS.items() for step in steps],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_a_practitioner_cannot_undo_it_and_is_told_who_can(decision: ProtectiveDecision, reverse: Step) -> None:
    referral = IN_FORCE[decision]()
    with pytest.raises(ReversalNotAllowed) as refused:
        reverse(referral, False)
    message = str(refused.value)
    assert Role.MANAGER.value in message  # names the role needed
    assert PROTECTIVE_DECISIONS[decision].holds_back in message
    assert PROTECTIVE_DECISIONS[decision].made_by is Role.MANAGER


@pytest.mark.parametrize(
    ("decision", "reverse"),
    [(decision, step) for decision, steps in REVERSALS.items() for step in steps],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_the_role_that_made_it_can_undo_it(decision: ProtectiveDecision, reverse: Step) -> None:
    changed = reverse(IN_FORCE[decision](), True)
    assert decision not in changed.protective_decisions


def test_a_practitioner_may_still_tell_the_parents_when_nobody_decided_otherwise() -> None:
    # The rule guards decisions in force; it does not turn every ordinary step into a manager's.
    undecided = received(protection_referral())
    assert tell(undecided, False).parents_told == ParentsToldDecision(ParentsToldState.TELL, "x", NOW)
    asked = ask_a_parent(received(support_referral()), False)
    assert asked.consent.state is ConsentState.REQUESTED


def test_a_manager_who_changes_the_withholding_keeps_it_in_force() -> None:
    again = ParentsToldDecision(ParentsToldState.WITHHELD, "manager-2", NOW, "Still unsafe", dt.date(2027, 2, 1))
    changed = parents_not_told().decide_parents_told(again, by_manager=True)
    assert changed.protective_decisions == [ProtectiveDecision.PARENTS_NOT_TOLD]
    assert changed.parents_told_decision == again


def test_the_list_holds_on_any_lifecycle_state_before_closure() -> None:
    screened = replace(parents_not_told(), status=ReferralStatus.DECIDED)
    with pytest.raises(ReversalNotAllowed):
        tell(screened, False)


# --- the console's offer and the domain's rule are one rule -----------------------------------------


def make_parents_not_told(by_manager: bool) -> Referral:
    decision = ParentsToldDecision(ParentsToldState.WITHHELD, "x", NOW, "Father is the alleged abuser", REVIEW)
    return received(protection_referral()).decide_parents_told(decision, by_manager=by_manager)


def make_consent_dispensed(by_manager: bool) -> Referral:
    made = ConsentRecord(
        ConsentState.DISPENSED, ConsentSource.STAFF, "x", NOW, reason="Asking would alert the carer", review_on=REVIEW
    )
    return received(support_referral()).record_consent(made, by_manager=by_manager)


def make_outcome_notice_withheld(by_manager: bool) -> Referral:
    decision = OutcomeNoticeDecision(OutcomeNoticeChoice.WITHHOLD, "x", NOW, "Not yet: strategy meeting", REVIEW)
    return decide_outcome_notice(received(support_referral()), decision, by_manager=by_manager)


MAKE: dict[ProtectiveDecision, Callable[[bool], Referral]] = {
    ProtectiveDecision.PARENTS_NOT_TOLD: make_parents_not_told,
    ProtectiveDecision.CONSENT_DISPENSED: make_consent_dispensed,
    ProtectiveDecision.OUTCOME_NOTICE_WITHHELD: make_outcome_notice_withheld,
}


@pytest.mark.parametrize("decision", list(ProtectiveDecision))
@pytest.mark.parametrize("role", list(Role))
def test_who_may_make_a_protective_decision_is_exactly_whom_the_domain_lets_make_it(
    decision: ProtectiveDecision, role: Role
) -> None:
    """`may_make` decides whether the console offers the choice; the domain decides whether it is
    recorded. They must agree for every role, or a form offers what then refuses (or hides what works)."""
    try:
        made = decision in MAKE[decision](role is Role.MANAGER).protective_decisions
    except (NotAllowed, OutcomeNoticeProblem):
        made = False
    assert made == may_make(decision, {role})
