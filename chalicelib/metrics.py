"""Operational metrics (Powertools Metrics), as CloudWatch embedded metric format (EMF) log lines.

CloudWatch Logs turns each line a function prints into metrics, so the hub needs no
`cloudwatch:PutMetricData` and makes no extra call. One line per event, printed at once: nothing is
buffered, so no flush is owed at the end of an invocation and a metric is never lost to a later
failure in the same invocation (the counts are tens a day, so one line each costs nothing).

Counts and codes only. Every metric has the stage as its one dimension (what the alarms in
deploy/alarms.py watch); some are also broken down by a code from a closed set (route, channel,
notice kind, triage decision) in a second dimension set. Never a reference, a name or an address:
a metric with a breakdown value that is not a short lower-case code is not written at all.

A metric never fails the work it counts: a line that cannot be written is logged (its name only)
and dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from enum import StrEnum

from chalicelib.logs import logger

NAMESPACE = "MashHub"
STAGE_DIMENSION = "stage"
# A breakdown value must look like an enum's value ("protection", "agency_chaser"): a free-text
# value could carry personal data into a metric, where it would be kept for 15 months.
_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")


class Metric(StrEnum):
    """The hub's metric names (deploy/alarms.py and the dashboard name the same ones)."""

    REFERRALS_RECEIVED = "ReferralsReceived"  # by route and channel
    NOTICES_FAILED = "NoticesFailed"  # failed for good (out of attempts, or never sendable), by kind
    ENQUIRIES_OVERDUE = "EnquiriesOverdue"  # agency enquiries the outbox sweep chased or escalated
    REPLIES_TRIAGED = "RepliesTriaged"  # triage items staff attached or rejected, by decision
    EXPORTS_FAILED = "ExportsFailed"  # exports to the case-management system that failed for good
    # A gauge, written by every outbox sweep: open Red referrals with no decision past their deadline.
    RED_REFERRALS_PAST_DEADLINE = "RedReferralsPastDeadline"


def referral_received(route: str, channel: str) -> None:
    _emit(Metric.REFERRALS_RECEIVED, 1, route=route, channel=channel)


def notices_failed(kinds: Iterable[str]) -> None:
    """One line per notice kind that failed for good in this write (none: nothing written)."""
    for kind, count in sorted(Counter(kinds).items()):
        _emit(Metric.NOTICES_FAILED, count, kind=kind)


def enquiries_overdue(count: int) -> None:
    if count:
        _emit(Metric.ENQUIRIES_OVERDUE, count)


def reply_triaged(decision: str) -> None:
    _emit(Metric.REPLIES_TRIAGED, 1, decision=decision)


def export_failed() -> None:
    """For the export to the case-management system (issue 14 part 1): an export that failed for
    good (the receiver answered 4xx, or the retries ran out). The alarm on it is already deployed."""
    _emit(Metric.EXPORTS_FAILED, 1)


def red_referrals_past_deadline(count: int) -> None:
    """Written on every sweep, 0 included: its alarm treats a missing value as the sweep stopping."""
    _emit(Metric.RED_REFERRALS_PAST_DEADLINE, count)


def _emit(metric: Metric, value: int, **breakdown: str) -> None:
    if not all(_CODE.fullmatch(code) for code in breakdown.values()):
        logger.warning("metric not written: a dimension is not a code", extra={"metric": metric.value})
        return
    try:
        _write(metric, value, breakdown)
    except Exception as error:  # counting must never fail a referral or a sweep
        logger.warning("metric not written", extra={"metric": metric.value, "error": type(error).__name__})


def _write(metric: Metric, value: int, breakdown: dict[str, str]) -> None:
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    from chalicelib.settings import get_settings

    stage = get_settings().stage
    # Ephemeral: a line of its own, sharing no state with any other metrics object.
    line = EphemeralMetrics(namespace=NAMESPACE)
    # Powertools adds a `service` dimension when POWERTOOLS_SERVICE_NAME is set; the alarms match
    # dimensions exactly, so the dimensions are only ever the ones written here.
    line.service = ""
    line.add_dimension(STAGE_DIMENSION, stage)
    if breakdown:
        line.add_dimensions(**{STAGE_DIMENSION: stage, **breakdown})
    line.add_metric(name=metric.value, unit=MetricUnit.Count, value=value)
    line.flush_metrics()
