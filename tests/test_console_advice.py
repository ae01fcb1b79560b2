"""The console's advice calls: "Record an advice call" (errors said in place), the list with its figure, one call."""

from __future__ import annotations

import json
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


def _call_about(person: Any, names: str) -> str:
    """A professional's call naming `names`, recorded in the console: its page's address."""
    person.get("/staff/advice/new")
    response = person.post(
        "/staff/advice/new",
        {
            "called_at-day": "26", "called_at-month": "11", "called_at-year": "2026", "called_time": "09:15",
            "caller_kind": "professional", "caller_agency": "education", "caller_name": "Jo Testteacher",
            "about": SECRET, "names": names, "advice": "Synthetic: make a referral", "outcome": "referral_invited",
        },
    )  # fmt: skip
    assert response.status_code == 303, response.body
    return response.headers["Location"].split("?")[0]


SECOND_CHILD = {
    "child-2-first_name": "Leo", "child-2-last_name": "Testchild", "child-2-born": "yes",
    "child-2-date_of_birth-day": "9", "child-2-date_of_birth-month": "1", "child-2-date_of_birth-year": "2022",
    "child-2-address-line1": "1 Test Road", "child-2-address-town": "Testtown", "child-2-address-postcode": "E17 1AA",
}  # fmt: skip
RISK_PERSON = {
    "risk-1-name": "Sam Testpartner", "risk-1-relationship": "mother's partner", "risk-1-approximate_age": "34",
    "risk-1-address_same_as_child": "yes", "risk-1-what_is_known": "Synthetic: shouted threats at the children",
}  # fmt: skip


def test_siblings_a_parent_and_a_person_who_may_pose_a_risk_are_made_into_one_referral(
    client: Any, browser: Any, staff: Any
) -> None:
    person = browser("practitioner")
    call = _call_about(person, "Mia Testchild, Leo Testchild")

    person.get(f"{call}/referral")  # each child the call named is an entry, then one blank set
    body = person.text()
    assert 'name="child-1-first_name" type="text" value="Mia"' in body
    assert 'name="child-2-first_name" type="text" value="Leo"' in body
    assert 'name="child-2-last_name" type="text" value="Testchild"' in body
    assert 'name="child-3-first_name" type="text" value=""' in body and "child-4-first_name" not in body
    assert 'value="remove-child-2"' in body and 'value="add-child"' in body

    fields = {**REFERRAL_FIELDS, **SECOND_CHILD, **RISK_PERSON, "parent-1-safe_to_contact": "not_known"}
    response = person.post(f"{call}/referral", fields)
    assert response.status_code == 303, error_summary(response)
    reference = response.headers["Location"].rsplit("/", 1)[1]

    picture = json.loads(
        staff("practitioner", "GET", f"/admin/referrals/{reference}").body
    )  # as the staff API tells it
    people = picture["submission"]
    assert [(c["first_name"], c["date_of_birth"]) for c in people["children"]] == [
        ("Mia", "2019-04-03"), ("Leo", "2022-01-09"),
    ]  # fmt: skip
    assert [(p["name"], p["relationship"]) for p in people["parents_carers"]] == [("Alex Testparent", "mother")]
    assert people["household_members"] == []
    [risk] = people["people_posing_risk"]
    assert (risk["name"], risk["relationship"], risk["approximate_age"], risk["address_same_as_child"]) == (
        "Sam Testpartner", "mother's partner", 34, True,
    )  # fmt: skip


def test_every_entrys_errors_are_said_at_once_against_its_own_inputs(client: Any, browser: Any) -> None:
    person = browser("practitioner")
    call = _call_about(person, "Mia Testchild")
    person.get(f"{call}/referral")
    second_child = {**SECOND_CHILD, "child-2-date_of_birth-month": "13", "child-2-address-postcode": ""}
    household = {"household-1-relationship": "grandmother", "household-1-approximate_age": "about 60"}
    response = person.post(f"{call}/referral", {**REFERRAL_FIELDS, **second_child, **household, **RISK_PERSON})
    assert response.status_code == 400
    assert error_summary(response) == [
        "Date of birth must be a real date, like 14 3 2017",
        "Enter the postcode, like E17 1AA",
        "Enter their name",
        "Enter their approximate age as a number of years, like 35",
    ]  # the public form's own words, in page order
    body = person.text()
    assert 'href="#child-2-date_of_birth-day"' in body and 'href="#child-2-address-postcode"' in body
    assert 'href="#household-1-approximate_age"' in body and 'href="#household-1-name"' in body
    assert 'id="child-2-date_of_birth-error"' in body and 'id="child-1-date_of_birth-error"' not in body
    assert 'name="child-2-date_of_birth-month" type="text" value="13"' in body  # nothing typed lost
    assert 'name="risk-1-name" type="text" value="Sam Testpartner"' in body
    assert 'name="child-3-first_name" type="text" value=""' in body  # and one blank set after the entries


