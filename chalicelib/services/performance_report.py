"""The performance report for managers and inspectors: outcome mix, conversion to assessment, sources,
re-referrals and advice contacts, per month, from the daily rollups.

    report = performance_report(PerformanceRange.parse("2026-04-01", "2027-03-31"))
    to_csv(report)   # census-shaped figures

One Query of the referral rollups (~1 item per London day: O(days), whatever the number of referrals)
and one range Query of the advice contacts' clear codes; nothing is decrypted, so no KMS call.
"""

from __future__ import annotations

import datetime as dt

from chalicelib.domain.performance import PerformanceRange, PerformanceReport, build_report, to_csv
from chalicelib.domain.rollups import DayRollup, advice_contribution, merged
from chalicelib.domain.timeliness import InvalidRange
from chalicelib.wiring import wiring

__all__ = ["InvalidRange", "PerformanceRange", "PerformanceReport", "performance_report", "to_csv"]


def performance_report(report_range: PerformanceRange, *, now: dt.datetime | None = None) -> PerformanceReport:
    hub = wiring()
    referral_days = hub.referrals.daily_rollups(report_range.date_from, report_range.date_to)
    return build_report([*referral_days, *_advice_days(report_range)], report_range, now or hub.clock())


def _advice_days(report_range: PerformanceRange) -> list[DayRollup]:
    """Advice contacts by the day of the call, from their clear codes (one range Query of one partition)."""
    start, end = report_range.bounds()
    rows = wiring().advice_contacts.called_between(start, end)
    counts = merged([advice_contribution(row.called_at, row.outcome.value) for row in rows])
    return [DayRollup(day, day_counts) for day, day_counts in counts.items()]
