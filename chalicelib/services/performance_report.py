"""The performance report for managers and inspectors: outcome mix, conversion to assessment, sources,
re-referrals and advice contacts, per month, from the daily rollups.

    report = performance_report(PerformanceRange.parse("2026-04-01", "2027-03-31"))
    to_csv(report)   # census-shaped figures

One Query of the referral rollups and one of the advice contacts' (each ~1 item per London day: O(days),
whatever the number of referrals and calls); nothing is decrypted, so no KMS call.
"""

from __future__ import annotations

import datetime as dt

from chalicelib.domain.performance import PerformanceRange, PerformanceReport, build_report, to_csv
from chalicelib.domain.timeliness import InvalidRange
from chalicelib.wiring import wiring

__all__ = ["InvalidRange", "PerformanceRange", "PerformanceReport", "performance_report", "to_csv"]


def performance_report(report_range: PerformanceRange, *, now: dt.datetime | None = None) -> PerformanceReport:
    hub = wiring()
    first, last = report_range.date_from, report_range.date_to
    days = [*hub.referrals.daily_rollups(first, last), *hub.advice_contacts.daily_rollups(first, last)]
    return build_report(days, report_range, now or hub.clock())