def test_add_another_and_remove_post_the_page_back_keeping_what_was_typed(client: Any, browser: Any) -> None:
    person = browser("practitioner")
    call = _call_about(person, "Mia Testchild, Leo Testchild")
    person.get(f"{call}/referral")
    typed = {**REFERRAL_FIELDS, **SECOND_CHILD, "child-3-first_name": "Ava", "referrer-role": "Head teacher"}

    response = person.post(f"{call}/referral", {**typed, "action": "add-child"})
    assert response.status_code == 200 and error_summary(response) == []  # nothing checked yet
    body = person.text()
    assert 'name="child-3-first_name" type="text" value="Ava"' in body and 'value="remove-child-3"' in body
    assert 'name="child-4-first_name" type="text" value=""' in body  # the next blank set
    assert 'name="referrer-role" type="text" value="Head teacher"' in body and SECRET in body

    markup = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    person.post(f"{call}/referral", {**typed, "household-1-name": markup, "action": "add-household"})
    assert "<script>alert(1)" not in person.text() and "&lt;script&gt;alert(1)&lt;/script&gt;" in person.text()

    response = person.post(f"{call}/referral", {**typed, "action": "add-household"})  # the blank set: nothing added
    assert 'name="household-1-name" type="text" value=""' in person.text() and "household-2-name" not in person.text()

    # Remove the first child: the others move up, each with what was typed for them.
    response = person.post(f"{call}/referral", {**typed, "action": "remove-child-1"})
    assert response.status_code == 200
    body = person.text()
    assert 'name="child-1-first_name" type="text" value="Leo"' in body
    assert 'name="child-1-date_of_birth-year" type="text" value="2022"' in body
    assert 'name="child-2-first_name" type="text" value="Ava"' in body
    assert 'value="Mia"' not in body and 'value="remove-child-3"' not in body
    assert 'name="child-3-first_name" type="text" value=""' in body

    # Removed, then made: the referral holds the children left.
    kept = {key: value for key, value in typed.items() if not key.startswith("child-")}
    kept |= {key.replace("child-2-", "child-1-"): value for key, value in SECOND_CHILD.items()}
    response = person.post(f"{call}/referral", kept)
    assert response.status_code == 303, error_summary(response)
    from tests.test_console import stored

    children = stored(response.headers["Location"].rsplit("/", 1)[1]).submission.children
    assert [child.first_name for child in children] == ["Leo"]


def test_more_children_than_a_referral_holds_is_said_against_the_list(client: Any, browser: Any) -> None:
    person = browser("practitioner")
    call = _call_about(person, "Mia Testchild")
    person.get(f"{call}/referral")
    eleven = {
        f"child-{n}-{field}": value
        for n in range(1, 12)
        for field, value in SECOND_CHILD.items()
        for field in [field.removeprefix("child-2-")]
    }
    response = person.post(f"{call}/referral", {**REFERRAL_FIELDS, **eleven})
    assert (response.status_code, error_summary(response)) == (400, ["Children can have at most 10 entries"])
    assert 'href="#child-list"' in person.text() and 'id="child-list"' in person.text()
    assert 'value="add-child"' not in person.text()  # a full list offers no blank set


# The public form's questions about each person, asked on this form too (issue 13 part 6 follow-up).
PARENT = "jamie.testparent@family.example"
SUPPORT_FIELDS = {
    **{key: value for key, value in REFERRAL_FIELDS.items() if not key.startswith("informed-")},
    "route": "support", "consent-parents_aware": "no", "consent-status": "not_sought",
    "consent-reason_not_sought": "Synthetic: could not reach the family", "consent-discussed_with_parents": "no",
}  # fmt: skip
ABOUT_THE_FAMILY = {
    "child-1-gender": "female", "child-1-school_or_setting": "Testfield Primary", "child-1-first_language": "Polish",
    "child-1-interpreter_needed": "no", "child-1-disability": "Synthetic: hearing impairment",
    "child-1-views": "Synthetic: she said she likes school",
    "parent-1-parental_responsibility": "yes", "parent-1-safe_to_contact": "yes", "parent-1-email": PARENT,
    "parent-1-first_language": "Polish",
    "household-1-name": "Ola Testgran", "household-1-relationship": "grandmother", "household-1-first_language": "Polish",
}  # fmt: skip


