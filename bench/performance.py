"""The performance report over a year, at 1,000 and 30,000 referrals (in-process moto, a manager token).

Referrals may be written through the store (one encrypted item each, and their counts on the daily
rollups in the same transaction, as the hub writes them), spread over 2026 in several states; on moto
that takes minutes (THROUGH_STORE_MAX), so by default the daily rollups are written directly: each
synthetic referral's census figures go through the same `contributions` function and the ~365 day items
are written with the same `ADD` updates the store uses. The report reads only the rollups, so what it
costs depends on the days, not on how the counts got there.

Advice calls (ADVICE_PER_REFERRAL of them per referral) are seeded the same way: each call's clear
item is written (codes only; nothing reads its sealed part here), and its counts go on its day's rollup
through `advice_contribution` and the same `ADD` updates the advice store uses. The report reads the
advice rollups, never the calls, so its calls stay O(days) with them too.

Figures: the report's AWS calls (goal: no KMS call), its time on moto and outside AWS, and a modelled
time on real DynamoDB: calls x MODEL_CALL_MS (a Query of a few hundred small items is ~10 ms in-region).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench.aws_meter import counting_aws
from bench.referrals import app_under_moto, examples
from bench.staff_api import PerRequest, Samples, Timing, per_request, timed
from bench.timeliness import manager_token

SIZES = (1000, 30000)
# Through the store, moto's TransactWriteItems deep-copies the table on each write: 1,000 referrals took
# 339 s on the 2-core bench machine (0.04 s of modelled DynamoDB time per report, as below). So both
# sizes seed their rollups directly by default; set this to 1000 to seed the 1,000 through the store.
THROUGH_STORE_MAX = 0
REPORTS = 10
ADVICE_PER_REFERRAL = 0.5  # advice calls per referral: many calls to a MASH end as advice only
MODEL_CALL_MS = 10.0
GOAL_SECONDS = 2.0
YEAR_START = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2027, 1, 2, 12, 0, tzinfo=dt.UTC)
PATH = "/admin/reports/performance?from=2026-01-01&to=2026-12-31"


@dataclass(frozen=True)
class PerformanceFigures:
    referrals: int
    seeded_through: str
    seed_seconds: float
    referrals_in_report: int
    advice_in_report: int
    json_report: Timing
    json_work: PerRequest
    csv_work: PerRequest

    @property
    def modelled_seconds(self) -> float:
        calls = sum(self.json_work.dynamodb_calls().values())
        return calls * MODEL_CALL_MS / 1000


def received_at(number: int, count: int) -> dt.datetime:
    return YEAR_START + dt.timedelta(days=364) * number / count


def referral_in_state(number: int, count: int, submission: Any) -> Any:
    from chalicelib.domain.decision import Outcome, Rag, Screening
    from chalicelib.domain.reference import new_reference
    from chalicelib.domain.referral_record import Channel, Referral

    received = received_at(number, count)
    referral = Referral.receive(
        new_reference(), submission, channel=Channel.API, now=received, request_fingerprint="bench",
        idempotency_key_hash=None,
    )  # fmt: skip
    referral = replace(referral, re_referral=number % 5 == 0)
    if number % 6 == 0:
        return referral  # not yet screened
    screened = received + dt.timedelta(hours=1)
    referral = referral.screen(Screening(Rag.AMBER, 2, "Bench", "staff-1", screened, screened + dt.timedelta(days=1)))
    outcome = (Outcome.EARLY_HELP, Outcome.CHILD_AND_FAMILY_ASSESSMENT, Outcome.UNIVERSAL_SERVICES)[number % 3]
    referral = referral.record_decision(outcome, "Bench reasons", "staff-1", screened + dt.timedelta(hours=5))
    if referral.decision and referral.decision.needs_approval:
        referral = referral.approve_decision("manager-1", screened + dt.timedelta(hours=7))
    return referral


def seed_through_store(hub: Any, count: int) -> None:
    from chalicelib.domain.referral import ReferralSubmission

    submissions = [ReferralSubmission.model_validate(json.loads(body)) for body in examples()]
    for number in range(count):
        hub.referrals.add(referral_in_state(number, count, submissions[number % len(submissions)]))


def seed_rollups_directly(hub: Any, count: int) -> None:
    from chalicelib.adapters.referrals.rollup_items import REFERRAL_DAY, add_counts_updates
    from chalicelib.domain.census import ASSESSMENT_OUTCOMES, CensusFields
    from chalicelib.domain.decision import Outcome
    from chalicelib.domain.rollups import contributions, merged

    deltas = []
    for number in range(count):
        received = received_at(number, count)
        decided = None if number % 6 == 0 else received + dt.timedelta(hours=8)
        outcome = (Outcome.EARLY_HELP, Outcome.CHILD_AND_FAMILY_ASSESSMENT, Outcome.UNIVERSAL_SERVICES)[number % 3]
        fields = CensusFields(
            source=("2A", "6", "3F", "1D", "5A")[number % 5], route=("support", "protection")[number % 2],
            received_at=received, re_referral=number % 5 == 0,
            outcome_code=outcome.value if decided else None, decided_at=decided,
        )  # fmt: skip
        deltas.append(contributions(fields))
    assert ASSESSMENT_OUTCOMES  # the same definitions the store uses
    add_each(hub.aws_client("dynamodb"), add_counts_updates(hub.settings.table_name, REFERRAL_DAY, merged(deltas)))


def add_each(db: Any, updates: list[dict[str, Any]]) -> None:
    """The store's `ADD` updates, each as its own UpdateItem: the same item and counts, but moto's
    TransactWriteItems deep-copies the table once per operation (seconds per batch of 100)."""
    for update in updates:
        db.update_item(**update["Update"])


def seed_advice(hub: Any, count: int) -> None:
    """`count` advice calls over 2026: their items (clear codes) and their counts on the days' rollups."""
    from chalicelib.adapters.advice_contacts import CONTACT_PREFIX, PARTITION
    from chalicelib.adapters.referrals.rollup_items import ADVICE_DAY, add_counts_updates
    from chalicelib.domain.advice_contacts import AdviceOutcome, CallerKind
    from chalicelib.domain.rollups import advice_contribution, merged

    db = hub.aws_client("dynamodb")
    table = hub.settings.table_name
    deltas, puts = [], []
    for number in range(count):
        called = received_at(number, count)
        outcome = tuple(AdviceOutcome)[number % 3].value
        kind = tuple(CallerKind)[number % 2].value
        deltas.append(advice_contribution(called, outcome, kind))
        contact_id = f"{called:%Y%m%d%H%M%S}{number:08x}"
        item = {
            "pk": PARTITION, "sk": CONTACT_PREFIX + contact_id, "contact_id": contact_id,
            "called_at": called.isoformat(), "recorded_at": called.isoformat(), "recorded_by": "staff-1",
            "caller_kind": kind, "outcome": outcome,
        }  # fmt: skip
        puts.append({"PutRequest": {"Item": {name: {"S": value} for name, value in item.items()}}})
    add_each(db, add_counts_updates(table, ADVICE_DAY, merged(deltas)))
    for start in range(0, len(puts), 25):
        db.batch_write_item(RequestItems={table: puts[start : start + 25]})


