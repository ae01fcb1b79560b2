"""The performance report: outcome mix, conversion to assessment, sources, re-referrals and advice
contacts, per month, added up from the daily rollups (domain/rollups.py). No personal data in or out.

Scope: the London dates `from`..`to`, both included (at most 400 days). Each count is of events on
those dates: referrals by the date they were received, decisions by the date they stood (so a month's
decisions may be of referrals received the month before), advice contacts by the date of the call.

Definitions
    referrals        received, less those closed as duplicates (the census counts a referral once)
    re-referral rate re-referrals / referrals whose re-referral flag is known, as a percentage (one
                     decimal); referrals received before the hub computed the flag are left out of both
    outcome mix      standing decisions by outcome, each as a share of all decisions (duplicates have none)
    conversion       decisions to a child and family assessment (s17) or a strategy discussion (s47) /
                     all decisions, as a percentage
    advice callers   advice calls by who called (a professional, a member of the public), each as a
                     share of all calls
    decision time    mean hours from receipt to the decision standing (elapsed hours, one decimal)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from chalicelib.domain.advice_contacts import CALLER_LABELS, AdviceOutcome, CallerKind
from chalicelib.domain.advice_contacts import OUTCOME_LABELS as ADVICE_LABELS
from chalicelib.domain.census import SOURCE_LABELS
from chalicelib.domain.decision import OUTCOME_LABELS, Outcome
from chalicelib.domain.referral import Route
from chalicelib.domain.rollups import (
    ADVICE,
    ADVICE_CALLER_PREFIX,
    ADVICE_PREFIX,
    ASSESSMENTS,
    DECIDED,
    DECISION_SECONDS,
    DUPLICATES,
    OUTCOME_PREFIX,
    RE_REFERRAL_UNKNOWN,
    RE_REFERRALS,
    RECEIVED,
    ROUTE_PREFIX,
    SOURCE_PREFIX,
    DayRollup,
)
from chalicelib.domain.timeliness import ReportRange

MAX_DAYS = 400
TOTAL = "total"
ROUTE_LABELS = {Route.SUPPORT: "Help and support", Route.PROTECTION: "Protection"}


@dataclass(frozen=True)
class PerformanceRange(ReportRange):
    """As the timeliness report's range (parsing, London bounds), up to MAX_DAYS, in its own words."""

    max_days: ClassVar[int] = MAX_DAYS
    days_refusal: ClassVar[str] = (
        "A report covers at most {max} days and this range is {days} days: choose a shorter range"
    )

    @staticmethod
    def inverted(date_from: dt.date, date_to: dt.date) -> str:
        return "The start date must be before the end date"


@dataclass(frozen=True)
class PeriodFigures:
    """One month's figures (or the whole range's: period `total`)."""

    period: str
    received: int
    duplicates: int
    referrals: int
    re_referrals: int
    re_referral_rate: float | None
    decided: int
    assessments: int
    conversion_rate: float | None
    mean_decision_hours: float | None
    advice_contacts: int


@dataclass(frozen=True)
class CodeCount:
    code: str
    label: str
    count: int
    share: float | None  # percentage of the table's total, one decimal


@dataclass(frozen=True)
class PerformanceReport:
    date_from: dt.date
    date_to: dt.date
    generated_at: dt.datetime
    total: PeriodFigures
    months: list[PeriodFigures]
    outcomes: list[CodeCount]
    sources: list[CodeCount]
    routes: list[CodeCount]
    advice_outcomes: list[CodeCount]
    advice_callers: list[CodeCount]  # who called: a professional or a member of the public

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["from"], data["to"] = data.pop("date_from").isoformat(), data.pop("date_to").isoformat()
        data["generated_at"] = self.generated_at.isoformat()
        data["timezone"] = "Europe/London"
        return data

    def as_json(self) -> str:
        return json.dumps(self.as_dict())


