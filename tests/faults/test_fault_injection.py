"""Nothing lost, nothing sent twice, every failure visible: each flow under seeded AWS faults,
then recovery (faults off, the outbox swept past every backoff), checked from what moto holds."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.faults.flows import (
    Staff,
    consent_flow,
    enquiry_flow,
    export_flow,
    night_submission_flow,
    staff_flow,
    submission_flow,
    withdrawal_flow,
)
from tests.faults.harness import Outcome, shared_aws, world
from tests.faults.results import record

# Every run on one worker, in order (make test uses --dist loadgroup): a run's counts depend on the
# runs before it in the same moto account, so splitting them across workers by timing made the
# totals vary widely from one `make test` to the next. The other worker runs the rest meanwhile.
# (Two runs still differ by a fault or so in a hundred runs: something in a flow is not yet seeded.)
pytestmark = pytest.mark.xdist_group("faults")

# `make test` runs every flow on every fourth seed (a quick, fixed budget: the same seeds each time);
# `make faults` (and CI, after make test) runs them all: FAULT_BUDGET=full.
STEP = 1 if os.environ.get("FAULT_BUDGET") == "full" else 4
SUBMISSION_SEEDS = range(0, 110, STEP)
STAFF_SEEDS = range(1000, 1040, STEP)
CONSENT_SEEDS = range(2000, 2050, STEP)
ENQUIRY_SEEDS = range(3000, 3040, STEP)
WITHDRAWAL_SEEDS = range(4000, 4040, STEP)
NIGHT_SEEDS = range(5000, 5060, STEP)
EXPORT_SEEDS = range(6000, 6030, STEP)

# The one bug the suite found that the hub cannot close: SES accepts an email, then its "sent"
# marker cannot be written (6 tries) and saving the notice as sent fails too, so the notice stays
# pending and the outbox sends it again -> 2 emails. SES has no idempotency key, so the window can
# only be narrowed: it takes 7 DynamoDB failures in a row. Only that exact signature is excused
# (an email sent twice, in a run whose faults hold 7 consecutive DynamoDB failures); any other
# duplicate, loss or invisible failure fails the run. (The consent link's "refused as used" was
# fixed and is no longer excused.)
BUG_1 = "bug 1: email re-sent after SES accepted it but the sent state was not saved (7 DynamoDB faults in a row)"
EMAIL_SENT_TWICE = re.compile(r"^\d+x '.*' to ")
BUG_1_RUN = 7


def has_bug_1_signature(outcome: Outcome) -> bool:
    steps = sorted(int(entry.split()[1]) for entry in outcome.fault_log if entry.split()[2].startswith("dynamodb."))
    longest = run = 0
    for previous, step in zip([None, *steps], steps, strict=False):
        run = run + 1 if previous is not None and step == previous + 1 else 1
        longest = max(longest, run)
    return longest >= BUG_1_RUN


def assert_promises_kept(outcome: Outcome) -> None:
    excused = [v for v in outcome.duplicated if EMAIL_SENT_TWICE.match(v) and has_bug_1_signature(outcome)]
    unknown = [v for v in outcome.violations if v not in excused]
    assert unknown == [], explain(outcome)
    if excused:
        pytest.xfail(f"{BUG_1} — {excused}")


def test_the_excuse_matches_only_its_signature() -> None:
    """The oracle for the exemption, on made-up outcomes: 7 DynamoDB faults in a row, or nothing."""
    seven = Outcome(1, "t", duplicated=["2x 'Your referral' to a@…"], fault_log=[
        f"step {n} dynamodb.UpdateItem ProvisionedThroughputExceededException" for n in range(10, 17)])  # fmt: skip
    six = Outcome(2, "t", duplicated=seven.duplicated, fault_log=seven.fault_log[:6])
    broken = Outcome(3, "t", duplicated=seven.duplicated, fault_log=[*seven.fault_log[:3], *seven.fault_log[4:]])
    assert has_bug_1_signature(seven) and not has_bug_1_signature(six) and not has_bug_1_signature(broken)
    with pytest.raises(AssertionError):
        assert_promises_kept(six)
    with pytest.raises(AssertionError):
        assert_promises_kept(Outcome(4, "t", lost=["K7Q: parent's answer refused as used but consent is requested"]))


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


@pytest.mark.parametrize("seed", EXPORT_SEEDS)
def test_an_export_survives_an_outage_of_the_case_systems_drop_folder(seed: int, issuer: Any, shared: Any) -> None:
    with world(seed, "export", shared) as run:
        export_flow(run, Staff(run, issuer))
        outcome = run.finish()
    record(outcome)
    assert_promises_kept(outcome)
