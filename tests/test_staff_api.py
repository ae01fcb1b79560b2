"""The staff API end to end under moto: queue, whole picture (audited), screening, decision, approval, audit."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.domain.staff import Role
from local.issuer import SYNTHETIC_STAFF, LocalIssuer, SyntheticStaff
from tests.conftest import table_items
from tests.factories import example, protection_referral
from tests.staff_issuer import issuer_in

SECOND_MANAGER = SyntheticStaff(
    "0b6f7c1e-0000-4000-8000-000000000004", "Robin Manager", "robin.manager@mash.example", Role.MANAGER
)
# A Thursday in working hours, so deadlines are easy to read.
THURSDAY_10AM = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def issuer(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> LocalIssuer:
    # autouse: it must set the JWKS path before `aws` reads the settings.
    issuer = issuer_in(tmp_path_factory.mktemp("issuer"))
    monkeypatch.setenv("MASH_LOCAL_JWKS_PATH", str(issuer.jwks_path))
    return issuer


@pytest.fixture
def staff(issuer: LocalIssuer, client: Any, aws: Any) -> Callable[..., Any]:
    """`staff("practitioner", "GET", path, body)`: a request from a synthetic staff member."""
    aws.clock = lambda: THURSDAY_10AM

    def request(who: str | SyntheticStaff, method: str, path: str, body: Any = None) -> Any:
        member = SYNTHETIC_STAFF[who] if isinstance(who, str) else who
        headers = {
            "Authorization": f"Bearer {issuer.sign(issuer.claims_for(member))}",
            "Content-Type": "application/json",
        }
        raw = json.dumps(body).encode() if body is not None else b""
        return client.http.request(method, path, headers=headers, body=raw)

    return request


def body(response: Any) -> Any:
    return json.loads(response.body)


def submit(client: Any, referral: dict[str, Any] | None = None) -> str:
    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(referral or example())
    )
    assert response.status_code == 201
    return body(response)["reference"]


def test_the_queue_shows_metadata_and_first_names_only_with_no_kms_call(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    references = [submit(client) for _ in range(3)]
    calls = count_kms_calls(aws)
    response = staff("practitioner", "GET", "/admin/referrals")
    assert response.status_code == 200, response.body
    rows = body(response)["referrals"]
    assert sorted(r["reference"] for r in rows) == sorted(references)
    assert set(rows[0]) == {
        "reference", "route", "status", "rag", "level", "proposed_level", "immediate_risk", "received_at", "due_at",
        "review_due_on",
        "out_of_hours", "owner", "owner_name", "children", "open_tasks", "overdue_tasks",
    }  # fmt: skip
    # To recognise the referral, each child's first name and age (from the sealed search card, no KMS
    # call when warm: tests/test_allocation_api.py); nothing else personal.
    assert "Testchild" not in response.body.decode() and "Alex" not in response.body.decode()
    assert [child["first_name"] for child in rows[0]["children"]] == ["Sam"]
    assert calls() == 0


def count_kms_calls(aws: Any) -> Callable[[], int]:
    seen: list[str] = []
    aws.aws_client("kms").meta.events.register("before-call.kms.*", lambda model, **_: seen.append(model.name))
    return lambda: len(seen)


def test_the_whole_picture_is_decrypted_once_and_the_read_is_audited(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client)
    calls = count_kms_calls(aws)
    response = staff("practitioner", "GET", f"/admin/referrals/{reference}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    picture = body(response)
    assert picture["submission"]["children"][0]["first_name"] == "Sam"
    assert picture["allowed_actions"] == ["screen"]
    assert picture["working_together_due_at"] == "2026-11-27T10:00:00+00:00"  # one working day
    assert calls() == 1
    # The chain starts at receipt (by the referrer's kind and the channel, nothing personal).
    received, event = picture["history"]
    assert (received["action"], received["actor"], received["details"]) == (
        "referral.received",
        "referrer",
        {"referrer_kind": "professional", "channel": "api", "route": "support"},
    )
    assert (event["action"], event["actor"], event["role"]) == (
        "referral.viewed",
        SYNTHETIC_STAFF["practitioner"].id,
        "mash-practitioner",
    )


def test_a_reference_is_found_as_a_person_types_it_and_an_unknown_one_is_404(
    client: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client)
    assert staff("practitioner", "GET", f"/admin/referrals/{reference.replace('-', '').lower()}").status_code == 200
    for unknown in ("ZZZ-ZZZ-ZZZ", "not-a-reference"):
        response = staff("practitioner", "GET", f"/admin/referrals/{unknown}")
        assert (response.status_code, body(response)["error"]) == (404, "not_found")


def test_screening_amber_sets_a_working_day_deadline_and_is_audited(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client)
    response = staff(
        "practitioner", "POST", f"/admin/referrals/{reference}/screening",
        {"rag": "amber", "level": 3, "rationale": "Hunger and absence; school worried"},
    )  # fmt: skip
    assert response.status_code == 200
    state = body(response)
    assert (state["status"], state["rag"], state["due_at"]) == ("screened", "amber", "2026-11-27T10:00:00+00:00")
    stored = aws.referrals.fetch(reference)
    assert stored.screening is not None and stored.screening.rationale == "Hunger and absence; school worried"
    dump = json.dumps(table_items(aws), default=repr)
    assert "Hunger and absence" not in dump  # the rationale is encrypted too
    queue = body(staff("manager", "GET", "/admin/referrals?rag=amber"))["referrals"]
    assert [(r["reference"], r["rag"], r["level"]) for r in queue] == [(reference, "amber", 3)]


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"rag": "purple", "level": 2, "rationale": "x"}, "rag", "Rag must be one of: 'red', 'amber' or 'green'"),
        ({"rag": "red", "level": 5, "rationale": "x"}, "level", "Level must be a whole number"),
        ({"rag": "red", "level": 2, "rationale": "  "}, "rationale", "Enter rationale"),
        ({"rag": "red", "level": 2}, "rationale", "Enter rationale"),
    ],
)
def test_screening_needs_a_rag_a_level_and_a_rationale(
    client: Any, staff: Callable[..., Any], payload: dict, field: str, message: str
) -> None:
    reference = submit(client)
    response = staff("practitioner", "POST", f"/admin/referrals/{reference}/screening", payload)
    assert response.status_code == 422
    assert {e["field"]: e["message"] for e in body(response)["errors"]}[field] == message


def test_deciding_before_screening_is_409_with_what_is_allowed(client: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client)
    response = staff(
        "practitioner", "POST", f"/admin/referrals/{reference}/decision", {"outcome": "early_help", "reasons": "r"}
    )
    assert response.status_code == 409
    assert body(response)["message"].endswith("Allowed now: screen (RAG rating and level of need)")


def test_a_section_47_decision_needs_another_managers_approval(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client, protection_referral())
    staff(
        "practitioner",
        "POST",
        f"/admin/referrals/{reference}/screening",
        {"rag": "red", "level": 4, "rationale": "Bruising"},
    )
    decided = staff(
        "manager", "POST", f"/admin/referrals/{reference}/decision",
        {"outcome": "strategy_discussion_s47", "reasons": "Injuries unexplained"},
    )  # fmt: skip
    assert body(decided)["status"] == "decision_proposed"
    practitioner = staff("practitioner", "POST", f"/admin/referrals/{reference}/decision/approval", {"approve": True})
    assert (practitioner.status_code, body(practitioner)["message"]) == (403, "This needs the mash-manager role")
    own = staff("manager", "POST", f"/admin/referrals/{reference}/decision/approval", {"approve": True})
    assert (own.status_code, body(own)["message"]) == (
        403,
        "A manager cannot approve their own decision: ask another manager",
    )
    approved = staff(SECOND_MANAGER, "POST", f"/admin/referrals/{reference}/decision/approval", {"approve": True})
    assert approved.status_code == 200
    assert body(approved)["decision"]["approved_by"] == SECOND_MANAGER.id
    assert aws.referrals.fetch(reference).status.value == "decided"


def test_returning_a_decision_needs_a_reason_and_reopens_screening(client: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client)
    staff(
        "practitioner",
        "POST",
        f"/admin/referrals/{reference}/screening",
        {"rag": "green", "level": 3, "rationale": "r"},
    )
    staff(
        "practitioner",
        "POST",
        f"/admin/referrals/{reference}/decision",
        {"outcome": "child_and_family_assessment_s17", "reasons": "r"},
    )
    no_reason = staff("manager", "POST", f"/admin/referrals/{reference}/decision/approval", {"approve": False})
    assert body(no_reason)["errors"] == [
        {"field": "reason", "message": "Say why the decision is returned, so the practitioner knows what to change"}
    ]
    returned = staff(
        "manager",
        "POST",
        f"/admin/referrals/{reference}/decision/approval",
        {"approve": False, "reason": "Early help first"},
    )
    assert body(returned)["status"] == "screened"


def test_an_auditor_sees_every_step_and_a_verified_chain(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client)
    staff("practitioner", "GET", f"/admin/referrals/{reference}")
    staff(
        "practitioner",
        "POST",
        f"/admin/referrals/{reference}/screening",
        {"rag": "amber", "level": 3, "rationale": "r"},
    )
    staff(
        "practitioner",
        "POST",
        f"/admin/referrals/{reference}/decision",
        {"outcome": "child_and_family_assessment_s17", "reasons": "r"},
    )
    staff("manager", "POST", f"/admin/referrals/{reference}/decision/approval", {"approve": True})
    events = body(staff("auditor", "GET", f"/admin/audit?reference={reference}"))["events"]
    assert [e["action"] for e in events] == [
        "referral.received",
        "referral.viewed",
        "referral.screened",
        "decision.recorded",
        "decision.approved",
    ]
    assert "Sam" not in json.dumps(events)
    assert body(staff("auditor", "GET", f"/admin/audit/verify?reference={reference}")) == {
        "intact": True, "events": 5, "first_broken_sequence": None, "problem": None,
    }  # fmt: skip

    # Someone with write access to the table edits one event: the chain shows it.
    db = aws.aws_client("dynamodb")
    db.update_item(
        TableName=aws.settings.table_name,
        Key={"pk": {"S": f"REF#{reference}"}, "sk": {"S": "AUDIT#00000002"}},
        UpdateExpression="SET actor = :a",
        ExpressionAttributeValues={":a": {"S": "someone-else"}},
    )
    report = body(staff("auditor", "GET", f"/admin/audit/verify?reference={reference}"))
    assert (report["intact"], report["first_broken_sequence"]) == (False, 2)


def test_audit_needs_a_reference(staff: Callable[..., Any]) -> None:
    response = staff("auditor", "GET", "/admin/audit")
    assert (response.status_code, body(response)["error"]) == (422, "reference_required")


def test_queue_filters_are_checked(staff: Callable[..., Any]) -> None:
    response = staff("practitioner", "GET", "/admin/referrals?rag=purple")
    assert (response.status_code, body(response)["message"]) == (422, "rag must be one of: red, amber, green")
    response = staff("practitioner", "GET", "/admin/referrals?limit=1000")
    assert (response.status_code, body(response)["error"]) == (422, "invalid_limit")
    response = staff("practitioner", "GET", "/admin/referrals?cursor=garbage")
    assert (response.status_code, body(response)["error"]) == (422, "invalid_cursor")


def test_known_before_finds_the_same_child_despite_case_spacing_and_accents_without_decrypting_it(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    first = submit(
        client, protection_referral(**{"children.0.first_name": "Zoë-Mae", "children.0.last_name": "Testchild"})
    )
    other_child = submit(
        client, protection_referral(**{"children.0.first_name": "Ruby", "children.0.last_name": "Testchild"})
    )
    again = submit(
        client,
        example_with_child("  zoe mae ", "TESTCHILD", "2024-06-02"),
    )
    calls = count_kms_calls(aws)
    picture = body(staff("practitioner", "GET", f"/admin/referrals/{again}"))
    assert [known["reference"] for known in picture["known_before"]] == [first]
    assert other_child not in json.dumps(picture["known_before"])
    assert set(picture["known_before"][0]) == {"reference", "route", "status", "received_at", "outcome"}
    assert calls() == 1  # the one Decrypt of the referral being read; none for the one found


def test_known_before_finds_a_surname_typed_without_its_polish_l(client: Any, staff: Callable[..., Any]) -> None:
    first = submit(client, example_with_child("Oliwia", "Łukasiewicz", "2019-03-14"))
    again = submit(client, example_with_child("Oliwia", "Lukasiewicz", "2019-03-14"))
    picture = body(staff("practitioner", "GET", f"/admin/referrals/{again}"))
    assert [known["reference"] for known in picture["known_before"]] == [first]


def example_with_child(first: str, last: str, born: str) -> dict[str, Any]:
    from tests.factories import support_referral

    return support_referral(
        **{"children.0.first_name": first, "children.0.last_name": last, "children.0.date_of_birth": born}
    )


def test_the_child_index_holds_keyed_hashes_not_names(client: Any, aws: Any) -> None:
    submit(client)
    index_items = [i for i in table_items(aws) if i["pk"]["S"].startswith("CHILD#")]
    assert len(index_items) == 1
    dump = json.dumps(index_items).lower()
    assert "sam" not in dump and "testchild" not in dump and "2017" not in dump


def test_the_queue_keeps_the_immediate_risk_flag_after_screening(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    from tests.factories import set_path

    at_risk = example("referral-protection.json")
    set_path(at_risk, "immediate_risk", True)
    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(at_risk)
    )
    reference = body(response)["reference"]
    calm = submit(client)
    screen = {"rag": "red", "level": 4, "rationale": "Injury seen"}
    assert staff("practitioner", "POST", f"/admin/referrals/{reference}/screening", screen).status_code == 200
    rows = {
        r["reference"]: r["immediate_risk"] for r in body(staff("practitioner", "GET", "/admin/referrals"))["referrals"]
    }
    assert rows == {reference: True, calm: False}
