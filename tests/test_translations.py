"""Families who need another language (issue 11 item 7), end to end under moto: a family email to
someone whose first language is not English is held with a task, then goes with its translation
(both versions) or in English for a reason; nothing goes in English meanwhile."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.domain.decision import Outcome
from chalicelib.domain.referral import Route
from tests.conftest import sent_emails
from tests.factories import example, set_path
from tests.test_outcome_notices import decide

pytestmark = pytest.mark.usefixtures("issuer")

PARENT = "jamie.testparent@family.example"
POLISH = "Szanowni Państwo,\n\nPiszemy, aby poprosić o zgodę.\n\nZespół MASH"


def submit(client: Any, data: dict[str, Any]) -> str:
    response = client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(data))
    assert response.status_code == 201, response.body
    return json.loads(response.body)["reference"]


def polish_parent(name: str = "referral-support-no-consent.json") -> dict[str, Any]:
    data = example(name)
    set_path(data, "parents_carers.0.first_language", "Polish")
    set_path(data, "parents_carers.0.email", PARENT)
    return data


def to_parent(aws: Any) -> list[Any]:
    return [m for m in sent_emails(aws) if str(m["To"]) == PARENT]


def picture(staff: Callable[..., Any], reference: str) -> dict[str, Any]:
    return json.loads(staff("practitioner", "GET", f"/admin/referrals/{reference}").body)


def held(case: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in case["notices"] if n["held_for_translation"]]


def test_a_polish_speaking_parents_consent_request_is_held_with_a_task(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client, polish_parent())
    asked = staff("practitioner", "POST", f"/admin/referrals/{reference}/consent", {"state": "requested", "parent": 0})
    assert asked.status_code == 200, asked.body
    assert to_parent(aws) == []
    case = picture(staff, reference)
    [notice] = held(case)
    assert (notice["kind"], notice["translation_needed"], notice["status"]) == ("consent_request", "Polish", "pending")
    assert ("translate_notice", notice["notice_id"]) in {(t["kind"], t["about"]) for t in case["tasks"]}
    # The outbox sweep leaves it too, however long it waits.
    aws.clock = lambda: dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])
    client.lambda_.invoke("outbox_sweep", event)
    assert to_parent(aws) == []


def test_added_translation_sends_both_versions_and_closes_the_task(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client, polish_parent())
    staff("practitioner", "POST", f"/admin/referrals/{reference}/consent", {"state": "requested", "parent": 0})
    [notice] = held(picture(staff, reference))
    path = f"/admin/referrals/{reference}/notices/{notice['notice_id']}/release"
    released = staff("practitioner", "POST", path, {"translation": POLISH})
    assert released.status_code == 200, released.body

    [email] = to_parent(aws)
    text = email.get_body(preferencelist=("plain",)).get_content()
    html = email.get_body(preferencelist=("html",)).get_content()
    assert text.index("Piszemy, aby poprosić o zgodę.") < text.index("Dear parent or carer")
    assert "Piszemy, aby poprosić o zgodę." in html and "Dear parent or carer" in html
    assert "/consent/" in text  # the English version's working link is still there
    case = picture(staff, reference)
    [sent] = [n for n in case["notices"] if n["notice_id"] == notice["notice_id"]]
    assert (sent["status"], sent["held_for_translation"], sent["released"]["how"]) == ("sent", False, "translated")
    assert all(t["done_at"] for t in case["tasks"] if t["kind"] == "translate_notice")
    [event] = [e for e in case["history"] if e["action"] == "notice.released"]
    assert event["details"] == {"notice": notice["notice_id"], "how": "translated"}
    # Sent once: releasing again is refused, nothing more goes.
    again = staff("practitioner", "POST", path, {"translation": POLISH})
    assert (again.status_code, json.loads(again.body)["error"]) == (409, "not_held")
    assert len(to_parent(aws)) == 1


def test_releasing_in_english_needs_a_reason_and_sends_english_only(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    data = polish_parent("referral-protection.json")
    reference = submit(client, data)
    staff("practitioner", "POST", f"/admin/referrals/{reference}/parents-told", {"tell": True})
    [notice] = held(picture(staff, reference))
    assert notice["kind"] == "parents_told"
    path = f"/admin/referrals/{reference}/notices/{notice['notice_id']}/release"
    neither = staff("practitioner", "POST", path, {"translation": None})
    assert (neither.status_code, json.loads(neither.body)["error"]) == (422, "release_incomplete")
    assert "translated text" in json.loads(neither.body)["message"]
    assert to_parent(aws) == []
    english = {"english_reason": "Synthetic: the father asked for English by phone"}
    assert staff("practitioner", "POST", path, english).status_code == 200
    [email] = to_parent(aws)
    assert "referral has been made" in str(email["Subject"])
    assert "---- Polish" not in email.get_body(preferencelist=("plain",)).get_content()


def test_a_held_outcome_notice_goes_with_its_translation(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    data = polish_parent("referral-support.json")
    set_path(data, "parents_carers.0.email", PARENT)
    reference = submit(client, data)
    decide(staff, reference, Outcome.NO_FURTHER_ACTION, Route.SUPPORT)
    assert to_parent(aws) == []
    [notice] = held(picture(staff, reference))
    assert notice["kind"] == "outcome"
    path = f"/admin/referrals/{reference}/notices/{notice['notice_id']}/release"
    assert staff("manager", "POST", path, {"translation": "Zdecydowaliśmy: brak dalszych działań."}).status_code == 200
    [email] = to_parent(aws)
    assert "Zdecydowaliśmy" in email.get_body(preferencelist=("plain",)).get_content()


def test_the_console_sends_a_held_email_with_its_translation(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    from tests.test_console import Browser, act, buttons, error_summary, page_text

    reference = submit(client, polish_parent())
    staff("practitioner", "POST", f"/admin/referrals/{reference}/consent", {"state": "requested", "parent": 0})
    practitioner = Browser(client).sign_in("practitioner")
    assert "Send an email held for translation" in buttons(practitioner.get(f"/staff/referrals/{reference}"))
    form = page_text(practitioner.get(f"/staff/referrals/{reference}/translation"))
    assert "Consent request to Jamie Testparent" in form and "First language: Polish" in form
    [notice] = held(picture(staff, reference))
    empty = act(practitioner, reference, "translation", {"notice": notice["notice_id"]})
    assert "translated text" in error_summary(empty)[0]
    sent = act(practitioner, reference, "translation", {"notice": notice["notice_id"], "translation": POLISH})
    assert sent.status_code == 303, page_text(sent)
    [email] = to_parent(aws)
    assert "Piszemy" in email.get_body(preferencelist=("plain",)).get_content()
