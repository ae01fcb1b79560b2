"""The timeliness report: over London dates, as charts with their tables, or as a CSV download."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass
from typing import Any

from chalice.app import Response

from chalicelib.domain.failures import AwsError
from chalicelib.web.console.formatting import LONDON, _now
from chalicelib.web.console.routing import REPORT_PATH, REPORT_ROLES, Visit, _page, console, console_route
from chalicelib.web.downloads import csv_download
from chalicelib.web.form_fields import DATE_PARTS, Form, PageErrors, read_date, text

REPORT_DEFAULT_DAYS = 28
# GOV.UK colours; every bar is labelled with its figure, so none is told apart by colour alone.
BAR_FILLS = {"in_time": "#00703c", "late": "#d4351c", "neutral": "#1d70b8", "pending": "#505a5f"}
RANGE_FIELDS = {"range_required": "from", "invalid_from": "from", "invalid_to": "to", "invalid_range": "from"}


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: nothing to measure (no bar drawn, the text says why)
    text: str
    tone: str = "neutral"


def bar_chart(chart_id: str, title: str, bars: list[Bar], *, maximum: float | None = None) -> dict[str, Any]:
    """A horizontal bar chart's geometry for an inline SVG: each row is a label above its bar, with
    the figure written after the bar. Presentation attributes only (the CSP allows no inline style)."""
    label_height, bar_height, gap, width, bar_room = 20, 22, 14, 640, 440
    top = max([bar.value or 0 for bar in bars] + [maximum or 0]) or 1
    rows = []
    for position, bar in enumerate(bars):
        y = position * (label_height + bar_height + gap)
        length = 0 if not bar.value else max(2, round(bar_room * bar.value / top))
        rows.append(
            {
                "label": bar.label,
                "text": bar.text,
                "fill": BAR_FILLS[bar.tone],
                "label_y": y + 15,
                "bar_y": y + label_height,
                "bar_height": bar_height,
                "width": length,
                "text_x": length + 8,
                "text_y": y + label_height + 16,
            }
        )
    height = len(bars) * (label_height + bar_height + gap)
    return {"id": chart_id, "title": title, "rows": rows, "width": width, "height": height}


def _percent_text(value: float | None, part: int, whole: int, none: str) -> str:
    return none if value is None else f"{value:.1f}% ({part} of {whole})"


def _hours_text(value: float | None) -> str:
    return "No decisions yet" if value is None else f"{value:.1f} hours"


def _share_bar(label: str, share: float | None, part: int, whole: int, none: str) -> Bar:
    return Bar(label, share, _percent_text(share, part, whole, none), "in_time")


def report_charts(report: Any) -> list[dict[str, Any]]:
    rag_rows = [*report.by_rag, report.total]
    in_time = [
        _share_bar(
            row.label,
            row.in_time_percent,
            row.decided_in_time,
            row.decided_in_time + row.decided_late + row.open_past_deadline,
            "No deadline met or missed yet",
        )
        for row in rag_rows
    ]
    medians = [
        Bar(row.label, row.median_hours_to_decision, _hours_text(row.median_hours_to_decision)) for row in rag_rows
    ]
    charts = [
        bar_chart(
            "chart-rag-in-time",
            "Referrals decided in time, by RAG rating (per cent of those whose deadline was met or missed)",
            in_time,
            maximum=100,
        ),
        bar_chart("chart-rag-median", "Median hours from receipt to decision, by RAG rating", medians),
    ]
    asked = [
        _share_bar(
            row.label,
            row.in_time_percent,
            row.answered_in_time,
            row.answered_in_time + row.answered_late + row.unanswered_past_due,
            "None answered or due yet",
        )
        for row in report.by_agency
        if row.sent
    ]
    if asked:
        title = "Agency enquiries answered in time, by agency (per cent of those answered or past due)"
        charts.append(bar_chart("chart-agencies", title, asked, maximum=100))
    statuses = [
        Bar(f"{row.label}: {status}", count, str(count), tone)
        for row in report.notices
        if row.total
        for status, count, tone in (
            ("delivered", row.delivered, "in_time"),
            ("failed", row.failed, "late"),
            ("pending", row.pending, "pending"),
        )
    ]
    if statuses:
        charts.append(bar_chart("chart-notices", "Outcome notices by delivery status", statuses))
    return charts


def _report_dates(query: dict[str, Any], errors: PageErrors) -> tuple[str | None, str | None, dict[str, str]]:
    """The range asked for: the form's day/month/year boxes, else ISO dates (the CSV link), else the
    last 28 days ending today in London. Also the boxes' values to show again."""
    form: Form = {name: [str(value)] for name, value in query.items()}
    today = _now().astimezone(LONDON).date()
    default = {"from": (today - dt.timedelta(days=REPORT_DEFAULT_DAYS - 1)).isoformat(), "to": today.isoformat()}
    chosen: dict[str, str | None] = {}
    values: dict[str, str] = {}
    labels = {"from": "The start date", "to": "The end date"}
    for name in ("from", "to"):
        if any(f"{name}-{part}" in query for part in DATE_PARTS):
            values.update({f"{name}-{part}": text(form, f"{name}-{part}") for part in DATE_PARTS})
            if not any(values[f"{name}-{part}"] for part in DATE_PARTS):
                errors.add(name, f"Enter {labels[name].lower()}", f"{name}-day")
                chosen[name] = None
                continue
            chosen[name] = read_date(form, name, labels[name], errors)
        else:
            chosen[name] = query.get(name) or default[name]
            try:
                shown = dt.date.fromisoformat(chosen[name] or "")
                values.update({f"{name}-day": str(shown.day), f"{name}-month": str(shown.month),
                               f"{name}-year": str(shown.year)})  # fmt: skip
            except ValueError:
                pass
    return chosen["from"], chosen["to"], values


