"""The timeliness report for managers and inspectors: how fast the hub decides, from clear metadata.

    report = timeliness_report(ReportRange.parse("2026-04-01", "2026-06-30"))
    report.by_rag, report.total, report.by_agency, report.notices   # plain frozen dataclasses
    to_csv(report)                                                   # the same figures as CSV text

One read of the store's clear attributes (no pd_ field, no KMS call: nothing is decrypted), then
plain arithmetic in `chalicelib.domain.timeliness`, where every figure is defined.
"""

from __future__ import annotations

import datetime as dt

from chalicelib.domain.timeliness import (
    InvalidRange,
    ReportRange,
    TimelinessReport,
    build_report,
    to_csv,
)
from chalicelib.wiring import wiring

__all__ = ["InvalidRange", "ReportRange", "TimelinessReport", "timeliness_report", "to_csv"]


def timeliness_report(report_range: ReportRange, *, now: dt.datetime | None = None) -> TimelinessReport:
    """The report over referrals received on the range's London dates; `now` defaults to the hub's clock."""
    hub = wiring()
    start, end = report_range.bounds()
    rows = hub.referrals.metadata_received_between(start, end)
    return build_report(rows, report_range, now or hub.clock())
