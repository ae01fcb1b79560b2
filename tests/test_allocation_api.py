"""Allocation, "my work" and the recognisable queue over HTTP (moto): the routes, their refusals,
and what a queue page costs in KMS and DynamoDB calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from local.issuer import SYNTHETIC_STAFF
from tests.test_staff_api import THURSDAY_10AM, body, count_kms_calls, submit

# The issuer (conftest) before `aws`: it sets the key path, and writes the local staff directory.
pytestmark = pytest.mark.usefixtures("issuer")

PAT = SYNTHETIC_STAFF["practitioner"]
MORGAN = SYNTHETIC_STAFF["manager"]
ALEX = SYNTHETIC_STAFF["auditor"]


@pytest.fixture(autouse=True)
def thursday(issuer: Any, aws: Any) -> None:  # the issuer first: it sets the key path `aws` reads
    aws.clock = lambda: THURSDAY_10AM


def allocate(staff: Callable[..., Any], who: str, reference: str, to: Any) -> Any:
    return staff(who, "POST", f"/admin/referrals/{reference}/allocation", {"to": to})


def test_a_practitioner_takes_a_referral_and_a_manager_reassigns_it(client: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client)
    taken = allocate(staff, "practitioner", reference, "me")
    assert taken.status_code == 200, taken.body
    assert body(taken) == {"reference": reference, "status": "received", "owner": PAT.id, "owner_name": PAT.name}

    refused = allocate(staff, "practitioner", reference, MORGAN.id)
    assert (refused.status_code, body(refused)["error"]) == (403, "not_allowed")

    moved = allocate(staff, "manager", reference, MORGAN.id)
    assert body(moved)["owner_name"] == "Morgan Manager"
    trail = body(staff("auditor", "GET", f"/admin/audit?reference={reference}"))["events"]
    assert [e["details"] for e in trail if e["action"] == "referral.allocated"] == [
        {"from": "", "to": PAT.id},
        {"from": PAT.id, "to": MORGAN.id},
    ]
    released = allocate(staff, "manager", reference, None)
    assert (released.status_code, body(released)["owner"], body(released)["owner_name"]) == (200, None, None)


@pytest.mark.parametrize(
    ("to", "status", "error"),
    [
        (ALEX.id, 422, "not_staff"),  # in the directory, but not casework staff
        ("no-such-person", 422, "not_staff"),
        (7, 422, "invalid_allocation"),
        ("line\nbreak", 422, "invalid_allocation"),
    ],
)
def test_assigning_to_someone_who_is_not_staff_says_so(
    client: Any, staff: Callable[..., Any], to: Any, status: int, error: str
) -> None:
    reference = submit(client)
    response = allocate(staff, "manager", reference, to)
    answer = body(response)
    assert (response.status_code, answer["error"]) == (status, error), answer
    if error == "not_staff":
        assert "not in the staff directory as a practitioner or manager" in answer["message"]
        assert str(to) not in answer["message"]  # never echoes what was sent


def test_a_body_without_to_is_refused(client: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client)
    response = staff("manager", "POST", f"/admin/referrals/{reference}/allocation", {"owner": "me"})
    assert response.status_code == 422
    assert {problem["field"] for problem in body(response)["errors"]} == {"to", "owner"}


def test_my_work_lists_what_i_own(client: Any, staff: Callable[..., Any]) -> None:
    mine, theirs = submit(client), submit(client)
    allocate(staff, "practitioner", mine, "me")
    allocate(staff, "manager", theirs, "me")
    answer = body(staff("practitioner", "GET", "/admin/my-work"))
    assert [row["reference"] for row in answer["referrals"]] == [mine]
    assert answer["referrals"][0]["open_tasks"] == 0 and answer["tasks"] == [] and answer["more"] is False
    assert [row["reference"] for row in body(staff("manager", "GET", "/admin/my-work"))["referrals"]] == [theirs]


def count_dynamodb_calls(aws: Any) -> Callable[[], list[str]]:
    seen: list[str] = []
    aws.aws_client("dynamodb").meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: seen.append(model.name)
    )
    return lambda: list(seen)


def test_the_queue_names_the_children_and_the_owner_with_one_query_and_no_kms_call(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    references = [submit(client) for _ in range(3)]
    allocate(staff, "practitioner", references[0], "me")
    kms, dynamodb = count_kms_calls(aws), count_dynamodb_calls(aws)
    response = staff("practitioner", "GET", "/admin/referrals")
    assert response.status_code == 200, response.body
    rows = {row["reference"]: row for row in body(response)["referrals"]}
    assert [(c["first_name"], c["age"]) for c in rows[references[0]]["children"]] == [("Sam", 9)]
    assert (rows[references[0]]["owner"], rows[references[0]]["owner_name"]) == (PAT.id, "Pat Practitioner")
    assert rows[references[1]]["owner_name"] is None
    assert (rows[references[0]]["open_tasks"], rows[references[0]]["overdue_tasks"]) == (0, 0)
    assert "Testchild" not in response.body.decode()  # first names only
    assert (kms(), dynamodb()) == (0, ["Query"])  # warm: the card key is already unwrapped

    # A cold container: the card key is unwrapped once for the whole page, never once per referral.
    for cached in ("search_cards", "blind_index_key"):
        aws._built.pop(cached)
    kms, dynamodb = count_kms_calls(aws), count_dynamodb_calls(aws)
    response = staff("practitioner", "GET", "/admin/referrals")
    assert len(body(response)["referrals"]) == 3
    assert kms() == 1
    assert dynamodb() == ["Query", "GetItem"]  # the page, and the wrapped blind-index key
