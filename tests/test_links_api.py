"""The staff API's links between referrals: both sides in the whole picture, removal by a manager, duplicates."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import table_items
from tests.factories import support_referral

pytestmark = pytest.mark.usefixtures("issuer")


def submit(client: Any) -> str:
    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(support_referral())
    )
    assert response.status_code == 201, response.body
    return str(json.loads(response.body)["reference"])


def answer(response: Any) -> Any:
    return json.loads(response.body)


def test_a_link_shows_on_both_whole_pictures_and_a_manager_removes_it(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    first, second = submit(client), submit(client)
    payload = {"other": second.lower().replace("-", " "), "kind": "siblings", "reason": "Synthetic: same mother"}
    response = staff("practitioner", "POST", f"/admin/referrals/{first}/links", payload)
    assert response.status_code == 200, response.body
    [link] = answer(response)["links"]
    assert (link["other"], link["kind"], link["current"], link["reason"]) == (
        second,
        "siblings",
        True,
        payload["reason"],
    )
    picture = answer(staff("practitioner", "GET", f"/admin/referrals/{second}"))
    [mirrored] = picture["links"]
    assert (mirrored["other"], mirrored["kind"], mirrored["kind_text"]) == (first, "siblings", "Siblings")
    assert mirrored["linked_by"] == link["linked_by"] and picture["duplicate_of"] is None
    assert "Synthetic: same mother" not in json.dumps(table_items(aws), default=str)  # sealed

    removal = f"/admin/referrals/{second}/links/{first}/removal"
    assert staff("practitioner", "POST", removal, {"reason": "Synthetic"}).status_code == 403
    response = staff("manager", "POST", removal, {"reason": "Synthetic: not related"})
    assert response.status_code == 200, response.body
    for reference in (first, second):
        [removed] = answer(staff("practitioner", "GET", f"/admin/referrals/{reference}"))["links"]
        assert (removed["current"], removed["removal_reason"]) == (False, "Synthetic: not related")
    history = answer(staff("auditor", "GET", f"/admin/audit?reference={first}"))["events"]
    assert [e["action"] for e in history if e["action"].endswith("linked")] == [
        "referral.linked", "referral.unlinked",
    ]  # fmt: skip


def test_bad_links_are_refused_saying_why(client: Any, staff: Callable[..., Any]) -> None:
    first = submit(client)
    path = f"/admin/referrals/{first}/links"
    cases = {
        first: (422, "itself"),
        "ZZZ-ZZZ-ZZZ": (422, "No referral has the reference ZZZ-ZZZ-ZZZ"),
        "not a reference": (422, "not a referral reference"),
    }
    for other, (status, words) in cases.items():
        response = staff("practitioner", "POST", path, {"other": other, "kind": "same_child", "reason": "Synthetic"})
        assert (response.status_code, answer(response)["error"]) == (status, "link_refused"), response.body
        assert words in answer(response)["message"]
    response = staff("practitioner", "POST", path, {"other": first, "kind": "cousins", "reason": "Synthetic"})
    assert response.status_code == 422
    response = staff(
        "practitioner",
        "POST",
        "/admin/referrals/ZZZ-ZZZ-ZZZ/links",
        {"other": first, "kind": "siblings", "reason": "x"},
    )
    assert response.status_code == 404
    second = submit(client)
    staff("practitioner", "POST", path, {"other": second, "kind": "same_child", "reason": "Synthetic"})
    again = staff(
        "practitioner", "POST", f"/admin/referrals/{second}/links", {"other": first, "kind": "siblings", "reason": "x"}
    )
    assert (again.status_code, answer(again)["error"]) == (409, "not_allowed_now")


def test_a_duplicate_is_closed_through_the_links_route(client: Any, staff: Callable[..., Any]) -> None:
    original, duplicate = submit(client), submit(client)
    response = staff(
        "practitioner", "POST", f"/admin/referrals/{duplicate}/links",
        {"other": original, "kind": "duplicate_of", "reason": "Synthetic: sent twice by the school"},
    )  # fmt: skip
    assert response.status_code == 200, response.body
    assert (answer(response)["status"], answer(response)["duplicate_of"]) == ("closed", original)
    picture = answer(staff("practitioner", "GET", f"/admin/referrals/{duplicate}?reason=quality_audit"))
    assert picture["closed_at"] is not None and picture["duplicate_of"] == original
    assert [link["kind"] for link in answer(staff("practitioner", "GET", f"/admin/referrals/{original}"))["links"]] == [
        "has_duplicate"
    ]
    # Closed: marking it again is refused as every change to a closed referral is.
    again = staff(
        "practitioner",
        "POST",
        f"/admin/referrals/{duplicate}/links",
        {"other": original, "kind": "duplicate_of", "reason": "x"},
    )
    assert (again.status_code, answer(again)["error"]) == (409, "referral_closed")


def test_after_a_link_the_queue_still_recognises_both_referrals(client: Any, staff: Callable[..., Any]) -> None:
    first, second = submit(client), submit(client)
    payload = {"other": second, "kind": "siblings", "reason": "Synthetic: same mother"}
    assert staff("practitioner", "POST", f"/admin/referrals/{first}/links", payload).status_code == 200

    rows = answer(staff("practitioner", "GET", "/admin/referrals"))["referrals"]

    # Both sides were rewritten in the link's transaction; neither lost the card its names come from.
    first_names = {row["reference"]: [child["first_name"] for child in row["children"]] for row in rows}
    expected = [child["first_name"] for child in support_referral()["children"]]
    assert first_names == {first: expected, second: expected}
