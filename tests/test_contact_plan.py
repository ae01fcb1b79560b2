"""The contact plan over HTTP (issue 11 item 2): who in the family receives what, end to end under moto.

The household example: a mother (parental responsibility, safe), a father living elsewhere
(parental responsibility, safety not said), the mother's partner in the household (no parental
responsibility, unsafe to contact) who is also named as a person who may pose a risk.
"""

from __future__ import annotations

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

MOTHER, FATHER, PARTNER = (
    "dana.testparent@family.example",
    "eli.testparent@family.example",
    "frankie.testadult@family.example",
)


def submit(client: Any, data: dict[str, Any]) -> str:
    response = client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(data))
    assert response.status_code == 201, response.body
    return json.loads(response.body)["reference"]


def household(**changes: Any) -> dict[str, Any]:
    data = example("referral-protection-household.json")
    set_path(data, "parents_carers.0.first_language", "English")  # the language hold is tested on its own
    for path, value in changes.items():
        set_path(data, path, value)
    return data


def recipients(aws: Any, subject_part: str) -> list[str]:
    return sorted(str(m["To"]) for m in sent_emails(aws) if subject_part in str(m["Subject"]))


def plan(staff: Callable[..., Any], reference: str) -> dict[str, dict[str, Any]]:
    response = staff("manager", "GET", f"/admin/referrals/{reference}")
    return {entry["person"]: entry for entry in json.loads(response.body)["contact_plan"]}


def test_a_carer_without_parental_responsibility_and_a_person_who_may_pose_a_risk_receive_nothing(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client, household())
    assert (
        staff("practitioner", "POST", f"/admin/referrals/{reference}/parents-told", {"tell": True}).status_code == 200
    )
    decide(staff, reference, Outcome.STRATEGY_DISCUSSION, Route.PROTECTION)

    assert recipients(aws, "referral has been made") == sorted([FATHER, MOTHER])
    assert recipients(aws, "what the MASH has decided") == sorted([FATHER, MOTHER])
    assert PARTNER not in [str(m["To"]) for m in sent_emails(aws)]
    seen = plan(staff, reference)
    assert {key: (entry["told"], entry["why"]) for key, entry in seen.items()} == {
        "parent:0": (True, "has_parental_responsibility"),
        "parent:1": (True, "has_parental_responsibility"),
        "household:0": (False, "unsafe_to_contact"),
        "risk:0": (False, "may_pose_risk"),
    }


