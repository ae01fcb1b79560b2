"""Asking a parent for consent by email, and their answer by the link (issue 4 items 1–2)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import sent_emails, table_items
from tests.factories import example, set_path
from tests.test_public_form import Browser, csrf_token, h1, text_of

# The staff token issuer must set its key path before `aws` reads the settings.
pytestmark = pytest.mark.usefixtures("issuer")

FAMILY_DETAILS = ("Testchild", "Jamie Testparent", "Example Road", "E17 1AA", "Casey Example", "Neighbours report")


def submit(client: Any, data: dict[str, Any] | None = None) -> str:
    data = data or example("referral-support-no-consent.json")
    response = client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(data))
    assert response.status_code == 201, response.body
    return json.loads(response.body)["reference"]


def body(response: Any) -> Any:
    return json.loads(response.body)


def ask(staff: Callable[..., Any], reference: str, parent: int = 0) -> Any:
    return staff(
        "practitioner", "POST", f"/admin/referrals/{reference}/consent", {"state": "requested", "parent": parent}
    )


def consent_email(aws: Any) -> Any:
    [email] = [m for m in sent_emails(aws) if "share information" in str(m["Subject"])]
    return email


def link_path(email: Any) -> str:
    text = email.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"http://127\.0\.0\.1:8000(/consent/[A-Za-z0-9_.-]+)", text)
    assert match, text
    return match.group(1)


def picture(staff: Callable[..., Any], reference: str) -> dict[str, Any]:
    return body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))


def answer(parent: Browser, path: str, choice: str, comment: str = "", token: str | None = None) -> Any:
    return parent.post(path, {"answer": choice, "comment": comment}, token=token)


# --- asking ----------------------------------------------------------------------------------


def test_asking_a_parent_emails_them_a_link_and_awaits_their_answer(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client)
    response = ask(staff, reference)
    assert response.status_code == 200, response.body
    assert (body(response)["consent"], body(response)["sharing_allowed"]) == ("requested", False)
    email = consent_email(aws)
    assert email["To"] == "jamie.testparent@family.example"
    path = link_path(email)
    html = email.get_body(preferencelist=("html",)).get_content()
    assert path in html
    case = picture(staff, reference)
    [notice] = [n for n in case["notices"] if n["kind"] == "consent_request"]
    assert (notice["recipient"], notice["status"]) == ("parent:0", "sent")
    [event] = [e for e in case["history"] if e["action"] == "consent.requested"]
    assert event["details"]["notice"].startswith("consent-")
    assert event["details"] == {
        "state": "requested",
        "source": "staff",
        "parent": "0",
        "notice": event["details"]["notice"],
    }


def test_the_email_is_plain_english_and_holds_no_family_details(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client)
    ask(staff, reference)
    email = consent_email(aws)
    text = email.get_body(preferencelist=("plain",)).get_content()
    html = email.get_body(preferencelist=("html",)).get_content()
    for detail in (*FAMILY_DETAILS, "Charlie"):
        assert detail not in text and detail not in html and detail not in str(email["Subject"])
    # Issue 11: not even what kind of person referred, unless the referrer agreed to be named.
    assert "Someone has contacted us" in text and "professional" not in text.lower()
    assert "the police" in text and "housing" in text and "health services" in text
    assert "You can say yes or no" in text and "If you say no" in text
    assert "020 7946 0990" in text and "020 7946 0991" in text
    # The link names nothing: no reference, no notice, no name.
    assert reference not in link_path(email) and "consent-" not in link_path(email).removeprefix("/consent/")


def test_a_member_of_the_public_is_not_even_described_as_that(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    data = example("referral-support-no-consent.json")
    data["referrer"] = {
        "kind": "public",
        "name": "Robin Neighbour",
        "email": "robin@public.example",
        "phone": "020 7946 0003",
    }
    ask(staff, submit(client, data))
    text = consent_email(aws).get_body(preferencelist=("plain",)).get_content()
    assert "Someone has contacted us" in text
    assert "member of the public" not in text and "Robin" not in text


def test_a_parent_without_an_email_is_asked_another_way(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    data = example("referral-support-no-consent.json")
    set_path(data, "parents_carers.0.email", ...)
    reference = submit(client, data)
    response = ask(staff, reference)
    assert response.status_code == 422
    assert "ask them by phone or letter instead" in body(response)["message"]
    assert picture(staff, reference)["consent"] == "not_sought"
    assert not [m for m in sent_emails(aws) if "share information" in str(m["Subject"])]


def test_a_protection_referral_sends_no_consent_request(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client, example("referral-protection.json"))
    response = ask(staff, reference)
    assert response.status_code == 422
    assert "protection referral needs no consent" in body(response)["message"]


def test_a_parent_who_is_not_on_the_referral_cannot_be_asked(client: Any, staff: Callable[..., Any]) -> None:
    response = ask(staff, submit(client), parent=3)
    assert response.status_code == 422
    assert "no parent or carer 3" in body(response)["message"]


# --- answering -------------------------------------------------------------------------------


def test_a_parent_agrees_and_the_gate_opens_with_a_task_and_an_audit_event(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client)
    ask(staff, reference)
    path = link_path(consent_email(aws))
    parent = Browser(client)
    page = parent.get(path)
    assert page.status_code == 200
    assert h1(page) == "Can we share information to help your child?"
    shown = text_of(page)
    assert "Charlie" in shown
    for detail in FAMILY_DETAILS:
        assert detail not in shown
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"

    sent = answer(parent, path, "yes", "Mornings are best to call me.")
    assert (sent.status_code, sent.headers["Location"]) == (303, f"{path}/answered")
    done = parent.get(f"{path}/answered")
    assert done.status_code == 200 and "You agreed" in text_of(done)

    case = picture(staff, reference)
    assert (case["consent"], case["sharing_allowed"]) == ("given", True)
    record = case["consent_record"]
    assert (record["source"], record["recorded_by"], record["given_by"]) == ("parent", "parent:0", "Jamie Testparent")
    assert record["how"] == "online, by the consent link"
    assert record["reason"] == "Mornings are best to call me."
    assert [t["kind"] for t in case["tasks"]] == ["consent_answered"]
    [event] = [e for e in case["history"] if e["action"] == "consent.answered"]
    assert (event["action"], event["actor"], event["role"]) == ("consent.answered", "parent:0", "parent")
    assert event["details"] == {"state": "given", "source": "parent", "notice": event["details"]["notice"]}
    # The comment is stored, encrypted: nowhere in the table in clear, and not in the audit.
    assert "Mornings are best" not in json.dumps(table_items(aws), default=repr)


def test_a_parent_declines_and_the_gate_stays_closed(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client)
    ask(staff, reference)
    path = link_path(consent_email(aws))
    parent = Browser(client)
    assert answer(parent, path, "no").status_code == 303
    assert "You did not agree" in text_of(parent.get(f"{path}/answered"))
    case = picture(staff, reference)
    assert (case["consent"], case["sharing_allowed"]) == ("refused", False)
    assert case["consent_record"]["reason"] == "Declined by the consent link"
    assert [t["kind"] for t in case["tasks"]] == ["consent_answered"]


def test_an_answer_needs_yes_or_no_and_a_short_comment(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client)
    ask(staff, reference)
    path = link_path(consent_email(aws))
    parent = Browser(client)
    response = answer(parent, path, "", "x" * 1001)
    assert response.status_code == 200
    shown = text_of(response)
    assert "Select yes if you agree to agencies sharing information, or no if you do not" in shown
    assert "Your comment must be 1,000 characters or fewer" in shown
    assert picture(staff, reference)["consent"] == "requested"


def state_of(aws: Any) -> list[Any]:
    """Every item of the hub's state; the per-client rate-limit counters (which every public
    POST bumps, refused or not) are not part of what a refused link must leave unchanged."""
    return sorted(
        json.dumps(item, sort_keys=True, default=repr)
        for item in table_items(aws)
        if not item["pk"]["S"].startswith("RATE#")
    )


def refused(response: Any, status: int, heading: str) -> None:
    assert (response.status_code, h1(response)) == (status, heading)
    assert "Ring the MASH on 020 7946 0990" in text_of(response)


def test_a_used_link_is_refused_and_changes_nothing(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    ask(staff, submit(client))
    path = link_path(consent_email(aws))
    first = Browser(client)
    token = csrf_token(first.get(path))
    answer(first, path, "yes", token=token)
    before = state_of(aws)
    # Used for the first answer: opening it again offers only to change that answer (issue 11).
    again = first.get(path)
    assert (again.status_code, again.headers["Location"]) == (303, f"{path}/change")
    other = Browser(client)
    refused(other.get(f"{path}/answered"), 410, "This link has already been used")
    refused(answer(first, path, "no", token=token), 410, "This link has already been used")
    assert state_of(aws) == before


def test_an_expired_link_is_refused_and_changes_nothing(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    ask(staff, submit(client))
    path = link_path(consent_email(aws))
    parent = Browser(client)
    token = csrf_token(parent.get(path))
    later = aws.clock() + dt.timedelta(days=14, seconds=1)
    aws.clock = lambda: later
    before = state_of(aws)
    refused(parent.get(path), 410, "This link has expired")
    refused(parent.post(path, {"answer": "yes"}, token=token), 410, "This link has expired")
    assert state_of(aws) == before


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p[:-2] + ("AA" if not p.endswith("AA") else "BB"),
        lambda p: re.sub(r"\.(\d+)\.", lambda m: f".{int(m.group(1)) + 86400}.", p),
        lambda p: "/consent/not-a-link",
    ],
    ids=["signature", "expiry", "garbage"],
)
def test_a_tampered_link_is_refused_and_changes_nothing(
    client: Any, aws: Any, staff: Callable[..., Any], change: Callable[[str], str]
) -> None:
    ask(staff, submit(client))
    path = link_path(consent_email(aws))
    parent = Browser(client)
    token = csrf_token(parent.get(path))
    before = state_of(aws)
    refused(parent.get(change(path)), 404, "We do not recognise this link")
    refused(parent.post(change(path), {"answer": "yes"}, token=token), 404, "We do not recognise this link")
    assert state_of(aws) == before


def test_asking_again_retires_the_first_link(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client)
    ask(staff, reference)
    first = link_path(consent_email(aws))
    aws.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    ask(staff, reference)
    refused(Browser(client).get(first), 410, "This link is no longer needed")


def test_staff_recording_consent_retires_the_link(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client)
    ask(staff, reference)
    path = link_path(consent_email(aws))
    given = {"state": "given", "given_by": "Jamie Testparent", "given_on": "2026-11-24", "how": "by phone"}
    staff("practitioner", "POST", f"/admin/referrals/{reference}/consent", given)
    refused(Browser(client).get(path), 410, "This link is no longer needed")


def test_an_answer_without_the_pages_token_is_refused(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client)
    ask(staff, reference)
    path = link_path(consent_email(aws))
    parent = Browser(client)
    parent.get(path)
    response = parent.post(path, {"answer": "yes"}, token="0" * 64)
    assert response.status_code == 400 and "could not accept your answer" in text_of(response)
    assert Browser(client).post(path, {"answer": "yes"}, token="").status_code == 400
    assert picture(staff, reference)["consent"] == "requested"


def test_a_hostile_comment_is_shown_back_inert(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    from tests.security.test_xss import EVIDENCE_OF_ESCAPING, PAYLOAD, live_payloads

    ask(staff, submit(client))
    path = link_path(consent_email(aws))
    parent = Browser(client)
    shown = answer(parent, path, "", PAYLOAD).body.decode()
    assert live_payloads(shown) == [] and EVIDENCE_OF_ESCAPING in shown
    assert answer(parent, path, "no", PAYLOAD).status_code == 303
    assert live_payloads(parent.get(f"{path}/answered").body.decode()) == []
