"""Closing, reasons to reopen, legal holds, retention deletion with receipts, and subject access."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from local.issuer import SYNTHETIC_STAFF, LocalIssuer
from tests.conftest import table_items
from tests.factories import example
from tests.staff_issuer import issuer_in

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(autouse=True)
def issuer(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> LocalIssuer:
    # autouse: it must set the JWKS path before `aws` reads the settings.
    issuer = issuer_in(tmp_path_factory.mktemp("issuer"))
    monkeypatch.setenv("MASH_LOCAL_JWKS_PATH", str(issuer.jwks_path))
    monkeypatch.setenv("MASH_RETENTION_YEARS", json.dumps({"early_help": 1}))
    return issuer


@pytest.fixture
def clock(aws: Any) -> Clock:
    aws.clock = Clock()
    return aws.clock


@pytest.fixture
def staff(issuer: LocalIssuer, client: Any, clock: Clock) -> Callable[..., Any]:
    def request(who: str, method: str, path: str, body: Any = None) -> Any:
        token = issuer.sign(issuer.claims_for(SYNTHETIC_STAFF[who]))  # tokens live in real time
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        return client.http.request(method, path, headers=headers, body=json.dumps(body).encode() if body else b"")

    return request


def body(response: Any) -> Any:
    return json.loads(response.body)


def closed_referral(client: Any, staff: Callable[..., Any]) -> str:
    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(example())
    )
    reference = body(response)["reference"]
    staff(
        "practitioner",
        "POST",
        f"/admin/referrals/{reference}/screening",
        {"rag": "green", "level": 2, "rationale": "r"},
    )
    staff("practitioner", "POST", f"/admin/referrals/{reference}/decision", {"outcome": "early_help", "reasons": "r"})
    closed = staff("practitioner", "POST", f"/admin/referrals/{reference}/closure")
    assert closed.status_code == 200, closed.body
    return reference


def sweep(client: Any) -> dict[str, int]:
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])
    return client.lambda_.invoke("retention_sweep", event).payload


def test_closing_sets_the_retention_date_by_outcome(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    reference = closed_referral(client, staff)
    stored = aws.referrals.fetch(reference)
    assert (stored.status.value, stored.retention_until) == ("closed", NOW.replace(year=2027))
    [item] = [i for i in table_items(aws) if i["sk"]["S"] == "REFERRAL"]
    assert int(item["expires_at"]["N"]) == int((NOW.replace(year=2027) + dt.timedelta(days=30)).timestamp())
    assert body(staff("practitioner", "GET", "/admin/referrals"))["referrals"] == []  # gone from the queue


def test_a_closed_referral_opens_only_with_a_reason_that_is_audited(client: Any, staff: Callable[..., Any]) -> None:
    reference = closed_referral(client, staff)
    refused = staff("practitioner", "GET", f"/admin/referrals/{reference}")
    assert refused.status_code == 422
    assert body(refused)["message"].startswith("This referral is closed: say why you are opening it, with ?reason=")
    opened = staff("manager", "GET", f"/admin/referrals/{reference}?reason=new_concern_about_the_same_child")
    assert opened.status_code == 200
    assert body(opened)["history"][-1]["details"] == {"reason": "new_concern_about_the_same_child"}


def test_the_sweep_deletes_after_retention_and_leaves_a_verifiable_receipt(
    client: Any, aws: Any, clock: Clock, staff: Callable[..., Any]
) -> None:
    reference = closed_referral(client, staff)
    assert sweep(client) == {"deleted": 0, "skipped": 0, "triage_deleted": 0, "advice_deleted": 0}
    clock.now = NOW.replace(year=2027) + dt.timedelta(minutes=1)
    assert sweep(client) == {"deleted": 1, "skipped": 0, "triage_deleted": 0, "advice_deleted": 0}
    remaining = [i for i in table_items(aws) if reference in i["pk"]["S"] or i["sk"]["S"].endswith(reference)]
    assert {i["sk"]["S"].split("#")[0] for i in remaining} == {"AUDIT"}
    assert "Sam" not in json.dumps(remaining) and "Testchild" not in json.dumps(remaining)
    events = body(staff("auditor", "GET", f"/admin/audit?reference={reference}"))["events"]
    assert events[-1]["action"] == "referral.deleted"
    assert events[-1]["details"] == {
        "outcome": "early_help",
        "closed_at": "2026-11-26",
        "retention_until": "2027-11-26",
    }
    assert body(staff("auditor", "GET", f"/admin/audit/verify?reference={reference}"))["intact"] is True
    assert staff("manager", "GET", f"/admin/referrals/{reference}?reason=quality_audit").status_code == 404


def test_a_legal_hold_stops_deletion_until_lifted(client: Any, clock: Clock, staff: Callable[..., Any]) -> None:
    reference = closed_referral(client, staff)
    practitioner = staff(
        "practitioner", "POST", f"/admin/referrals/{reference}/legal-hold", {"hold": True, "reason": "Court"}
    )
    assert practitioner.status_code == 403
    held = staff(
        "manager", "POST", f"/admin/referrals/{reference}/legal-hold", {"hold": True, "reason": "Care proceedings"}
    )
    assert body(held)["legal_hold"] is True
    clock.now = NOW.replace(year=2030)
    assert sweep(client)["deleted"] == 0
    staff("manager", "POST", f"/admin/referrals/{reference}/legal-hold", {"hold": False, "reason": "Proceedings ended"})
    assert sweep(client)["deleted"] == 1


def test_subject_access_exports_every_referral_of_the_child_and_audits_it(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    references = [
        body(
            client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(example()))
        )["reference"]
        for _ in range(2)
    ]
    child = {"first_name": "SAM", "last_name": "testchild", "date_of_birth": "2017-03-14"}
    assert staff("practitioner", "POST", "/admin/subject-access", child).status_code == 403
    response = staff("auditor", "POST", "/admin/subject-access", child)
    assert response.status_code == 200
    bundle = body(response)
    assert sorted(r["reference"] for r in bundle["referrals"]) == sorted(references)
    assert bundle["referrals"][0]["submission"]["children"][0]["first_name"] == "Sam"
    for reference in references:
        events = body(staff("auditor", "GET", f"/admin/audit?reference={reference}"))["events"]
        assert events[-1]["action"] == "referral.exported"
    nobody = staff("auditor", "POST", "/admin/subject-access", {**child, "date_of_birth": "2017-03-15"})
    assert body(nobody)["referrals"] == []
