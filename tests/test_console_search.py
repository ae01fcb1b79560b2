"""The console's search page (issue 13): a caller's details typed as people type them find the family,
refusals say what to add, terms never go in an address, and a result opens the audited referral page."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest

from chalicelib.domain.staff import Role
from tests.conftest import table_items
from tests.test_console import THURSDAY_10AM, Browser, error_summary, page_text, submit
from tests.test_staff_api import example_with_child

pytestmark = pytest.mark.usefixtures("issuer")


@pytest.fixture
def clock(aws: Any) -> dict[str, dt.datetime]:
    now = {"now": THURSDAY_10AM}
    aws.clock = lambda: now["now"]
    return now


@pytest.fixture
def browser(client: Any, clock: Any) -> Any:
    return lambda who=None: Browser(client).sign_in(who) if who else Browser(client)


def search(person: Browser, **fields: str) -> Any:
    person.get("/staff/search")
    return person.post("/staff/search", fields)


def result_links(response: Any) -> list[str]:
    return re.findall(r'<a class="govuk-link" href="/staff/referrals/([A-Z0-9-]+)"', response.body.decode())


def test_a_surname_typed_without_its_accent_finds_the_family_and_opens_it(client: Any, aws: Any, browser: Any) -> None:
    oliwia = submit(client, example_with_child("Oliwia", "Łukasiewicz", "2019-03-14"))
    submit(client, example_with_child("Oliwia", "Testchild", "2020-01-05"))
    person = browser("practitioner")
    assert 'href="/staff/search"' in person.get("/staff/").body.decode()  # from the header and the queue

    found = search(person, name="lukasiewicz")
    assert found.status_code == 200
    assert result_links(found) == [oliwia]
    words = page_text(found)
    assert "1 referral found" in words and "Oliwia, 7 years old" in words
    assert "26 November 2026" in words and "Received" in words
    assert "Łukasiewicz" not in words  # a result shows the first name and age only

    # "Oliwia, born March 2019", typed the British way, finds the same family.
    assert result_links(search(person, name="Oliwia", dob="3/2019")) == [oliwia]
    assert result_links(search(person, name="Oliwia", dob="14/03/2019")) == [oliwia]

    opened = person.get(f"/staff/referrals/{oliwia}")
    assert opened.status_code == 200
    from chalicelib.services.audit_trail import audit_trail

    assert [e.action.value for e in audit_trail(oliwia)].count("referral.viewed") == 1  # the usual audited read


def test_nothing_typed_goes_in_an_address_or_the_audit(client: Any, aws: Any, browser: Any) -> None:
    submit(client, example_with_child("Oliwia", "Łukasiewicz", "2019-03-14"))
    person = browser("manager")
    found = search(person, name="Łukasiewicz", postcode="")
    assert found.status_code == 200 and len(result_links(found)) == 1
    links = re.findall(r'(?:href|action)="([^"]+)"', found.body.decode())
    assert not [link for link in links if "ukasiewicz" in link.lower()]
    assert 'value="Łukasiewicz"' in found.body.decode()  # kept in the form to refine it
    dump = json.dumps(table_items(aws), default=repr)
    assert "referrals.searched" in dump  # audited, in the searcher's own chain
    assert "ukasiewicz" not in dump.lower()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Enter a name, a date of birth, a postcode or a reference"),
        ({"name": "L"}, "Type at least 2 letters of a name, or search by another detail"),
        ({"dob": "2019-03"}, "A month of birth alone matches too many children: add a name or a postcode"),
        (
            {"dob": "31/02/2019"},
            "Type the date of birth as year-month-day, like 2019-03-14, or year-month, like 2019-03",
        ),
        ({"postcode": "nowhere"}, "Type the whole postcode, like E17 1AA"),
        ({"reference": "12"}, "Type the whole reference, like K7Q-F3M-RW9"),
    ],
)
def test_a_refused_search_says_what_to_add_in_the_error_summary(
    browser: Any, fields: dict[str, str], message: str
) -> None:
    person = browser("practitioner")
    response = search(person, **fields)
    assert response.status_code == 400
    assert error_summary(response) == [message]
    assert response.body.decode().count(message) == 2  # the summary and beside the field


def test_more_than_fifty_matched_asks_for_a_detail(client: Any, browser: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.services import search_referrals

    monkeypatch.setattr(search_referrals, "MAX_RESULTS", 1)
    for _ in range(2):
        submit(client, example_with_child("Oliwia", "Łukasiewicz", "2019-03-14"))
    found = search(browser("practitioner"), name="Lukasiewicz")
    assert len(result_links(found)) == 1
    assert "More than 50 referrals matched: add a detail" in page_text(found)


def test_too_many_searches_are_refused_on_the_page(client: Any, aws: Any, browser: Any) -> None:
    aws.settings = aws.settings.model_copy(update={"rate_limit_search_requests": 1})
    person = browser("practitioner")
    assert search(person, name="Sam").status_code == 200
    refused = search(person, name="Sam")
    assert refused.status_code == 429
    assert error_summary(refused)[0].startswith("You have searched many times in a few minutes")


def test_only_casework_roles_may_search_as_the_api_says(client: Any, browser: Any) -> None:
    from chalicelib.web import admin as admin_api
    from chalicelib.web import console
    from chalicelib.web.auth import declared_roles

    assert console.console_roles(console.search_page) == declared_roles(admin_api.search)
    assert console.console_roles(console.search_results) == declared_roles(admin_api.search)
    assert Role.AUDITOR not in declared_roles(admin_api.search)
    auditor = browser("auditor")
    assert auditor.get("/staff/search").status_code == 403
    assert 'href="/staff/search"' not in auditor.get("/staff/reports/timeliness").body.decode()