def build_report(
    days: Iterable[DayRollup], report_range: PerformanceRange, generated_at: dt.datetime
) -> PerformanceReport:
    total: Counter[str] = Counter()
    by_month: dict[str, Counter[str]] = {}
    for day in days:
        if not report_range.date_from <= day.day <= report_range.date_to:
            continue
        total.update(day.counts)
        by_month.setdefault(day.day.strftime("%Y-%m"), Counter()).update(day.counts)
    months = [_period(month, by_month.get(month, Counter())) for month in _months(report_range)]
    return PerformanceReport(
        date_from=report_range.date_from,
        date_to=report_range.date_to,
        generated_at=generated_at,
        total=_period(TOTAL, total),
        months=months,
        outcomes=_table(total, OUTCOME_PREFIX, {o.value: OUTCOME_LABELS[o] for o in Outcome}),
        sources=_table(total, SOURCE_PREFIX, SOURCE_LABELS),
        routes=_table(total, ROUTE_PREFIX, {r.value: ROUTE_LABELS[r] for r in Route}),
        advice_outcomes=_table(total, ADVICE_PREFIX, {o.value: ADVICE_LABELS[o] for o in AdviceOutcome}),
        advice_callers=_table(total, ADVICE_CALLER_PREFIX, {k.value: CALLER_LABELS[k] for k in CallerKind}),
    )


def _months(report_range: PerformanceRange) -> list[str]:
    months, day = [], report_range.date_from.replace(day=1)
    while day <= report_range.date_to:
        months.append(day.strftime("%Y-%m"))
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def _period(period: str, counts: Counter[str]) -> PeriodFigures:
    referrals = counts[RECEIVED] - counts[DUPLICATES]
    decided = counts[DECIDED]
    mean_hours = None
    if decided:
        mean_hours = _one_decimal(Decimal(counts[DECISION_SECONDS]) / Decimal(3600 * decided))
    return PeriodFigures(
        period=period,
        received=counts[RECEIVED],
        duplicates=counts[DUPLICATES],
        referrals=referrals,
        re_referrals=counts[RE_REFERRALS],
        re_referral_rate=_percent(counts[RE_REFERRALS], referrals - counts[RE_REFERRAL_UNKNOWN]),
        decided=decided,
        assessments=counts[ASSESSMENTS],
        conversion_rate=_percent(counts[ASSESSMENTS], decided),
        mean_decision_hours=mean_hours,
        advice_contacts=counts[ADVICE],
    )


def _table(counts: Counter[str], prefix: str, labels: dict[str, str]) -> list[CodeCount]:
    """Every code in the list (0 included, so a table's shape never changes), in the list's order."""
    whole = sum(counts[prefix + code] for code in labels)
    return [
        CodeCount(code, label, counts[prefix + code], _percent(counts[prefix + code], whole))
        for code, label in labels.items()
    ]


def _percent(part: int, whole: int) -> float | None:
    if whole <= 0:
        return None
    return _one_decimal(Decimal(100 * part) / Decimal(whole))


def _one_decimal(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def to_csv(report: PerformanceReport) -> str:
    """Census-shaped: one row per measure and code, as the DfE's children in need tables count them
    (referrals, re-referrals within 12 months, referrals by source code), then the hub's own figures."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["measure", "code", "label", "value", "from", "to"])
    span = (report.date_from.isoformat(), report.date_to.isoformat())
    figures = report.total
    rows: list[tuple[str, str, str, Any]] = [
        ("referrals", "", "Referrals (duplicates left out)", figures.referrals),
        ("re_referrals_12_months", "", "Re-referrals within 12 months", figures.re_referrals),
        ("re_referral_rate", "", "Re-referrals as a percentage of referrals", _blank(figures.re_referral_rate)),
    ]
    rows += [("source_of_referral", row.code, row.label, row.count) for row in report.sources]
    rows += [("outcome", row.code, row.label, row.count) for row in report.outcomes]
    rows += [
        ("duplicates", "", "Closed as duplicates", figures.duplicates),
        ("conversion_to_assessment", "", "Decisions to assess (s17 or s47), percent", _blank(figures.conversion_rate)),
        ("mean_decision_hours", "", "Mean hours from receipt to decision", _blank(figures.mean_decision_hours)),
    ]
    rows += [("advice_contacts", row.code, row.label, row.count) for row in report.advice_outcomes]
    rows += [("advice_contacts_by_caller", row.code, row.label, row.count) for row in report.advice_callers]
    for measure, code, label, value in rows:
        writer.writerow([measure, code, label, value, *span])
    return out.getvalue()


def _blank(value: float | None) -> str:
    return "" if value is None else str(value)