def test_a_consent_request_to_someone_the_plan_leaves_out_is_refused_naming_their_role(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    data = example("referral-support.json")
    set_path(data, "parents_carers.0.parental_responsibility", False)
    reference = submit(client, data)
    before = len(sent_emails(aws))
    response = staff(
        "practitioner", "POST", f"/admin/referrals/{reference}/consent", {"state": "requested", "parent": 0}
    )
    assert response.status_code == 409, response.body
    answer = json.loads(response.body)
    assert answer["error"] == "contact_plan_forbids"
    assert "parent or carer" in answer["message"] and "parental responsibility" in answer["message"]
    assert "Alex" not in answer["message"]
    assert len(sent_emails(aws)) == before


def test_recording_a_parent_unsafe_withdraws_the_email_not_yet_sent_and_tells_nobody_new(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client, household())
    unsafe = {"person": "parent:1", "safe_to_contact": False, "reason": "Synthetic: police advise no contact"}
    response = staff("practitioner", "POST", f"/admin/referrals/{reference}/contact-plan", unsafe)
    assert response.status_code == 200, response.body
    staff("practitioner", "POST", f"/admin/referrals/{reference}/parents-told", {"tell": True})
    assert recipients(aws, "referral has been made") == [MOTHER]
    entry = plan(staff, reference)["parent:1"]
    assert (entry["told"], entry["why"], entry["safe_said_by"]) == (False, "unsafe_to_contact", "mash")
    history = json.loads(staff("manager", "GET", f"/admin/referrals/{reference}").body)["history"]
    [changed] = [e for e in history if e["action"] == "contact_plan.changed"]
    assert changed["details"] == {"person": "parent:1", "told": "false", "why": "unsafe_to_contact"}
    assert "police advise" not in json.dumps(history)


def test_telling_someone_the_plan_leaves_out_needs_a_manager_and_then_they_are_told(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client, household(**{"household_members.0.safe_to_contact": None}))
    staff("practitioner", "POST", f"/admin/referrals/{reference}/parents-told", {"tell": True})
    tell = {"person": "household:0", "tell": True, "reason": "Synthetic: holds a child arrangements order"}
    refused = staff("practitioner", "POST", f"/admin/referrals/{reference}/contact-plan", tell)
    assert refused.status_code == 403, refused.body
    assert "mash-manager" in json.loads(refused.body)["message"]
    assert PARTNER not in recipients(aws, "referral has been made")

    allowed = staff("manager", "POST", f"/admin/referrals/{reference}/contact-plan", tell)
    assert allowed.status_code == 200, allowed.body
    # Told now, as the others were: the "parents told" email goes to them too.
    assert recipients(aws, "referral has been made") == sorted([FATHER, MOTHER, PARTNER])
    assert plan(staff, reference)["household:0"]["why"] == "told_by_manager"


def test_not_telling_someone_the_plan_would_tell_needs_a_review_date(client: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client, household())
    path = f"/admin/referrals/{reference}/contact-plan"
    missing = staff("practitioner", "POST", path, {"person": "parent:1", "tell": False, "reason": "Synthetic"})
    assert (missing.status_code, json.loads(missing.body)["error"]) == (422, "contact_plan_incomplete")
    assert "review_on" in json.loads(missing.body)["message"]
    body = {"person": "parent:1", "tell": False, "reason": "Synthetic", "review_on": "2027-01-04"}
    assert staff("practitioner", "POST", path, body).status_code == 200
    entry = plan(staff, reference)["parent:1"]
    assert (entry["told"], entry["why"], entry["review_on"]) == (False, "not_told_by_decision", "2027-01-04")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"person": "uncle", "reason": "r"}, "person"),
        ({"person": "parent:0"}, "reason"),
        ({"person": "parent:0", "reason": "r", "tell": "maybe"}, "tell"),
        ({"person": "parent:0", "reason": "r", "review_on": "next week"}, "review_on"),
    ],
)
def test_a_bad_plan_change_says_what_to_fix(
    client: Any, staff: Callable[..., Any], body: dict[str, Any], field: str
) -> None:
    reference = submit(client, household())
    response = staff("practitioner", "POST", f"/admin/referrals/{reference}/contact-plan", body)
    assert response.status_code == 422, response.body
    assert [error["field"] for error in json.loads(response.body)["errors"]] == [field]


# --- the console --------------------------------------------------------------------------------


def test_the_console_shows_the_plan_and_a_practitioner_changes_it(client: Any, staff: Callable[..., Any]) -> None:
    from tests.test_console import Browser, act, buttons, error_summary, page_text

    reference = submit(client, household())
    practitioner = Browser(client).sign_in("practitioner")
    page = practitioner.get(f"/staff/referrals/{reference}")
    text = page_text(page)
    assert "Who in the family is contacted" in text
    assert (
        "Frankie Testadult (mother's partner) Member of the household Not told "
        "They are recorded as unsafe to contact (safety as the referrer said)"
    ) in text
    assert "People who may pose a risk to the child" in text and "push the mother" in text
    assert "Change who in the family is contacted" in buttons(page)

    form = practitioner.get(f"/staff/referrals/{reference}/contact-plan")
    assert "Eli Testparent (father)" in page_text(form)
    missing = act(practitioner, reference, "contact-plan", {"person": "parent:1", "safe_to_contact": "false"})
    assert error_summary(missing) == ["Enter why you are changing their contact plan"]
    done = act(practitioner, reference, "contact-plan",
               {"person": "parent:1", "safe_to_contact": "false", "reason": "Synthetic: police advise no contact"})  # fmt: skip
    assert done.status_code == 303, page_text(done)
    after = page_text(practitioner.get(done.headers["Location"]))
    assert "The contact plan is changed" in after
    assert plan(staff, reference)["parent:1"]["told"] is False
    refused = act(
        practitioner, reference, "contact-plan", {"person": "household:0", "tell": "true", "reason": "Synthetic"}
    )
    assert refused.status_code == 403 and "mash-manager" in error_summary(refused)[0]
