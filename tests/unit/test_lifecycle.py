"""The referral lifecycle refuses illegal steps and says what is allowed now."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.decision import NotAllowed, Outcome, Rag, Screening, needs_manager_approval
from chalicelib.domain.lifecycle import Action, IllegalTransition, ReferralStatus, allowed_actions, next_status
from chalicelib.domain.referral import ReferralSubmission, Route
from chalicelib.domain.referral_record import Channel, Referral
from tests.factories import example

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def received(name: str = "referral-support.json") -> Referral:
    return Referral.receive(
        "K7Q-F3M-RW9",
        ReferralSubmission.model_validate(example(name)),
        channel=Channel.API,
        now=NOW,
        request_fingerprint="f",
        idempotency_key_hash=None,
    )


def screening(rag: Rag = Rag.AMBER) -> Screening:
    return Screening(rag, 3, "Rationale", "prac-1", NOW, NOW + dt.timedelta(hours=8))


def test_a_new_referral_can_only_be_screened() -> None:
    assert allowed_actions(ReferralStatus.RECEIVED) == [Action.SCREEN]


def test_deciding_before_screening_is_refused_with_what_is_allowed() -> None:
    with pytest.raises(IllegalTransition) as refused:
        received().record_decision(Outcome.EARLY_HELP, "Reasons", "prac-1", NOW)
    assert str(refused.value) == (
        "Cannot record a decision while the referral is received. Allowed now: screen (RAG rating and level of need)"
    )


def test_a_closed_referral_allows_nothing() -> None:
    with pytest.raises(IllegalTransition, match="Allowed now: nothing: the referral is closed"):
        next_status(ReferralStatus.CLOSED, Action.SCREEN)


def test_screening_again_is_allowed_until_a_decision() -> None:
    referral = received().screen(screening(Rag.GREEN)).screen(screening(Rag.RED))
    assert (referral.status, referral.rag) == (ReferralStatus.SCREENED, Rag.RED)


def test_early_help_stands_without_approval() -> None:
    decided = received().screen(screening()).record_decision(Outcome.EARLY_HELP, "Reasons", "prac-1", NOW)
    assert decided.status is ReferralStatus.DECIDED
    assert decided.decision is not None and decided.decision.needs_approval is False


@pytest.mark.parametrize(
    ("outcome", "route", "needs"),
    [
        (Outcome.NO_FURTHER_ACTION, Route.SUPPORT, False),
        (Outcome.NO_FURTHER_ACTION, Route.PROTECTION, True),
        (Outcome.UNIVERSAL_SERVICES, Route.SUPPORT, False),
        (Outcome.EARLY_HELP, Route.PROTECTION, False),
        (Outcome.CHILD_AND_FAMILY_ASSESSMENT, Route.SUPPORT, True),
        (Outcome.STRATEGY_DISCUSSION, Route.PROTECTION, True),
        (Outcome.MAP_MASE, Route.SUPPORT, True),
        (Outcome.ALLOCATED_WORKER, Route.SUPPORT, True),
        (Outcome.TRANSFER, Route.SUPPORT, True),
    ],
)
def test_section_17_and_above_and_protection_nfa_need_a_manager(outcome: Outcome, route: Route, needs: bool) -> None:
    assert needs_manager_approval(outcome, route) is needs


def test_a_statutory_decision_waits_for_another_manager() -> None:
    proposed = received().screen(screening()).record_decision(Outcome.STRATEGY_DISCUSSION, "Reasons", "prac-1", NOW)
    assert proposed.status is ReferralStatus.DECISION_PROPOSED
    with pytest.raises(NotAllowed, match="cannot approve their own decision"):
        proposed.approve_decision("prac-1", NOW)
    approved = proposed.approve_decision("manager-1", NOW)
    assert approved.status is ReferralStatus.DECIDED
    assert approved.decision is not None and approved.decision.approved_by == "manager-1"


def test_a_returned_decision_goes_back_to_screened() -> None:
    proposed = received().screen(screening()).record_decision(Outcome.TRANSFER, "Reasons", "prac-1", NOW)
    returned = proposed.return_decision("manager-1", "Check the other authority first")
    assert returned.status is ReferralStatus.SCREENED
    assert returned.decision is not None and returned.decision.returned_reason == "Check the other authority first"


def test_unscreened_immediate_risk_referral_tops_the_queue() -> None:
    from dataclasses import replace

    urgent = replace(received(), immediate_risk=True)
    assert urgent.urgency_rank < received().screen(screening(Rag.RED)).urgency_rank < received().urgency_rank


def test_delivery_events_move_a_notice_forward_and_never_off_a_final_failure() -> None:
    from chalicelib.domain.notices import Notice, NoticeKind, NoticeStatus

    sent = Notice.new("ack", NoticeKind.ACKNOWLEDGEMENT, NOW).sent("ses-1", NOW)
    delivered = sent.delivery_event(NoticeStatus.DELIVERED, NOW)
    late_delay = delivered.delivery_event(NoticeStatus.DELAYED, NOW)
    assert (late_delay.status, len(late_delay.history)) == (NoticeStatus.DELIVERED, 2)
    complained = late_delay.delivery_event(NoticeStatus.COMPLAINED, NOW)
    assert complained.status is NoticeStatus.COMPLAINED
    bounced_then_delivered = sent.delivery_event(NoticeStatus.BOUNCED, NOW).delivery_event(NoticeStatus.DELIVERED, NOW)
    assert bounced_then_delivered.status is NoticeStatus.BOUNCED
    assert [status for status, _ in bounced_then_delivered.history] == ["bounced", "delivered"]
