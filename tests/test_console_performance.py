"""The console's performance report: for managers and auditors, charts with their tables, the census
CSV as the API gives it, and a bad range said in plain words."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.test_console import browser, clock, decide, error_summary, page_text, screen, submit

pytestmark = pytest.mark.usefixtures("issuer")
__all__ = ["browser", "clock"]  # the console tests' fixtures, used here

PAGE = "/staff/reports/performance"


def test_the_page_is_for_managers_and_auditors_as_the_api_says(client: Any, browser: Any) -> None:
    from chalicelib.web import admin_reports, console
    from chalicelib.web.auth import declared_roles

    assert console.console_roles(console.performance_report_page) == declared_roles(admin_reports.performance)
    assert browser("practitioner").get(PAGE).status_code == 403
    assert f'href="{PAGE}"' in browser("manager").get("/staff/").body.decode()
    assert browser("auditor").get(PAGE).status_code == 200


def test_the_page_shows_the_last_28_days_with_charts_and_their_tables(client: Any, browser: Any) -> None:
    reference = submit(client)
    practitioner = browser("practitioner")
    screen(practitioner, reference, rag="amber", level="2")
    decide(practitioner, reference, "early_help")
    response = browser("manager").get(PAGE)
    assert response.status_code == 200
    body, text = response.body.decode(), page_text(response)
    svgs = re.findall(r"<svg\b[^>]*>.*?</svg>", body, re.S)
    assert len(svgs) >= 4
    for svg in svgs:
        assert 'role="img"' in svg and 'aria-labelledby="' in svg
    assert " style=" not in body  # the CSP allows no inline style
    assert "Step to early help" in text and "2A" in text and "Schools" in text
    csv_href = html.unescape(re.search(r'href="([^"]+format=csv)"', body).group(1))  # type: ignore[union-attr]
    assert csv_href == f"{PAGE}?from=2026-10-30&to=2026-11-26&format=csv"
    assert reference not in body  # no references in a report


def test_the_csv_is_the_apis(client: Any, browser: Any, issuer: Any) -> None:
    submit(client)
    query = "?from=2026-11-01&to=2026-11-30&format=csv"
    response = browser("manager").get(PAGE + query)
    assert response.status_code == 200
    api = client.http.get(
        "/admin/reports/performance" + query, headers={"Authorization": f"Bearer {issuer.token_for('manager')}"}
    )
    assert response.body == api.body


def test_an_inverted_range_is_an_error_summary_in_plain_words(client: Any, browser: Any) -> None:
    query = "from-day=1&from-month=12&from-year=2026&to-day=1&to-month=11&to-year=2026"
    response = browser("manager").get(f"{PAGE}?{query}")
    assert response.status_code == 400
    assert error_summary(response) == ["The start date must be before the end date"]
    assert "Download census-shaped CSV" not in page_text(response)


def test_the_page_counts_advice_calls_by_who_called(client: Any, browser: Any, issuer: Any) -> None:
    import json

    from tests.test_advice_api import call

    for kind, agency in (("professional", "health"), ("public", None), ("public", None)):
        response = client.http.post(
            "/admin/advice-contacts",
            headers={"Authorization": f"Bearer {issuer.token_for('practitioner')}", "Content-Type": "application/json"},
            body=json.dumps(call(called_at="2026-11-20T09:00:00+00:00", caller_kind=kind, caller_agency=agency)),
        )
        assert response.status_code == 201, response.body
    body = browser("manager").get(PAGE + "?from=2026-11-01&to=2026-11-30").body.decode()
    table = re.search(r"Advice calls by who called</caption>(.*?)</table>", body, re.S)
    assert table is not None
    rows = [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)
    ]
    assert rows[1:] == [["A professional", "1", "33.3%"], ["A member of the public", "2", "66.7%"]]
