"""Onward referral (issue 4 item 4; mash-guidance.txt §4): only the chosen parts go to the service,
and the parents are told exactly what went, to whom and why."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.domain.passing_on import passed_on_summary
from chalicelib.templating import render
from tests.conftest import sent_emails, table_items
from tests.factories import example

# The staff token issuer must set its key path before `aws` reads the settings.
pytestmark = pytest.mark.usefixtures("issuer")

REASON = "Early help needs to know who the children are and what the worries are, to offer support"
CHOSEN = ["children", "concerns"]


def body(response: Any) -> Any:
    return json.loads(response.body)


def decided(client: Any, staff: Callable[..., Any], outcome: str = "early_help") -> str:
    """A support referral with consent, screened and decided (early help needs no approval)."""
    response = client.http.post(
        "/api/referrals",
        headers={"Content-Type": "application/json"},
        body=json.dumps(example("referral-support.json")),
    )
    reference = body(response)["reference"]
    screen = {"rag": "green", "level": 2, "rationale": "Needs support"}
    assert staff("practitioner", "POST", f"/admin/referrals/{reference}/screening", screen).status_code == 200
    decision = {"outcome": outcome, "reasons": "Support from early help fits the level of need"}
    assert staff("practitioner", "POST", f"/admin/referrals/{reference}/decision", decision).status_code == 200
    return reference


def refer(staff: Callable[..., Any], reference: str, **changes: Any) -> Any:
    payload = {"service": "early-help-hub", "sections": CHOSEN, "reason": REASON, **changes}
    return staff("practitioner", "POST", f"/admin/referrals/{reference}/onward-referral", payload)


def onward_emails(aws: Any) -> list[Any]:
    return [m for m in sent_emails(aws) if "onward referral" in str(m["Subject"])]


def test_only_the_chosen_sections_reach_the_service(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    data = example("referral-support.json")
    reference = decided(client, staff)
    response = refer(staff, reference)
    assert response.status_code == 200, response.body

    [email] = onward_emails(aws)
    assert email["To"] == "early-help-hub@services.example"
    for part in (email.get_body(preferencelist=(kind,)).get_content() for kind in ("plain", "html")):
        assert data["children"][0]["first_name"] in part
        assert data["concerns"]["description"][:40] in part
        assert REASON in part
        # Not chosen: the referrer and the parents and carers stay with the MASH.
        assert data["referrer"]["name"] not in part
        assert data["referrer"]["email"] not in part
        for parent in data["parents_carers"]:
            assert parent["name"] not in part


def test_the_onward_referral_is_recorded_encrypted_audited_and_in_the_whole_picture(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = decided(client, staff)
    refer(staff, reference)
    picture = body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))
    [onward] = picture["onward_referrals"]
    assert (onward["service"], onward["sections"], onward["reason"]) == ("early-help-hub", CHOSEN, REASON)
    [notice] = [n for n in picture["notices"] if n["kind"] == "onward_referral"]
    assert (notice["recipient"], notice["status"]) == ("early-help-hub", "sent")
    [basis] = [b for b in picture["sharing_bases"] if b["kind"] == "onward_referral"]
    assert (basis["shared"], basis["basis"]) == (notice["notice_id"], "onward_referral")

    [event] = [e for e in picture["history"] if e["action"] == "onward_referral.made"]
    assert event["details"]["service"] == "early-help-hub"
    assert event["details"]["sections"] == "children,concerns"
    assert REASON not in json.dumps(event)
    assert not any(REASON in str(item) for item in table_items(aws))


@pytest.mark.parametrize(
    ("outcome", "decide"),
    [("early_help", False), ("transfer_to_another_authority", True), ("no_further_action", True)],
)
def test_refused_until_a_decision_that_passes_the_family_on_stands(
    client: Any, aws: Any, staff: Callable[..., Any], outcome: str, decide: bool
) -> None:
    response = client.http.post(
        "/api/referrals",
        headers={"Content-Type": "application/json"},
        body=json.dumps(example("referral-support.json")),
    )
    reference = body(response)["reference"]
    if decide:  # the transfer awaits approval; no further action stands but passes nothing on
        screen = {"rag": "green", "level": 2, "rationale": "Needs support"}
        staff("practitioner", "POST", f"/admin/referrals/{reference}/screening", screen)
        staff("practitioner", "POST", f"/admin/referrals/{reference}/decision", {"outcome": outcome, "reasons": "r"})
    refused = refer(staff, reference)
    assert refused.status_code == 409, refused.body
    assert "Step to early help" in body(refused)["message"]  # says what is allowed
    assert onward_emails(aws) == []


def test_an_approved_transfer_can_be_passed_on_and_an_unknown_service_is_refused(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = decided(client, staff, "transfer_to_another_authority")
    assert refer(staff, reference).status_code == 409  # awaits a manager's approval
    staff("manager", "POST", f"/admin/referrals/{reference}/decision/approval", {"approve": True})
    unknown = refer(staff, reference, service="nowhere")
    assert unknown.status_code == 422
    assert "another-authority-mash" in body(unknown)["message"]
    bad_section = refer(staff, reference, sections=["everything"])
    assert bad_section.status_code == 422
    assert refer(staff, reference, service="another-authority-mash").status_code == 200
    [email] = onward_emails(aws)
    assert email["To"] == "mash@another-council.example"


def test_the_parents_are_told_exactly_what_was_passed_on_to_whom_and_why(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    from chalicelib.wiring import wiring

    reference = decided(client, staff)
    refer(staff, reference, sections=["children", "concerns", "decision"])
    referral = wiring().referrals.fetch(reference)
    summary = passed_on_summary(referral)
    assert summary == [
        {
            "service": "the Early Help Hub",
            "sections": [
                "your child’s details, such as their name, date of birth, address and school",
                "what the person who contacted us was worried about",
                "what the MASH decided and why",
            ],
            "reason": REASON,
        }
    ]
    text = render("email/passed_on.txt", passed_on=summary)
    html = render("email/passed_on.html", passed_on=summary)
    for part in (text, html):
        assert "the Early Help Hub" in part
        assert "what the MASH decided and why" in part
        assert "names and contact details of the parents" not in part  # not passed, not listed
    assert REASON in text
    assert render("email/passed_on.txt", passed_on=[]).strip() == ""
