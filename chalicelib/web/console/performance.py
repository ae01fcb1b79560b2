"""The performance report page: outcome mix, conversion to assessment, sources (census codes),
re-referrals and advice calls, per month, as charts with their tables, or the census-shaped CSV."""

from __future__ import annotations

import urllib.parse
from typing import Any

from chalice.app import Response

from chalicelib.domain.failures import AwsError
from chalicelib.web.console.reports import RANGE_FIELDS, Bar, _report_dates, bar_chart
from chalicelib.web.console.routing import REPORT_ROLES, Visit, _page, console, console_route
from chalicelib.web.downloads import csv_download
from chalicelib.web.form_fields import PageErrors

PERFORMANCE_PATH = "/staff/reports/performance"


def _share_text(share: float | None, count: int) -> str:
    return "None yet" if share is None else f"{share:.1f}% ({count})"


def performance_charts(report: Any) -> list[dict[str, Any]]:
    outcomes = [Bar(row.label, row.share, _share_text(row.share, row.count)) for row in report.outcomes]
    sources = [Bar(f"{row.code} {row.label}", row.count, str(row.count)) for row in report.sources if row.count]
    months = [
        Bar(month.period, month.conversion_rate, _share_text(month.conversion_rate, month.assessments), "in_time")
        for month in report.months
    ]
    re_referrals = [
        Bar(month.period, month.re_referral_rate, _share_text(month.re_referral_rate, month.re_referrals), "late")
        for month in report.months
    ]
    charts = [
        bar_chart("chart-outcomes", "Outcome mix (per cent of decisions)", outcomes, maximum=100),
        bar_chart(
            "chart-conversion", "Conversion to assessment, by month (per cent of decisions)", months, maximum=100
        ),
        bar_chart(
            "chart-re-referrals",
            "Re-referrals within 12 months, by month (per cent of referrals)",
            re_referrals,
            maximum=100,
        ),
    ]
    if sources:
        charts.append(bar_chart("chart-sources", "Referrals by source (census code)", sources))
    return charts


@console_route(PERFORMANCE_PATH, methods=["GET"], roles=REPORT_ROLES)
def performance_report_page(visit: Visit) -> Response:
    """The performance report over London dates (default: the last 28 days), or its CSV."""
    from chalicelib.services.performance_report import to_csv

    query: dict[str, Any] = dict(console.current_request.query_params or {})
    answer_as = query.get("format") or "html"
    errors = PageErrors()
    if answer_as not in ("html", "csv"):
        errors.add("format", "Choose the report as a page or as a CSV download", "from-day")
    try:
        report, values = _report_or_errors(query, errors)
    except AwsError:
        return _page("staff/unavailable.html", status=503, me=visit.me)
    if report is not None and answer_as == "csv":
        return csv_download("performance", report.date_from, report.date_to, to_csv(report))
    return _report_page(visit, report, values, errors)


def _report_or_errors(query: dict[str, Any], errors: PageErrors) -> tuple[Any, dict[str, Any]]:
    """The report for the dates asked (None, with the errors said, for dates it cannot be made for),
    and the dates as typed, to show again."""
    from chalicelib.services.performance_report import InvalidRange, PerformanceRange, performance_report

    date_from, date_to, values = _report_dates(query, errors)
    if errors:
        return None, values
    try:
        return performance_report(PerformanceRange.parse(date_from, date_to)), values
    except InvalidRange as invalid:
        name = RANGE_FIELDS.get(invalid.code, "from")
        errors.add(name, str(invalid), f"{name}-day")
        return None, values


def _csv_href(report: Any) -> str | None:
    if report is None:
        return None
    span = {"from": report.date_from.isoformat(), "to": report.date_to.isoformat(), "format": "csv"}
    return PERFORMANCE_PATH + "?" + urllib.parse.urlencode(span)


def _report_page(visit: Visit, report: Any, values: dict[str, Any], errors: PageErrors) -> Response:
    return _page(
        "staff/report_performance.html",
        status=400 if errors else 200,
        me=visit.me,
        nav="performance",
        report=report,
        charts=performance_charts(report) if report else [],
        csv_href=_csv_href(report),
        values=values,
        errors=errors.messages,
        error_list=errors.summary(),
    )
