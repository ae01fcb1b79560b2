"""Telling the parents about a protection referral (issue 4 item 3): held until decided."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import sent_emails
from tests.factories import protection_referral

# The staff token issuer must set its key path before `aws` reads the settings.
pytestmark = pytest.mark.usefixtures("issuer")

SECOND_PARENT = {
    "name": "Avery Testparent",
    "relationship": "mother",
    "parental_responsibility": True,
    "phone": None,
    "email": "avery.testparent@family.example",
    "address_same_as_child": True,
}
WITHHOLD = {"tell": False, "reason": "Telling them could put the child at more risk", "review_on": "2026-12-01"}


@pytest.fixture(autouse=True)
def in_mash_hours(issuer: Any, aws: Any) -> None:
    """Out of hours a protection referral also owes the EDT's alert (tests/test_out_of_hours.py)."""
    aws.clock = lambda: dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def submit_two_parents(client: Any) -> str:
    """The father has no email (examples/referral-protection.json); the mother has one."""
    data = protection_referral()
    data["parents_carers"].append(SECOND_PARENT)
    response = client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(data))
    assert response.status_code == 201, response.body
    return json.loads(response.body)["reference"]


def picture(staff: Callable[..., Any], reference: str) -> dict[str, Any]:
    return json.loads(staff("practitioner", "GET", f"/admin/referrals/{reference}").body)


def parents_told_emails(aws: Any) -> list[Any]:
    return [m for m in sent_emails(aws) if "referral has been made" in str(m["Subject"])]


def test_the_notice_to_parents_is_held_until_the_decision_is_made(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit_two_parents(client)
    seen = picture(staff, reference)
    assert seen["parents_told"] == "undecided"
    assert [n["kind"] for n in seen["notices"]] == ["acknowledgement"]
    assert seen["tasks"] == []
    assert parents_told_emails(aws) == []


def test_telling_emails_each_parent_with_an_address_and_tasks_a_call_to_the_others(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit_two_parents(client)
    response = staff("practitioner", "POST", f"/admin/referrals/{reference}/parents-told", {"tell": True})
    assert response.status_code == 200, response.body

    [email] = parents_told_emails(aws)
    assert email["To"] == SECOND_PARENT["email"]
    seen = picture(staff, reference)
    told = [n for n in seen["notices"] if n["kind"] == "parents_told"]
    assert [(n["recipient"], n["status"]) for n in told] == [("parent:1", "sent")]
    assert [(t["kind"], t["about"]) for t in seen["tasks"]] == [("tell_parent_another_way", "parent:0")]

    # Deciding `tell` again owes nothing more.
    staff("practitioner", "POST", f"/admin/referrals/{reference}/parents-told", {"tell": True})
    assert len(parents_told_emails(aws)) == 1
    again = picture(staff, reference)
    assert (len(again["notices"]), len(again["tasks"])) == (2, 1)


def test_withholding_sends_nothing_and_raises_no_task(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    reference = submit_two_parents(client)
    response = staff("manager", "POST", f"/admin/referrals/{reference}/parents-told", WITHHOLD)
    assert response.status_code == 200, response.body
    seen = picture(staff, reference)
    assert parents_told_emails(aws) == []
    assert [n["kind"] for n in seen["notices"]] == ["acknowledgement"]
    assert seen["tasks"] == []
    assert seen["parents_told_decision"]["review_on"] == "2026-12-01"


def test_the_email_never_says_who_referred_or_what_they_said(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    data = protection_referral()
    reference = submit_two_parents(client)
    staff("practitioner", "POST", f"/admin/referrals/{reference}/parents-told", {"tell": True})
    [email] = parents_told_emails(aws)
    text = email.get_body(preferencelist=("plain",)).get_content()
    html = email.get_body(preferencelist=("html",)).get_content()
    for part in (text, html):
        assert "child protection referral" in part
        assert "do not need your permission" in part
        assert "020 7946 0990" in part  # the MASH's number, from settings
        for secret in (
            data["referrer"]["name"],
            data["referrer"]["organisation"],
            data["referrer"]["role"],
            data["concerns"]["description"],
            data["concerns"]["childs_views"],
            data["children"][0]["first_name"],
            "Bruising",
        ):
            assert secret not in part
