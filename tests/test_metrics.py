"""Operational metrics (chalicelib/metrics.py): EMF lines CloudWatch can read, from the places the
events happen, with the stage as the alarms' dimension and never anything personal in them."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import metrics
from chalicelib import wiring as wiring_module
from chalicelib.domain.decision import Outcome, Rag, Screening
from chalicelib.domain.referral import ReferralSubmission
from chalicelib.domain.referral_record import Channel, Referral
from chalicelib.metrics import NAMESPACE, Metric
from tests.factories import canary_referral, example, in_memory_hub

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
# Distinctive and synthetic: if it shows in a metric line, personal data leaked into metrics.
CANARY_NAME = "Zephyrine Quillfeather"


@pytest.fixture
def hub() -> Iterator[Any]:
    yield in_memory_hub(NOW)
    wiring_module.reset()


def emf_lines(printed: str) -> list[dict[str, Any]]:
    """Every EMF record printed (other lines, e.g. the structured logs, are not metrics)."""
    records = [json.loads(line) for line in printed.splitlines() if line.startswith("{")]
    return [record for record in records if "_aws" in record]


def metric_lines(printed: str, metric: Metric) -> list[dict[str, Any]]:
    return [line for line in emf_lines(printed) if metric.value in line]


def assert_valid_emf(record: dict[str, Any]) -> None:
    """The EMF specification's shape: one directive, each dimension and metric present at the root."""
    [directive] = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE
    assert isinstance(record["_aws"]["Timestamp"], int)
    assert ["stage"] in directive["Dimensions"]  # what every alarm watches
    for dimension_set in directive["Dimensions"]:
        assert all(isinstance(record[name], str) for name in dimension_set)
    for definition in directive["Metrics"]:
        assert definition["Unit"] == "Count"
        assert definition["Name"] in {m.value for m in Metric}
        assert record[definition["Name"]]


def test_each_metric_is_one_valid_emf_line_with_the_stage_and_its_codes(capsys: pytest.CaptureFixture[str]) -> None:
    metrics.referral_received(route="protection", channel="form")
    metrics.notices_failed(["outcome", "acknowledgement", "outcome"])
    metrics.enquiries_overdue(2)
    metrics.reply_triaged("attached")
    metrics.export_failed()
    metrics.red_referrals_past_deadline(0)
    lines = emf_lines(capsys.readouterr().out)
    for line in lines:
        assert_valid_emf(line)
    shapes = {
        (
            line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
            json.dumps(line["_aws"]["CloudWatchMetrics"][0]["Dimensions"]),
        )
        for line in lines
    }
    assert shapes == {
        ("ReferralsReceived", '[["stage"], ["stage", "route", "channel"]]'),
        ("NoticesFailed", '[["stage"], ["stage", "kind"]]'),
        ("EnquiriesOverdue", '[["stage"]]'),
        ("RepliesTriaged", '[["stage"], ["stage", "decision"]]'),
        ("ExportsFailed", '[["stage"]]'),
        ("RedReferralsPastDeadline", '[["stage"]]'),
    }
    failed = {line["kind"]: line["NoticesFailed"] for line in lines if "NoticesFailed" in line}
    assert failed == {"acknowledgement": [1.0], "outcome": [2.0]}
    assert {line["stage"] for line in lines} == {"local"}
    # The gauge is written at 0 (its alarm reads a missing value as the sweep stopping); a count is not.
    assert [line["RedReferralsPastDeadline"] for line in lines if "RedReferralsPastDeadline" in line] == [[0.0]]


def test_nothing_is_written_for_no_events(capsys: pytest.CaptureFixture[str]) -> None:
    metrics.enquiries_overdue(0)
    metrics.notices_failed([])
    assert emf_lines(capsys.readouterr().out) == []


