"""The consent gate for every route x consent state, and what each record must carry."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.consent import (
    ConsentProblem,
    ConsentRecord,
    ConsentSource,
    ConsentState,
    check_record,
    initial_consent,
    sharing_refusal,
)
from chalicelib.domain.decision import NotAllowed
from chalicelib.domain.referral import ReferralSubmission, Route
from tests.factories import example

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def record(state: ConsentState, **details: object) -> ConsentRecord:
    return ConsentRecord(state, ConsentSource.STAFF, "staff-1", NOW, **details)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("route", "state", "allowed"),
    [
        (Route.SUPPORT, ConsentState.GIVEN, True),
        (Route.SUPPORT, ConsentState.IMPLICIT, True),
        (Route.SUPPORT, ConsentState.DISPENSED, True),
        (Route.SUPPORT, ConsentState.NOT_SOUGHT, False),
        (Route.SUPPORT, ConsentState.REQUESTED, False),
        (Route.SUPPORT, ConsentState.REFUSED, False),
        *[(Route.PROTECTION, state, True) for state in ConsentState],
    ],
)
def test_agencies_share_only_where_the_consent_model_allows(route: Route, state: ConsentState, allowed: bool) -> None:
    assert (sharing_refusal(route, record(state)) is None) is allowed


def test_the_refusal_says_why_and_what_would_unblock_it() -> None:
    message = sharing_refusal(Route.SUPPORT, record(ConsentState.REQUESTED))
    assert message is not None
    assert "the parent has been asked and has not answered yet" in message
    assert "a manager can dispense with consent" in message


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("referral-support.json", ConsentState.GIVEN),
        ("referral-support-no-consent.json", ConsentState.NOT_SOUGHT),
        ("referral-protection.json", ConsentState.NOT_REQUIRED),
    ],
)
def test_the_referral_itself_sets_the_starting_consent(name: str, state: ConsentState) -> None:
    submission = ReferralSubmission.model_validate(example(name))
    assert initial_consent(submission, "referrer", NOW).state is state


def test_the_shared_example_without_consent_is_held_by_the_gate() -> None:
    submission = ReferralSubmission.model_validate(example("referral-support-no-consent.json"))
    assert sharing_refusal(submission.route, initial_consent(submission, "referrer", NOW)) is not None


@pytest.mark.parametrize(
    ("state", "details", "message"),
    [
        (ConsentState.GIVEN, {}, "Consent given needs: given_by, given_on, how"),
        (ConsentState.IMPLICIT, {}, "Consent implicit needs: service"),
        (ConsentState.REFUSED, {}, "Consent refused needs: reason"),
        (ConsentState.DISPENSED, {"reason": "Risk of flight"}, "Consent dispensed needs: review_on"),
        (ConsentState.NOT_SOUGHT, {}, "Consent can be recorded as: dispensed, given, implicit, refused, requested"),
    ],
)
def test_each_consent_record_carries_what_practice_requires(state: ConsentState, details: dict, message: str) -> None:
    with pytest.raises(ConsentProblem, match=message):
        check_record(record(state, **details), Route.SUPPORT, by_manager=True)


def test_only_a_manager_dispenses_with_consent() -> None:
    dispensed = record(ConsentState.DISPENSED, reason="Asking could increase risk", review_on=dt.date(2026, 12, 10))
    with pytest.raises(NotAllowed, match="Only a manager can dispense with consent"):
        check_record(dispensed, Route.SUPPORT, by_manager=False)
    check_record(dispensed, Route.SUPPORT, by_manager=True)


def test_a_protection_referral_takes_no_consent_record() -> None:
    with pytest.raises(ConsentProblem, match="record whether the parents are told instead"):
        check_record(record(ConsentState.GIVEN), Route.PROTECTION, by_manager=True)