def measure(count: int) -> PerformanceFigures:
    with tempfile.TemporaryDirectory(prefix="bench-issuer-") as key_dir:
        token, jwks_path = manager_token(Path(key_dir))
        with app_under_moto({"MASH_LOCAL_JWKS_PATH": jwks_path}) as (client, hub):
            hub.clock = lambda: NOW
            started = time.perf_counter()
            through_store = count <= THROUGH_STORE_MAX
            (seed_through_store if through_store else seed_rollups_directly)(hub, count)
            seed_advice(hub, int(count * ADVICE_PER_REFERRAL))
            seed_seconds = time.perf_counter() - started
            headers = {"Authorization": f"Bearer {token}"}

            def report(path: str) -> Any:
                response = client.http.get(path, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(f"GET {path} answered {response.status_code}: {response.body[:300]!r}")
                return response

            first = json.loads(report(PATH).body)  # warm-up: token keys, imports
            with counting_aws() as tally:
                samples = Samples()
                for _ in range(REPORTS):
                    timed(lambda: report(PATH), tally, samples)
                json_work = per_request(tally, REPORTS)
                tally.reset()
                for _ in range(REPORTS):
                    timed(lambda: report(PATH + "&format=csv"), tally, Samples())
                csv_work = per_request(tally, REPORTS)
    return PerformanceFigures(
        referrals=count,
        seeded_through="the store (item + rollups in one transaction each)" if through_store else "rollups directly",
        seed_seconds=seed_seconds,
        referrals_in_report=first["total"]["received"],
        advice_in_report=first["total"]["advice_contacts"],
        json_report=samples.timing(),
        json_work=json_work,
        csv_work=csv_work,
    )


def show_figures(show: Callable[..., None]) -> None:
    print("(i) Performance report over a year (2026), from the daily rollups (in-process moto, a manager token)")
    for count in SIZES:
        figures = measure(count)
        advice = int(count * ADVICE_PER_REFERRAL)
        show(
            f"{count:,} referrals ({figures.seeded_through}) + {advice:,} advice calls",
            f"{figures.seed_seconds:.1f} s",
        )
        show(
            "  referrals / advice calls counted by the report",
            f"{figures.referrals_in_report:,} / {figures.advice_in_report:,}",
        )
        timing = figures.json_report
        show("  p50 / p99 end to end on moto", f"{timing.end_to_end.p50_ms:.1f} / {timing.end_to_end.p99_ms:.1f} ms")
        show(
            "  p50 / p99 app time (outside AWS calls)",
            f"{timing.app_only.p50_ms:.1f} / {timing.app_only.p99_ms:.1f} ms",
        )
        kms = figures.json_work.kms() + figures.csv_work.kms()
        show("  KMS calls per report (JSON and CSV)", f"{kms:g}", "0", kms == 0)
        calls = ", ".join(f"{k} {n:g}" for k, n in figures.json_work.dynamodb_calls().items())
        show("  DynamoDB calls per report", calls)
        show(
            f"  modelled on DynamoDB (calls x {MODEL_CALL_MS:g} ms) + app p99",
            f"{figures.modelled_seconds + timing.app_only.p99_ms / 1000:.3f} s",
            f"< {GOAL_SECONDS:g} s",
            figures.modelled_seconds + timing.app_only.p99_ms / 1000 < GOAL_SECONDS,
        )
