"""A parent changes their consent answer by the same link, within its lifetime (issue 11 item 3):
"no" after agencies were asked withdraws every open enquiry, and each agency is told."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.adapters.agency_topic import InMemoryAgencyTopic
from chalicelib.services.agency_requests import send_request_from_message
from tests.conftest import sent_emails
from tests.test_consent_request import FAMILY_DETAILS, answer, ask, consent_email, link_path, refused, state_of, submit
from tests.test_public_form import Browser, csrf_token, error_messages, h1, text_of

pytestmark = pytest.mark.usefixtures("issuer")

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)  # a Thursday in MASH hours
QUESTION = "Please tell us of any contact with the family in the last 12 months"


def body(response: Any) -> Any:
    return json.loads(response.body)


@pytest.fixture
def clock(aws: Any) -> dict[str, dt.datetime]:
    now = {"now": NOW}
    aws.clock = lambda: now["now"]
    return now


@pytest.fixture
def topic(aws: Any) -> InMemoryAgencyTopic:
    memory = InMemoryAgencyTopic()
    aws.use(agency_topic=memory)
    return memory


def agreed_then_asked(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic, clock: dict[str, dt.datetime]
) -> tuple[str, str, Browser]:
    """The parent agrees by the link; an hour later staff ask the police and health (emailed)."""
    reference = submit(client)
    ask(staff, reference)
    path = link_path(consent_email(aws))
    parent = Browser(client)
    assert answer(parent, path, "yes").status_code == 303
    clock["now"] = NOW + dt.timedelta(hours=1)
    screen = {"rag": "amber", "level": 3, "rationale": "Needs a multi-agency picture"}
    assert staff("practitioner", "POST", f"/admin/referrals/{reference}/screening", screen).status_code == 200
    opened = staff(
        "practitioner",
        "POST",
        f"/admin/referrals/{reference}/enquiries",
        {"agencies": ["police", "health"], "question": QUESTION},
    )
    assert opened.status_code == 201, opened.body
    for message in list(topic.published):
        send_request_from_message(message.body())
    clock["now"] = NOW + dt.timedelta(days=2)
    return reference, path, parent


def picture(staff: Callable[..., Any], reference: str) -> dict[str, Any]:
    return body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))


def test_the_parent_changes_yes_to_no_and_every_enquiry_is_withdrawn_and_each_agency_told(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic, clock: dict[str, dt.datetime]
) -> None:
    reference, path, parent = agreed_then_asked(client, aws, staff, topic, clock)

    # The email's link, opened again, leads to "change your answer".
    opened = parent.get(path)
    assert (opened.status_code, opened.headers["Location"]) == (303, f"{path}/change")
    page = parent.get(f"{path}/change")
    assert page.status_code == 200 and h1(page) == "Change your answer"
    shown = text_of(page)
    assert "You told us you agree" in shown and "10 December 2026" in shown  # the link's expiry
    assert "Charlie" in shown and all(detail not in shown for detail in FAMILY_DETAILS)
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert 'lang="en"' in shown and "govuk-exit-this-page" in shown  # the GOV.UK layout, with its quick exit

    changed = parent.post(f"{path}/change", {"answer": "no", "comment": "I have talked to my partner"})
    assert (changed.status_code, changed.headers["Location"]) == (303, f"{path}/answered")
    assert "You did not agree" in text_of(parent.get(f"{path}/answered"))

    case = picture(staff, reference)
    assert (case["consent"], case["sharing_allowed"]) == ("refused", False)
    record = case["consent_record"]
    assert (record["source"], record["recorded_by"], record["reason"]) == (
        "parent",
        "parent:0",
        "I have talked to my partner",
    )
    assert [(e["agency"], e["state"], e["withdrawn_by"], e["withdrawn_because"]) for e in case["enquiries"]] == [
        ("police", "withdrawn", "parent:0", "consent_refused"),
        ("health", "withdrawn", "parent:0", "consent_refused"),
    ]
    withdrawals = [m for m in sent_emails(aws) if str(m["Subject"]).startswith("Withdrawn")]
    assert sorted(str(m["To"]) for m in withdrawals) == ["mash-checks@health.example", "mash-checks@police.example"]
    [event] = [e for e in case["history"] if e["action"] == "consent.answer_changed"]
    assert (event["actor"], event["role"]) == ("parent:0", "parent")
    assert event["details"] == {
        "state": "refused",
        "source": "parent",
        "notice": event["details"]["notice"],
        "enquiries_withdrawn": "e1,e2",
    }
    assert "talked to my partner" not in json.dumps(case["history"])
    assert [t["kind"] for t in case["tasks"]].count("consent_answered") == 2  # the answer, then its change


def test_a_change_needs_yes_or_no_and_says_so_on_the_page(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic, clock: dict[str, dt.datetime]
) -> None:
    reference, path, parent = agreed_then_asked(client, aws, staff, topic, clock)
    response = parent.post(f"{path}/change", {"answer": "", "comment": "x" * 1001})
    assert response.status_code == 200
    assert error_messages(response) == [
        "Select yes if you agree to agencies sharing information, or no if you do not",
        "Your comment must be 1,000 characters or fewer",
    ]
    assert re.search(r'<a href="#answer">', response.body.decode())  # the error summary links to the field
    assert "x" * 1001 in text_of(response)  # kept for the parent to shorten, on their own page only
    assert picture(staff, reference)["consent"] == "given"
    assert picture(staff, reference)["enquiries"][0]["state"] != "withdrawn"


def test_after_the_link_expires_the_answer_cannot_be_changed(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic, clock: dict[str, dt.datetime]
) -> None:
    reference, path, parent = agreed_then_asked(client, aws, staff, topic, clock)
    token = csrf_token(parent.get(f"{path}/change"))
    clock["now"] = NOW + dt.timedelta(days=14, seconds=1)
    before = state_of(aws)
    refused(parent.get(f"{path}/change"), 410, "This link has expired")
    refused(parent.post(f"{path}/change", {"answer": "no"}, token=token), 410, "This link has expired")
    assert state_of(aws) == before
    assert "change your answer" not in text_of(parent.get(f"{path}/answered")).lower()
    assert picture(staff, reference)["consent"] == "given"


def test_once_staff_record_consent_another_way_the_link_cannot_change_it(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic, clock: dict[str, dt.datetime]
) -> None:
    reference, path, parent = agreed_then_asked(client, aws, staff, topic, clock)
    token = csrf_token(parent.get(f"{path}/change"))
    implicit = {"state": "implicit", "service": "Early help family support"}
    assert staff("practitioner", "POST", f"/admin/referrals/{reference}/consent", implicit).status_code == 200
    refused(parent.get(f"{path}/change"), 410, "This link is no longer needed")
    refused(parent.post(f"{path}/change", {"answer": "no"}, token=token), 410, "This link is no longer needed")
    refused(parent.get(path), 410, "This link has already been used")
    assert picture(staff, reference)["consent"] == "implicit"
    assert not [m for m in sent_emails(aws) if str(m["Subject"]).startswith("Withdrawn")]


def test_a_link_never_answered_cannot_be_changed_only_answered(
    client: Any, aws: Any, staff: Callable[..., Any], clock: dict[str, dt.datetime]
) -> None:
    reference = submit(client)
    ask(staff, reference)
    path = link_path(consent_email(aws))
    refused(Browser(client).get(f"{path}/change"), 410, "This link is no longer needed")
    assert picture(staff, reference)["consent"] == "requested"


def test_a_change_without_the_pages_token_is_refused(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic, clock: dict[str, dt.datetime]
) -> None:
    reference, path, parent = agreed_then_asked(client, aws, staff, topic, clock)
    parent.get(f"{path}/change")
    response = parent.post(f"{path}/change", {"answer": "no"}, token="0" * 64)
    assert response.status_code == 400
    assert picture(staff, reference)["consent"] == "given"
