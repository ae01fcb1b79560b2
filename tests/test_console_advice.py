"""The console's advice calls: "Record an advice call" (errors said in place), the list with its figure, one call."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_console import browser, clock, error_summary, page_text, submit

pytestmark = pytest.mark.usefixtures("issuer")
__all__ = ["browser", "clock"]  # the console tests' fixtures, used here

SECRET = "Synthetic: a girl of 7 at Testnursery, bruise"


def test_an_advice_call_is_recorded_listed_and_read(client: Any, browser: Any) -> None:
    person = browser("practitioner")
    assert "Advice calls" in page_text(person.get("/staff/"))
    form = person.get("/staff/advice/new")
    assert form.status_code == 200
    assert 'name="called_time" type="text" value="10:00"' in person.text()  # now, in London (GMT in November)

    response = person.post("/staff/advice/new", {"called_time": ""})
    assert response.status_code == 400
    assert error_summary(response) == [
        "Enter the time of the call, like 09:30", "Select who called", "Enter who the call was about",
        "Enter the advice given", "Select how the call ended",
    ]  # fmt: skip

    fields = {
        "called_at-day": "26", "called_at-month": "11", "called_at-year": "2026", "called_time": "09:15",
        "caller_kind": "professional", "caller_agency": "", "about": SECRET, "advice": "Synthetic: watch and refer",
        "outcome": "advice_only",
    }  # fmt: skip
    response = person.post("/staff/advice/new", fields)
    assert response.status_code == 422
    assert error_summary(response) == ["Select the professional caller's agency"]
    assert SECRET in person.text()  # kept as typed

    response = person.post(
        "/staff/advice/new", {**fields, "caller_agency": "education", "caller_name": "Jo Testteacher"}
    )
    assert response.status_code == 303, response.body
    page = person.get(response.headers["Location"])
    text = page_text(page)
    assert "Advice call recorded" in text and SECRET in text and "Jo Testteacher" in text
    assert "A professional (Education (school, nursery or college))" in text

    listed = page_text(person.get("/staff/advice"))
    assert "Advice only" in listed and SECRET not in listed
    assert "In the last 30 days" not in listed  # the counts are for the reports' readers
    manager = page_text(browser("manager").get("/staff/advice"))
    assert "In the last 30 days: 1 call" in manager


def test_a_call_made_into_a_referral_links_to_it(client: Any, browser: Any) -> None:
    reference = submit(client)
    person = browser("manager")
    person.get("/staff/advice/new")
    response = person.post(
        "/staff/advice/new",
        {
            "called_at-day": "26", "called_at-month": "11", "called_at-year": "2026", "called_time": "9.40",
            "caller_kind": "public", "about": SECRET, "advice": "Synthetic: made a referral with them",
            "outcome": "made_into_referral", "referral_reference": reference.lower(),
        },
    )  # fmt: skip
    assert response.status_code == 303, response.body
    assert f'href="/staff/referrals/{reference}"' in person.get(response.headers["Location"]).body.decode()
    assert f'href="/staff/referrals/{reference}"' in person.get("/staff/advice").body.decode()
