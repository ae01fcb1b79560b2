"""Staff reports under /admin/reports/: figures from clear metadata, for managers and auditors.

GET /admin/reports/timeliness?from=YYYY-MM-DD&to=YYYY-MM-DD[&format=csv]
    How fast the hub decides, for referrals received on those London dates (both included, at most
    366 days): JSON by default, or a CSV download. Nothing is decrypted, so there is no KMS call
    and no read audit: the report holds times, codes and counts, never a name or a reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain.staff import Role
from chalicelib.web.auth import admin_route
from chalicelib.web.downloads import csv_download
from chalicelib.web.errors import problem, unavailable
from chalicelib.web.request_parts import query_of

admin_reports = Blueprint(__name__)

REPORT_READERS = frozenset({Role.MANAGER, Role.AUDITOR})
FORMATS = ("json", "csv")
REPORT_UNAVAILABLE = "The report could not be made just now: try again in a minute"


@admin_route(admin_reports, "/admin/reports/timeliness", methods=["GET"], roles=REPORT_READERS)
def timeliness() -> Response:
    from chalicelib.domain.failures import AwsError
    from chalicelib.services.timeliness_report import InvalidRange, ReportRange, timeliness_report, to_csv

    query = query_of(admin_reports.current_request)
    answer_as = query.get("format") or "json"
    if answer_as not in FORMATS:
        return problem(422, "invalid_format", f"format must be one of: {', '.join(FORMATS)} (json if not given)")
    try:
        report_range = ReportRange.parse(query.get("from"), query.get("to"))
        report = timeliness_report(report_range)
    except InvalidRange as invalid:
        return problem(422, invalid.code, str(invalid))
    except AwsError:
        return unavailable("The report could not be made just now: try again in a minute")
    if answer_as == "csv":
        return csv_download("timeliness", report.date_from, report.date_to, to_csv(report))
    return Response(
        body=report.as_json(),
        status_code=200,
        headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
    )


@admin_route(admin_reports, "/admin/reports/performance", methods=["GET"], roles=REPORT_READERS)
def performance() -> Response:
    """GET /admin/reports/performance?from=YYYY-MM-DD&to=YYYY-MM-DD[&format=csv]: outcome mix, conversion
    to assessment, sources (census codes), re-referrals and advice contacts, per month, from the daily
    rollups (at most 400 days). Nothing is decrypted: no KMS call, no read audit."""
    from chalicelib.domain.failures import AwsError
    from chalicelib.services.performance_report import InvalidRange, PerformanceRange, performance_report, to_csv
    from chalicelib.web.admin.responses_reports import PerformanceReport
    from chalicelib.web.admin.shaping import shaped

    query = query_of(admin_reports.current_request)
    if (refused := _format_refused(query)) is not None:
        return refused
    try:
        report = performance_report(PerformanceRange.parse(query.get("from"), query.get("to")))
    except InvalidRange as invalid:
        return problem(422, invalid.code, str(invalid))
    except AwsError:
        return unavailable(REPORT_UNAVAILABLE)
    if query.get("format") == "csv":
        return csv_download("performance", report.date_from, report.date_to, to_csv(report))
    return _no_store_json(shaped(PerformanceReport, report.as_dict()))


def _format_refused(query: Mapping[str, str]) -> Response | None:
    """A 422 for a format the reports do not answer in (JSON if none is given)."""
    if (query.get("format") or "json") in FORMATS:
        return None
    return problem(422, "invalid_format", f"format must be one of: {', '.join(FORMATS)} (json if not given)")


def _no_store_json(body: str | dict[str, Any]) -> Response:
    return Response(
        body=body, status_code=200, headers={"Content-Type": "application/json", "Cache-Control": "no-store"}
    )