def test_a_parents_first_language_made_on_this_form_holds_their_emails_for_translation(
    client: Any, aws: Any, browser: Any, staff: Any
) -> None:
    from tests.test_translations import held, picture, to_parent

    person = browser("practitioner")
    call = _call_about(person, "Mia Testchild")
    person.get(f"{call}/referral")
    body = person.text()
    for name in ("child-1-gender", "child-1-first_language", "child-1-interpreter_needed", "child-1-views",
                 "parent-1-parental_responsibility", "parent-1-first_language", "household-1-first_language"):  # fmt: skip
        assert f'name="{name}"' in body, name
    assert "someone else in the family or the referrer at more risk" in body  # staff's words, not "you"
    assert "emails to them wait for a translation" in body

    response = person.post(f"{call}/referral", {**SUPPORT_FIELDS, **ABOUT_THE_FAMILY})
    assert response.status_code == 303, error_summary(response)
    reference = response.headers["Location"].rsplit("/", 1)[1]

    submission = picture(staff, reference)["submission"]  # read back as the staff API tells it
    [child] = submission["children"]
    assert (child["gender"], child["school_or_setting"], child["first_language"], child["interpreter_needed"]) == (
        "female", "Testfield Primary", "Polish", False,
    )  # fmt: skip
    assert (child["disability"], child["views"]) == (
        "Synthetic: hearing impairment",
        "Synthetic: she said she likes school",
    )
    [parent] = submission["parents_carers"]
    assert (parent["first_language"], parent["parental_responsibility"], parent["safe_to_contact"]) == (
        "Polish", True, True,
    )  # fmt: skip
    assert [member["first_language"] for member in submission["household_members"]] == ["Polish"]

    # As for a public-form referral (tests/test_translations.py): the consent request waits for a translation.
    asked = staff("practitioner", "POST", f"/admin/referrals/{reference}/consent", {"state": "requested", "parent": 0})
    assert asked.status_code == 200, asked.body
    assert to_parent(aws) == []
    case = picture(staff, reference)
    [notice] = held(case)
    assert (notice["kind"], notice["translation_needed"], notice["status"]) == ("consent_request", "Polish", "pending")
    assert ("translate_notice", notice["notice_id"]) in {(task["kind"], task["about"]) for task in case["tasks"]}


def test_a_second_child_at_child_1s_address_is_stored_with_it(client: Any, browser: Any, staff: Any) -> None:
    person = browser("practitioner")
    call = _call_about(person, "Mia Testchild, Leo Testchild")
    person.get(f"{call}/referral")
    assert 'name="child-2-same_address_as_child_1"' in person.text()
    assert 'name="child-1-same_address_as_child_1"' not in person.text()  # child 1's address is typed
    sibling = {key: value for key, value in SECOND_CHILD.items() if "-address-" not in key}

    # Left unanswered with no address typed: said against the question, nothing else about the address.
    response = person.post(f"{call}/referral", {**REFERRAL_FIELDS, **sibling})
    assert response.status_code == 400
    assert error_summary(response) == ["Select yes if child 2 lives at the same address as child 1"]
    assert 'href="#child-2-same_address_as_child_1"' in person.text()

    # Yes: child 1's address is theirs; an address typed before choosing yes is not kept.
    stale = {"child-2-address-line1": "9 Old Road", "child-2-address-postcode": "not a postcode"}
    chosen = {**REFERRAL_FIELDS, **sibling, **stale, "child-2-same_address_as_child_1": "yes"}
    response = person.post(f"{call}/referral", {**chosen, "action": "add-child"})  # posted back: the answer kept
    assert 'name="child-2-same_address_as_child_1" type="radio" value="yes" checked' in person.text()
    response = person.post(f"{call}/referral", chosen)
    assert response.status_code == 303, error_summary(response)
    reference = response.headers["Location"].rsplit("/", 1)[1]
    children = json.loads(staff("practitioner", "GET", f"/admin/referrals/{reference}").body)["submission"]["children"]
    assert [child["first_name"] for child in children] == ["Mia", "Leo"]
    assert children[1]["address"] == children[0]["address"] == {
        "line1": "1 Test Road", "line2": None, "town": "Testtown", "postcode": "E17 1AA",
    }  # fmt: skip


def test_child_1s_address_errors_are_said_once_against_child_1(client: Any, browser: Any) -> None:
    person = browser("practitioner")
    call = _call_about(person, "Mia Testchild, Leo Testchild")
    person.get(f"{call}/referral")
    sibling = {key: value for key, value in SECOND_CHILD.items() if "-address-" not in key}
    fields = {**REFERRAL_FIELDS, **sibling, "child-1-address-postcode": "", "child-2-same_address_as_child_1": "yes"}
    response = person.post(f"{call}/referral", {**fields, "child-2-first_language": "x" * 201})
    assert response.status_code == 400
    summary = error_summary(response)
    assert summary.count("Enter the postcode, like E17 1AA") == 1 and len(summary) == 2
    assert 'href="#child-1-address-postcode"' in person.text() and 'href="#child-2-first_language"' in person.text()


def test_removing_child_1_leaves_child_2_the_address_it_shared(client: Any, browser: Any) -> None:
    person = browser("practitioner")
    call = _call_about(person, "Mia Testchild, Leo Testchild")
    person.get(f"{call}/referral")
    sibling = {key: value for key, value in SECOND_CHILD.items() if "-address-" not in key}
    fields = {**REFERRAL_FIELDS, **sibling, "child-2-same_address_as_child_1": "yes"}
    response = person.post(f"{call}/referral", {**fields, "action": "remove-child-1"})
    assert response.status_code == 200
    body = person.text()
    assert 'name="child-1-first_name" type="text" value="Leo"' in body
    assert 'name="child-1-address-postcode" type="text" value="E17 1AA"' in body  # nothing typed lost
