"""GET /admin/reports/performance over HTTP: who may read it, its figures and census-shaped CSV, plain
refusals of a bad range, and no KMS call (it reads the daily rollups and the advice calls' codes)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import pytest

from bench.aws_meter import counting_aws
from tests.factories import support_referral
from tests.test_timeliness_report import WEDNESDAY_10AM, Clock, clock, issuer, ok, staff, submit

__all__ = ["clock", "issuer", "staff"]  # fixtures shared with the timeliness report's tests

REPORT = "/admin/reports/performance"
NOVEMBER = f"{REPORT}?from=2026-11-01&to=2026-11-30"


@pytest.mark.parametrize("who", ["manager", "auditor"])
def test_managers_and_auditors_may_read_it(staff: Callable[..., Any], who: str) -> None:
    report = ok(staff(who, "GET", NOVEMBER))
    assert (report["from"], report["to"], report["timezone"]) == ("2026-11-01", "2026-11-30", "Europe/London")
    assert report["total"]["received"] == 0 and [m["period"] for m in report["months"]] == ["2026-11"]


def test_a_practitioner_is_refused(staff: Callable[..., Any]) -> None:
    assert staff("practitioner", "GET", NOVEMBER).status_code == 403


def test_the_figures_follow_referrals_through_the_api(client: Any, staff: Callable[..., Any], clock: Clock) -> None:
    first = submit(client, support_referral(**{"referrer.agency": "police"}))
    clock.now = WEDNESDAY_10AM + dt.timedelta(minutes=10)
    submit(client, support_referral(**{"referrer.agency": "police"}))  # the same child again: a re-referral
    clock.now = WEDNESDAY_10AM + dt.timedelta(hours=2)
    screening = {"rag": "amber", "level": 3, "rationale": "Synthetic"}
    ok(staff("practitioner", "POST", f"/admin/referrals/{first}/screening", screening))
    decision = {"outcome": "early_help", "reasons": "Synthetic: early help offered"}
    ok(staff("practitioner", "POST", f"/admin/referrals/{first}/decision", decision))
    report = ok(staff("manager", "GET", NOVEMBER))
    total = report["total"]
    assert (total["referrals"], total["re_referrals"], total["re_referral_rate"]) == (2, 1, 50.0)
    assert (total["decided"], total["conversion_rate"], total["mean_decision_hours"]) == (1, 0.0, 2.0)
    assert {row["code"]: row["count"] for row in report["sources"]}["6"] == 2
    assert {row["code"]: row["share"] for row in report["outcomes"]}["early_help"] == 100.0


def test_the_csv_is_census_shaped_and_a_download(client: Any, staff: Callable[..., Any]) -> None:
    submit(client)
    response = staff("auditor", "GET", NOVEMBER + "&format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "mash-performance-2026-11-01-to-2026-11-30.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.body.decode())))
    sources = {row["code"]: int(row["value"]) for row in rows if row["measure"] == "source_of_referral"}
    assert sources["2A"] == 1 and set(sources) >= {"1A", "1D", "3A", "5D", "6", "9", "10"}
    assert next(row for row in rows if row["measure"] == "referrals")["value"] == "1"


@pytest.mark.parametrize(
    ("query", "error", "message"),
    [
        ("?from=2026-11-30&to=2026-11-01", "invalid_range", "The start date must be before the end date"),
        (
            "?from=2026-01-01&to=2027-02-05",
            "invalid_range",
            "A report covers at most 400 days and this range is 401 days: choose a shorter range",
        ),
        ("?to=2026-11-01", "range_required",
         "Give from: the range is ?from=YYYY-MM-DD&to=YYYY-MM-DD, London dates, both included"),
        ("?from=2026-11-01&to=2026-11-30&format=xml", "invalid_format",
         "format must be one of: json, csv (json if not given)"),
    ],
)  # fmt: skip
def test_a_bad_range_gets_a_422_in_plain_words(staff: Callable[..., Any], query: str, error: str, message: str) -> None:
    response = staff("manager", "GET", REPORT + query)
    assert response.status_code == 422
    assert json.loads(response.body) == {"error": error, "message": message}


def test_the_report_makes_no_kms_call_and_reads_o_of_days(client: Any, staff: Callable[..., Any]) -> None:
    for _ in range(3):
        submit(client)
    ok(staff("manager", "GET", NOVEMBER))  # warm-up: token keys, imports
    with counting_aws() as tally:
        ok(staff("manager", "GET", NOVEMBER))
        assert staff("auditor", "GET", NOVEMBER + "&format=csv").status_code == 200
    assert not [name for name in tally.calls if name.startswith("kms.")], tally.calls
    # Per report: one Query of the referral rollups, one of the advice calls' rollups; never an item per referral or call.
    assert dict(tally.calls) == {"dynamodb.Query": 4}, tally.calls


def test_advice_calls_by_who_called_in_the_json_the_csv_and_the_openapi_document(
    client: Any, staff: Callable[..., Any]
) -> None:
    from tests.test_advice_api import call
    from tests.test_openapi_admin import Conformance

    recorded = [
        call(called_at="2026-11-02T09:00:00+00:00"),
        call(called_at="2026-11-03T09:00:00+00:00", caller_kind="public", caller_agency=None),
        call(called_at="2026-11-03T10:00:00+00:00", caller_kind="public", caller_agency=None),
        call(called_at="2026-10-31T23:30:00+00:00"),  # outside the range (31 October in London)
    ]
    for each in recorded:
        assert staff("practitioner", "POST", "/admin/advice-contacts", each).status_code == 201
    response = staff("manager", "GET", NOVEMBER)
    report = Conformance(json.loads(client.http.get("/api/openapi.json").body)).check("GET", REPORT, response)
    assert [(row["code"], row["count"], row["share"]) for row in report["advice_callers"]] == [
        ("professional", 1, 33.3),
        ("public", 2, 66.7),
    ]
    rows = list(csv.DictReader(io.StringIO(staff("auditor", "GET", NOVEMBER + "&format=csv").body.decode())))
    by_caller = {row["code"]: row["value"] for row in rows if row["measure"] == "advice_contacts_by_caller"}
    assert by_caller == {"professional": "1", "public": "2"}
    schema = json.loads(client.http.get("/api/openapi.json").body)["components"]["schemas"]["PerformanceReport"]
    assert (
        "advice_callers" in schema["required"] and "who called" in schema["properties"]["advice_callers"]["description"]
    )
