"""The staff API's advice calls: record, list (metadata only), read (audited), count; and the retention sweep."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import table_items

pytestmark = pytest.mark.usefixtures("issuer")

SECRET = "Synthetic: Oliwia Testchild, bruise seen at nursery"


def call(**changes: Any) -> dict[str, Any]:
    return {
        "called_at": "2026-11-25T09:30:00+00:00",
        "caller_kind": "professional",
        "caller_agency": "health",
        "caller_name": "Sam Testvisitor",
        "about": SECRET,
        "advice": "Synthetic: talk to the parent; refer if it happens again",
        "outcome": "advice_only",
        **changes,
    }


def answer(response: Any) -> Any:
    return json.loads(response.body)


def test_a_call_is_recorded_listed_read_and_counted(aws: Any, staff: Callable[..., Any]) -> None:
    aws.clock = lambda: dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
    response = staff("practitioner", "POST", "/admin/advice-contacts", call())
    assert response.status_code == 201, response.body
    recorded = answer(response)
    assert (recorded["outcome"], recorded["caller_kind"], recorded["caller_agency"]) == (
        "advice_only", "professional", "health",
    )  # fmt: skip
    assert SECRET not in response.body.decode()
    assert SECRET not in json.dumps(table_items(aws), default=str)

    public = call(caller_kind="public", caller_agency=None, caller_name=None, outcome="referral_invited")
    assert staff("manager", "POST", "/admin/advice-contacts", public).status_code == 201
    listed = answer(staff("practitioner", "GET", "/admin/advice-contacts?limit=1"))
    assert len(listed["contacts"]) == 1 and listed["next_cursor"]
    rest = answer(staff("practitioner", "GET", f"/admin/advice-contacts?cursor={listed['next_cursor']}"))
    assert {c["contact_id"] for c in listed["contacts"] + rest["contacts"]} >= {recorded["contact_id"]}
    assert SECRET not in json.dumps(listed) + json.dumps(rest)

    whole = answer(staff("practitioner", "GET", f"/admin/advice-contacts/{recorded['contact_id']}"))
    assert (whole["about"], whole["caller_name"]) == (SECRET, "Sam Testvisitor")
    assert staff("auditor", "GET", f"/admin/advice-contacts/{recorded['contact_id']}").status_code == 403
    assert staff("practitioner", "GET", "/admin/advice-contacts/20261125000000deadbeef").status_code == 404

    report = answer(staff("manager", "GET", "/admin/reports/advice-contacts?from=2026-11-01&to=2026-11-30"))
    assert (report["total"], report["by_outcome"]["referral_invited"], report["by_caller_kind"]["public"]) == (2, 1, 1)
    assert report["by_month"] == {"2026-11": 2}
    assert (
        staff("practitioner", "GET", "/admin/reports/advice-contacts?from=2026-11-01&to=2026-11-30").status_code == 403
    )
    refused = staff("manager", "GET", "/admin/reports/advice-contacts?from=2026-12-01&to=2026-11-30")
    assert refused.status_code == 422


def test_a_call_recorded_wrongly_is_refused_saying_what_to_fix(aws: Any, staff: Callable[..., Any]) -> None:
    cases = [
        (call(caller_agency=None), "Select the professional caller's agency"),
        (call(outcome="made_into_referral"), "Give the reference of the referral"),
        (call(outcome="made_into_referral", referral_reference="ZZZ-ZZZ-ZZZ"), "No referral has the reference"),
        (call(outcome="made_into_referral", referral_reference="nonsense!"), "not a referral reference"),
    ]
    for body, words in cases:
        response = staff("practitioner", "POST", "/admin/advice-contacts", body)
        assert (response.status_code, answer(response)["error"]) == (422, "advice_incomplete"), response.body
        assert words in answer(response)["message"]
    assert (
        staff("practitioner", "POST", "/admin/advice-contacts", call(called_at="2026-11-25T09:30:00")).status_code
        == 422
    )
    assert staff("practitioner", "POST", "/admin/advice-contacts", call(about="")).status_code == 422


def test_the_daily_retention_sweep_deletes_calls_past_their_own_retention(aws: Any, staff: Callable[..., Any]) -> None:
    from chalicelib.services.retention import sweep_expired

    aws.clock = lambda: dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
    contact_id = answer(staff("practitioner", "POST", "/admin/advice-contacts", call()))["contact_id"]
    assert sweep_expired().advice_deleted == 0
    aws.clock = lambda: dt.datetime(2028, 11, 25, 10, 0, tzinfo=dt.UTC)
    assert sweep_expired().advice_deleted == 1
    assert staff("practitioner", "GET", f"/admin/advice-contacts/{contact_id}").status_code == 404


def test_a_referral_is_made_from_a_call_and_the_call_names_it(aws: Any, staff: Callable[..., Any]) -> None:
    from tests.factories import support_referral

    aws.clock = lambda: dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
    contact_id = answer(staff("practitioner", "POST", "/admin/advice-contacts", call()))["contact_id"]
    path = f"/admin/advice-contacts/{contact_id}/referral"

    wrong = staff("practitioner", "POST", path, support_referral(**{"children": []}))
    assert wrong.status_code == 422 and answer(wrong)["error"] == "invalid_referral", wrong.body
    assert staff("auditor", "POST", path, support_referral()).status_code == 403
    missing = staff(
        "practitioner", "POST", "/admin/advice-contacts/20261125000000deadbeef/referral", support_referral()
    )
    assert missing.status_code == 404

    made = staff("manager", "POST", path, support_referral())
    assert made.status_code == 201, made.body
    reference = answer(made)["reference"]
    assert (answer(made)["contact_id"], answer(made)["created"]) == (contact_id, True)
    assert SECRET not in made.body.decode()
    whole = answer(staff("practitioner", "GET", f"/admin/advice-contacts/{contact_id}"))
    assert (whole["outcome"], whole["referral_reference"]) == ("made_into_referral", reference)
    picture = staff("practitioner", "GET", f"/admin/referrals/{reference}")
    assert picture.status_code == 200, picture.body

    again = staff("manager", "POST", path, support_referral())
    assert again.status_code == 422 and reference in answer(again)["message"]
