"""The timeliness report over 1,000 referrals, in-process (moto, chalice.test.Client, a manager token).

The referrals are received across November 2026 in every state the report counts: unscreened,
screened Red/Amber/Green, decided in time or late, approved, closed; with agency enquiries
(answered in time, late, or not) and outcome notices (delivered, bounced, pending). They are
written through the store (one encrypted item each, as the hub writes them), then the report is
asked for as JSON and as CSV. Figures: latency end to end and outside AWS calls, the AWS calls of
one report (goal: no KMS call), and the pure computation's time over the same rows.
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
from bench.referrals import Latency, app_under_moto, examples, latency_of
from bench.staff_api import PerRequest, Samples, Timing, per_request, timed

REFERRALS = 1000
REPORTS = 20
CSV_REPORTS = 5
FIRST = dt.datetime(2026, 11, 1, 0, 30, tzinfo=dt.UTC)
SPACING = dt.timedelta(minutes=43)  # 1,000 referrals over 30 days
NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
PATH = "/admin/reports/timeliness?from=2026-11-01&to=2026-11-30"


@dataclass(frozen=True)
class TimelinessFigures:
    referrals: int
    received_in_range: int
    seed_seconds: float
    json_report: Timing
    json_work: PerRequest
    csv_report: Timing
    csv_work: PerRequest
    compute: Latency  # build_report over the same rows, no AWS at all
    answer_bytes: int


def referral_in_state(number: int, submission: Any) -> Any:
    """Referral number `number` in one of the states the report counts (deterministic)."""
    from chalicelib.domain.agencies import AgencyId
    from chalicelib.domain.deadlines import decision_deadline, working_together_deadline
    from chalicelib.domain.decision import Outcome, Rag, Screening
    from chalicelib.domain.enquiries import Enquiry, enquiry_deadlines
    from chalicelib.domain.notices import Notice, NoticeKind, NoticeStatus
    from chalicelib.domain.reference import new_reference
    from chalicelib.domain.referral_record import Channel, Referral

    received = FIRST + number * SPACING
    referral = Referral.receive(
        new_reference(),
        submission,
        channel=Channel.API,
        now=received,
        request_fingerprint="bench",
        idempotency_key_hash=None,
        working_together_due_at=working_together_deadline(received),
    )
    if number % 4 == 0:
        return referral  # never screened
    rag = (Rag.RED, Rag.AMBER, Rag.GREEN)[number % 3]
    screened_at = received + dt.timedelta(minutes=20)
    due = decision_deadline(screened_at, rag)
    referral = referral.screen(Screening(rag, 2, "Bench screening", "staff-1", screened_at, due))
    agencies = list(AgencyId)[number % 8 : number % 8 + 2]
    enquiries = []
    for index, agency in enumerate(agencies, start=1):
        opened = screened_at + dt.timedelta(minutes=10)
        enquiry_due, escalate = enquiry_deadlines(opened, due)
        kind = (number + index) % 3  # answered in half the time, in one and a half, or not yet
        answered = None if kind == 2 else opened + (enquiry_due - opened) * (0.5 if kind == 0 else 1.5)
        enquiries.append(
            Enquiry(
                f"e{index}", agency, "Bench question", "staff-1", opened, enquiry_due, escalate, answered_at=answered
            )
        )
    referral = replace(referral, enquiries=tuple(enquiries))
    if number % 5 == 1:
        return referral  # open
    late = number % 7 == 0
    decided_at = due + dt.timedelta(hours=2) if late else screened_at + (due - screened_at) / 2
    outcome = Outcome.CHILD_AND_FAMILY_ASSESSMENT if number % 3 == 0 else Outcome.EARLY_HELP
    referral = referral.record_decision(outcome, "Bench reasons", "staff-1", decided_at)
    if referral.decision and referral.decision.needs_approval:
        referral = referral.approve_decision("manager-1", decided_at + dt.timedelta(minutes=30))
    status = (NoticeStatus.DELIVERED, NoticeStatus.BOUNCED, NoticeStatus.SENT, NoticeStatus.PENDING)[number % 4]
    notices = (
        replace(Notice.new("outcome-0", NoticeKind.OUTCOME, decided_at, "parent:0"), status=status),
        replace(Notice.new("feedback", NoticeKind.REFERRER_FEEDBACK, decided_at), status=NoticeStatus.DELIVERED),
    )
    referral = replace(referral, notices=(*referral.notices, *notices))
    if number % 2 == 0:
        referral = referral.close(decided_at + dt.timedelta(days=1), {})
    return referral


def seed(hub: Any) -> list[Any]:
    from chalicelib.domain.referral import ReferralSubmission

    submissions = [ReferralSubmission.model_validate(json.loads(body)) for body in examples()]
    referrals = [referral_in_state(n, submissions[n % len(submissions)]) for n in range(REFERRALS)]
    for referral in referrals:
        hub.referrals.add(referral)
    return referrals


def manager_token(key_dir: Path) -> tuple[str, str]:
    from local.issuer import LocalIssuer

    issuer = LocalIssuer(key_dir)
    return issuer.token_for("manager"), str(issuer.jwks_path)


def measure_timeliness() -> TimelinessFigures:
    from chalicelib.domain.timeliness import ReportRange, build_report

    with tempfile.TemporaryDirectory(prefix="bench-issuer-") as key_dir:
        token, jwks_path = manager_token(Path(key_dir))
        with app_under_moto({"MASH_LOCAL_JWKS_PATH": jwks_path}) as (client, hub):
            hub.clock = lambda: NOW
            started = time.perf_counter()
            seed(hub)
            seed_seconds = time.perf_counter() - started
            headers = {"Authorization": f"Bearer {token}"}

            def report(path: str) -> Any:
                response = client.http.get(path, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(f"GET {path} answered {response.status_code}: {response.body[:300]!r}")
                return response

            first = report(PATH)  # warm-up: token keys, imports
            received = json.loads(first.body)["referrals"]["total"]["received"]
            with counting_aws() as tally:
                json_samples, csv_samples = Samples(), Samples()
                for _ in range(REPORTS):
                    timed(lambda: report(PATH), tally, json_samples)
                json_work = per_request(tally, REPORTS)
                tally.reset()
                for _ in range(CSV_REPORTS):
                    timed(lambda: report(PATH + "&format=csv"), tally, csv_samples)
                csv_work = per_request(tally, CSV_REPORTS)
            report_range = ReportRange.parse("2026-11-01", "2026-11-30")
            rows = hub.referrals.metadata_received_between(*report_range.bounds())
            compute_ms = []
            for _ in range(REPORTS):
                started = time.perf_counter()
                build_report(rows, report_range, NOW)
                compute_ms.append((time.perf_counter() - started) * 1000)
    return TimelinessFigures(
        referrals=REFERRALS,
        received_in_range=received,
        seed_seconds=seed_seconds,
        json_report=json_samples.timing(),
        json_work=json_work,
        csv_report=csv_samples.timing(),
        csv_work=csv_work,
        compute=latency_of(compute_ms),
        answer_bytes=len(first.body),
    )


def show_figures(show: Callable[..., None]) -> None:
    """Print the figures with run.py's `show(label, value, goal, met)`."""
    print(f"(h) Timeliness report over {REFERRALS:,} referrals (in-process moto, chalice.test.Client, a manager token)")
    figures = measure_timeliness()
    show(f"seeded {figures.referrals:,} referrals in every state", f"{figures.seed_seconds:.1f} s (through the store)")
    show("referrals received in the range (November)", f"{figures.received_in_range:,}")
    for label, timing, work in (
        (f"GET {PATH.split('?')[0]} (JSON)", figures.json_report, figures.json_work),
        ("  ... &format=csv", figures.csv_report, figures.csv_work),
    ):
        show(label, f"{timing.end_to_end.count} reports")
        for kind, latency in (("end to end on moto", timing.end_to_end), ("outside AWS calls", timing.app_only)):
            show(f"  p50 / p99 {kind}", f"{latency.p50_ms:.1f} / {latency.p99_ms:.1f} ms (n={latency.count})")
        kms = work.kms()
        show("  KMS calls per report", f"{kms:g}", "0", kms == 0)
        show("  DynamoDB calls per report", ", ".join(f"{k} {n:g}" for k, n in work.dynamodb_calls().items()))
    show(
        "the computation alone (build_report)",
        f"p50 {figures.compute.p50_ms:.1f} ms, p99 {figures.compute.p99_ms:.1f} ms",
    )
    show("JSON answer", f"{figures.answer_bytes:,} bytes")
