"""Nothing lost, nothing sent twice, every failure visible: each flow under seeded AWS faults,
then recovery (faults off, the outbox swept past every backoff), checked from what moto holds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.faults.conftest import record
from tests.faults.flows import (
    Staff,
    consent_flow,
    enquiry_flow,
    night_submission_flow,
    staff_flow,
    submission_flow,
    withdrawal_flow,
)
from tests.faults.harness import Outcome, shared_aws, world

SUBMISSION_SEEDS = range(0, 110)
STAFF_SEEDS = range(1000, 1040)
CONSENT_SEEDS = range(2000, 2050)
ENQUIRY_SEEDS = range(3000, 3040)
WITHDRAWAL_SEEDS = range(4000, 4040)
NIGHT_SEEDS = range(5000, 5060)

# Bugs the suite found and the hub does not fix yet (reported to the lead; see faults.json):
# 1. SES accepts an email, then its "sent" marker cannot be written (6 tries) and saving the notice
#    as sent fails too: the notice stays pending and the outbox sends it again -> 2 emails. SES has no
#    idempotency key, so this window can be narrowed (it needs 7 DynamoDB failures in a row), not closed.
# 2. A parent's answer: the link is claimed, saving the answer fails, and releasing the claim
#    fails too -> the link says "already used" and the answer is lost.
KNOWN = {
    "duplicated": "bug 1: email re-sent after SES accepted it but the sent state was not saved",
    "answer lost": "bug 2: consent link claimed, answer not saved, claim not released",
}


def assert_promises_kept(outcome: Outcome) -> None:
    unknown = [v for v in outcome.violations if v not in outcome.duplicated and "refused as used" not in v]
    assert unknown == [], explain(outcome)
    if outcome.violations:
        pytest.xfail("; ".join(KNOWN.values()) + f" — {outcome.violations}")


@pytest.fixture(scope="module")
def shared(jwks_path: str) -> Iterator[tuple[Any, Any]]:
    with pytest.MonkeyPatch.context() as patch:
        # Before the wiring reads the settings: staff tokens verify against the session's issuer.
        patch.setenv("MASH_LOCAL_JWKS_PATH", jwks_path)
        with shared_aws() as hub_and_client:
            yield hub_and_client


def explain(outcome: Outcome) -> str:
    return f"seed {outcome.seed} ({outcome.flow}): {outcome.violations}; faults: {outcome.fault_log}"


@pytest.mark.parametrize("seed", SUBMISSION_SEEDS)
def test_a_submission_survives_faults(seed: int, shared: Any) -> None:
    with world(seed, "submission", shared) as run:
        submission_flow(run)
        outcome = run.finish()
    record(outcome)
    assert_promises_kept(outcome)


@pytest.mark.parametrize("seed", STAFF_SEEDS)
def test_screening_decision_and_approval_survive_faults(seed: int, issuer: Any, shared: Any) -> None:
    with world(seed, "staff", shared) as run:
        staff_flow(run, Staff(run, issuer))
        outcome = run.finish()
    record(outcome)
    assert_promises_kept(outcome)


@pytest.mark.parametrize("seed", CONSENT_SEEDS)
def test_a_consent_request_and_the_parents_answer_survive_faults(seed: int, issuer: Any, shared: Any) -> None:
    with world(seed, "consent", shared) as run:
        consent_flow(run, Staff(run, issuer))
        outcome = run.finish()
    record(outcome)
    assert_promises_kept(outcome)


@pytest.mark.parametrize("seed", ENQUIRY_SEEDS)
def test_enquiries_their_requests_and_the_agencies_replies_survive_faults(seed: int, issuer: Any, shared: Any) -> None:
    with world(seed, "enquiry", shared) as run:
        enquiry_flow(run, Staff(run, issuer))
        outcome = run.finish()
    record(outcome)
    assert_promises_kept(outcome)


@pytest.mark.parametrize("seed", WITHDRAWAL_SEEDS)
def test_withdrawing_enquiries_and_their_emails_survive_faults(seed: int, issuer: Any, shared: Any) -> None:
    with world(seed, "withdrawal", shared) as run:
        withdrawal_flow(run, Staff(run, issuer))
        outcome = run.finish()
    record(outcome)
    assert_promises_kept(outcome)


@pytest.mark.parametrize("seed", NIGHT_SEEDS)
def test_a_night_submission_loses_no_emergency_duty_team_alert_and_sends_none_twice(seed: int, shared: Any) -> None:
    with world(seed, "night", shared) as run:
        night_submission_flow(run)
        outcome = run.finish()
    record(outcome)
    assert_promises_kept(outcome)