@console_route(REPORT_PATH, methods=["GET"], roles=REPORT_ROLES)
def timeliness_report_page(visit: Visit) -> Response:
    """The timeliness report over London dates, with charts and their tables, or as CSV."""
    query: dict[str, Any] = dict(console.current_request.query_params or {})
    errors = PageErrors()
    answer_as = answer_format(query, errors)
    date_from, date_to, values = _report_dates(query, errors)
    try:
        report = None if errors else _report(date_from, date_to, errors)
    except AwsError:
        return _page("staff/unavailable.html", status=503, me=visit.me)
    if report is not None and answer_as == "csv":
        return _csv_download(report)
    return _page(
        "staff/report_timeliness.html",
        **report_page_context(visit, errors, values, nav="reports"),
        report=report,
        charts=report_charts(report) if report else [],
        csv_href=_csv_href(report) if report is not None else None,
    )


def answer_format(query: dict[str, Any], errors: PageErrors) -> str:
    """How a report is asked for: "html" (the default) or "csv"; anything else is a problem in `errors`."""
    answer_as: str = query.get("format") or "html"
    if answer_as not in ("html", "csv"):
        errors.add("format", "Choose the report as a page or as a CSV download", "from-day")
    return answer_as


def report_page_context(visit: Visit, errors: PageErrors, values: dict[str, str], nav: str) -> dict[str, Any]:
    """What every report page shows besides its report: the range's boxes and any problems (a 400 then)."""
    return {
        "status": 400 if errors else 200,
        "me": visit.me,
        "nav": nav,
        "values": values,
        "errors": errors.messages,
        "error_list": errors.summary(),
    }


def _report(date_from: str | None, date_to: str | None, errors: PageErrors) -> Any:
    """The report over the range, or None with the range's problem added to `errors`."""
    from chalicelib.services.timeliness_report import InvalidRange, ReportRange, timeliness_report

    try:
        return timeliness_report(ReportRange.parse(date_from, date_to))
    except InvalidRange as invalid:
        name = RANGE_FIELDS.get(invalid.code, "from")
        errors.add(name, str(invalid), f"{name}-day")
        return None


def _csv_download(report: Any) -> Response:
    from chalicelib.services.timeliness_report import to_csv

    return csv_download("timeliness", report.date_from, report.date_to, to_csv(report))


def _csv_href(report: Any) -> str:
    """The same range as a CSV download."""
    return (
        REPORT_PATH
        + "?"
        + urllib.parse.urlencode(
            {"from": report.date_from.isoformat(), "to": report.date_to.isoformat(), "format": "csv"}
        )
    )