def test_a_breakdown_that_is_not_a_code_is_never_written(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        metrics.referral_received(route=CANARY_NAME, channel="form")
    printed = capsys.readouterr().out
    assert emf_lines(printed) == []
    assert CANARY_NAME not in printed + caplog.text


def test_a_received_referral_is_counted_by_route_and_channel_and_no_metric_names_anyone(
    aws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The canary: a referral with a distinctive synthetic name (and a canary in every personal
    field) through the JSON API; its acknowledgement fails for good, so a notice metric is written too."""
    from chalice.test import Client

    from app import app
    from chalicelib.adapters.mailer import InMemoryMailer

    mailer = InMemoryMailer()
    mailer.fail_next("MessageRejected", retryable=False)
    aws.use(mailer=mailer)
    data, canaries = canary_referral("support")
    data["children"][0]["first_name"], data["children"][0]["last_name"] = CANARY_NAME.split()
    capsys.readouterr()
    with Client(app) as client:
        answer = client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(data))
    assert answer.status_code == 201
    printed = capsys.readouterr().out
    [received] = metric_lines(printed, Metric.REFERRALS_RECEIVED)
    assert (received["route"], received["channel"], received["ReferralsReceived"]) == ("support", "api", [1.0])
    [failed] = metric_lines(printed, Metric.NOTICES_FAILED)
    assert (failed["kind"], failed["NoticesFailed"]) == ("acknowledgement", [1.0])
    every_metric = json.dumps(emf_lines(printed))
    reference = json.loads(answer.body)["reference"]
    for secret in [*CANARY_NAME.split(), *canaries, reference, data["referrer"]["email"]]:
        assert secret not in every_metric


def red(reference: str, *, due_in: dt.timedelta, rag: Rag = Rag.RED) -> Referral:
    referral = Referral.receive(
        reference,
        ReferralSubmission.model_validate(example()),
        channel=Channel.API,
        now=NOW - dt.timedelta(hours=6),
        request_fingerprint="f" * 64,
        idempotency_key_hash=None,
    )
    screening = Screening(rag, 4, "synthetic rationale", "staff-1", NOW - dt.timedelta(hours=5), NOW + due_in)
    return referral.screen(screening)


def test_the_sweep_counts_open_red_referrals_past_their_deadline_with_no_decision(
    hub: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from chalicelib.events.outbox import outbox_sweep
    from chalicelib.services.overdue_referrals import red_referrals_past_deadline

    store = hub.referrals
    assert red_referrals_past_deadline(store, NOW) == 0
    store.add(red("AAA-AAA-AA1", due_in=-dt.timedelta(hours=1)))
    store.add(red("AAA-AAA-AA2", due_in=-dt.timedelta(minutes=1)))
    store.add(red("AAA-AAA-AA3", due_in=dt.timedelta(hours=1)))  # still in time
    store.add(red("AAA-AAA-AA4", due_in=-dt.timedelta(hours=1), rag=Rag.AMBER))  # not Red
    decided = red("AAA-AAA-AA5", due_in=-dt.timedelta(hours=2))
    store.add(decided.record_decision(Outcome.EARLY_HELP, "synthetic reasons", "staff-1", NOW))  # decision stands
    assert red_referrals_past_deadline(store, NOW) == 2
    capsys.readouterr()
    outbox_sweep.func({})  # type: ignore[attr-defined]  # the handler itself, as Lambda calls it
    [gauge] = metric_lines(capsys.readouterr().out, Metric.RED_REFERRALS_PAST_DEADLINE)
    assert gauge["RedReferralsPastDeadline"] == [2.0]


def test_the_count_reads_the_queue_only_as_far_as_the_first_red_referral_still_in_time(hub: Any) -> None:
    from chalicelib.services import overdue_referrals

    store = hub.referrals
    for n in range(5):
        store.add(red(f"AAA-AAA-BB{n}", due_in=dt.timedelta(hours=1 + n)))
    pages: list[str | None] = []
    real = store.list_queue

    def counted(**arguments: Any) -> Any:
        pages.append(arguments.get("cursor"))
        return real(**{**arguments, "limit": 2})

    store.list_queue = counted
    assert overdue_referrals.red_referrals_past_deadline(store, NOW) == 0
    assert pages == [None]
