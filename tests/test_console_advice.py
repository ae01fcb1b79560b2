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


def _recorded_call(person: Any) -> str:
    """A professional's call, recorded in the console: its page's address."""
    person.get("/staff/advice/new")
    response = person.post(
        "/staff/advice/new",
        {
            "called_at-day": "26", "called_at-month": "11", "called_at-year": "2026", "called_time": "09:15",
            "caller_kind": "professional", "caller_agency": "education", "caller_name": "Jo Testteacher",
            "caller_organisation": "Testfield Primary", "caller_phone": "020 7946 0000", "about": SECRET,
            "names": "Mia Testchild", "advice": "Synthetic: make a referral", "outcome": "referral_invited",
        },
    )  # fmt: skip
    assert response.status_code == 303, response.body
    return response.headers["Location"].split("?")[0]


REFERRAL_FIELDS = {
    "immediate_risk": "no", "route": "protection",
    "referrer-kind": "professional", "referrer-name": "Jo Testteacher", "referrer-role": "Class teacher",
    "referrer-organisation": "Testfield Primary", "referrer-agency": "education",
    "referrer-email": "jo.testteacher@school.example", "referrer-phone": "020 7946 0000",
    "child-1-first_name": "Mia", "child-1-last_name": "Testchild", "child-1-born": "yes",
    "child-1-date_of_birth-day": "3", "child-1-date_of_birth-month": "4", "child-1-date_of_birth-year": "2019",
    "child-1-address-line1": "1 Test Road", "child-1-address-town": "Testtown", "child-1-address-postcode": "E17 1AA",
    "parent-1-name": "Alex Testparent", "parent-1-relationship": "mother", "parent-1-address_same_as_child": "yes",
    "concerns-categories": "physical_abuse", "concerns-description": SECRET,
    "concerns-childs_views": "Synthetic: she said it hurt", "concerns-proposed_level": "3",
    "informed-informed": "no", "informed-reason_not_informed": "Synthetic: telling them may raise the risk",
}  # fmt: skip


def test_a_call_is_made_into_a_referral_on_a_prefilled_form(client: Any, browser: Any) -> None:
    from chalicelib.domain.referral_record import Channel
    from tests.test_console import stored

    person = browser("practitioner")
    call = _recorded_call(person)
    assert f'href="{call}/referral"' in person.get(call).body.decode()  # offered to a practitioner

    person.get(f"{call}/referral")
    body = person.text()
    assert 'name="referrer-name" type="text" value="Jo Testteacher"' in body  # the caller as the referrer
    assert 'value="Testfield Primary"' in body and 'value="education" selected' in body
    assert SECRET in body and "Names given: Mia Testchild" in body  # what was said, as the concerns

    response = person.post(f"{call}/referral", {"referrer-name": "Jo Testteacher", "child-1-first_name": "Mia"})
    assert response.status_code == 400
    summary = error_summary(response)
    assert summary[:2] == [
        "Select yes if a child is at immediate risk of harm",
        "Select whether this is a request for support or a child protection referral",
    ]
    assert "Enter the child's last name, or 'not known'" in summary and "Select at least one kind of concern" in summary
    assert len(summary) >= 8  # every section's problems at once
    assert "Enter the referrer's email address" in summary  # in staff's words, not the public form's "your"
    assert 'href="#child-1-last_name"' in person.text() and 'href="#concerns-categories"' in person.text()
    assert 'name="child-1-first_name" type="text" value="Mia"' in person.text()  # nothing typed lost

    # A rule across sections, said beside its input: a professional chooses a level.
    response = person.post(f"{call}/referral", {**REFERRAL_FIELDS, "concerns-proposed_level": "not_sure"})
    assert response.status_code == 400
    assert 'href="#concerns-proposed_level"' in person.text() and len(error_summary(response)) == 1

    response = person.post(f"{call}/referral", REFERRAL_FIELDS)
    assert response.status_code == 303, error_summary(response)
    location = response.headers["Location"]
    reference = location.rsplit("/", 1)[1]
    assert location == f"/staff/referrals/{reference}"
    referral_page = person.get(location)
    assert "Mia Testchild" in page_text(referral_page) and "by a member of staff" in page_text(referral_page)
    assert f'made from <a class="govuk-link" href="{call}">an advice call</a>' in referral_page.body.decode()
    assert stored(reference).channel is Channel.STAFF

    made = person.get(call).body.decode()
    assert "Made into a referral" in made and f'href="/staff/referrals/{reference}"' in made
    assert f'href="{call}/referral"' not in made  # made once only
    again = person.get(f"{call}/referral")
    assert again.status_code == 422 and f"already made into the referral {reference}" in page_text(again)


def test_only_casework_roles_may_make_a_call_a_referral(client: Any, browser: Any) -> None:
    call = _recorded_call(browser("manager"))
    assert browser("auditor").get(f"{call}/referral").status_code == 403
    assert browser("practitioner").get("/staff/advice/20261126091500abcdef01/referral").status_code == 404
