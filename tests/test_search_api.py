"""GET /admin/search: find a family by what a caller says, without a term stored, logged or audited."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.adapters.staff_audit import DynamoStaffAuditLog
from local.issuer import SYNTHETIC_STAFF
from tests.conftest import table_items
from tests.test_staff_api import body, count_kms_calls, example_with_child, issuer, staff, submit

__all__ = ["issuer", "staff"]  # fixtures used by name


def search(staff: Callable[..., Any], query: str, who: str = "practitioner") -> Any:
    return staff(who, "GET", f"/admin/search?{query}")


def test_a_surname_typed_without_its_polish_l_finds_the_family(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    oliwia = submit(client, example_with_child("Oliwia", "Łukasiewicz", "2019-03-14"))
    submit(client, example_with_child("Oliwer", "Nowak", "2019-03-02"))
    calls = count_kms_calls(aws)
    response = search(staff, "name=lukasiewicz")
    assert response.status_code == 200, response.body
    assert response.headers["Cache-Control"] == "no-store"
    [found] = body(response)["referrals"]
    assert found["reference"] == oliwia
    assert found["status"] == "received"
    assert found["children"] == [{"first_name": "Oliwia", "date_of_birth": "2019-03-14", "age": 7}]
    assert calls() <= 1  # the blind-index key, unwrapped once per container: no Decrypt per result
    assert body(response)["more"] is False


def test_oliwia_born_march_2019_and_other_combinations(client: Any, staff: Callable[..., Any]) -> None:
    oliwia = submit(client, example_with_child("Oliwia", "Łukasiewicz", "2019-03-14"))
    other_oliwia = submit(client, example_with_child("Oliwia", "Testchild", "2020-01-05"))
    found = lambda query: [r["reference"] for r in body(search(staff, query))["referrals"]]  # noqa: E731
    assert found("name=Oliwia&dob=2019-03") == [oliwia]
    assert sorted(found("name=OLIWIA")) == sorted([oliwia, other_oliwia])
    assert found("name=Oliwia%20Lukasiewicz") == [oliwia]
    assert found("dob=2019-03-14") == [oliwia]
    assert found(f"reference={oliwia.lower()}") == [oliwia]
    assert found("name=Oliwia&dob=2021-03-14") == []


def test_a_named_adult_is_found_by_surname(client: Any, staff: Callable[..., Any]) -> None:
    from tests.factories import example

    reference = submit(client, example("referral-protection-household.json"))
    assert [r["reference"] for r in body(search(staff, "name=testadult"))["referrals"]] == [reference]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("name=%C5%81", "name_too_short"),  # "Ł" alone
        ("dob=2019", "search_too_broad"),
        ("dob=2019-03", "search_too_broad"),
        ("", "search_empty"),
        ("postcode=SW1", "invalid_postcode"),
    ],
)
def test_a_search_too_broad_is_a_422_saying_what_to_add(staff: Callable[..., Any], query: str, code: str) -> None:
    response = search(staff, query)
    assert (response.status_code, body(response)["error"]) == (422, code)


def test_only_casework_roles_may_search(staff: Callable[..., Any]) -> None:
    assert search(staff, "name=Sam", who="auditor").status_code == 403
    assert search(staff, "name=Sam", who="manager").status_code == 200


def test_every_search_is_audited_without_its_terms_and_no_term_is_stored(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    submit(client, example_with_child("Oliwia", "Łukasiewicz", "2019-03-14"))
    search(staff, "name=Lukasiewicz&dob=2019-03")
    search(staff, "name=Nobodyknown")
    member = SYNTHETIC_STAFF["practitioner"]
    events = DynamoStaffAuditLog(aws.aws_client("dynamodb"), aws.settings.table_name).events(member.id)
    assert [(e.action.value, e.details) for e in events] == [
        ("referrals.searched", {"results": "1", "searched_by": "name,dob"}),
        ("referrals.searched", {"results": "0", "searched_by": "name"}),
    ]
    assert [e.sequence for e in events] == [1, 2]
    dump = json.dumps(table_items(aws), default=str).lower()
    for term in ("lukasiewicz", "łukasiewicz", "nobodyknown", "2019-03-14", "oliwia"):
        assert term not in dump


def test_searches_are_rate_limited_per_person(
    client: Any, aws: Any, staff: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    aws.settings = aws.settings.model_copy(update={"rate_limit_search_requests": 2})
    assert search(staff, "name=Sam").status_code == 200
    assert search(staff, "name=Sam").status_code == 200
    refused = search(staff, "name=Sam")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert search(staff, "name=Sam", who="manager").status_code == 200  # another person's own count
