"""Consent and "tell the parents?" through the staff API, stored encrypted and audited."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from local.issuer import SYNTHETIC_STAFF
from tests.conftest import table_items
from tests.factories import example

# The staff token issuer must set its key path before `aws` reads the settings.
pytestmark = pytest.mark.usefixtures("issuer")


def submit(client: Any, name: str) -> str:
    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(example(name))
    )
    return json.loads(response.body)["reference"]


def body(response: Any) -> Any:
    return json.loads(response.body)


def test_a_support_referral_without_consent_shows_the_gate_closed(client: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client, "referral-support-no-consent.json")
    picture = body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))
    assert (picture["consent"], picture["sharing_allowed"]) == ("not_sought", False)
    assert picture["sharing_refusal"].startswith("Agencies cannot be asked to share information")
    assert picture["consent_record"]["reason"] == "Could not reach the family before making this referral."


def test_recording_consent_given_opens_the_gate_and_is_encrypted_and_audited(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client, "referral-support-no-consent.json")
    incomplete = staff("practitioner", "POST", f"/admin/referrals/{reference}/consent", {"state": "given"})
    assert (incomplete.status_code, body(incomplete)["message"]) == (
        422,
        "Consent given needs: given_by, given_on, how",
    )
    given = {
        "state": "given",
        "given_by": "Jamie Testparent",
        "given_on": "2026-11-24",
        "how": "by phone with the MASH",
    }
    response = staff("practitioner", "POST", f"/admin/referrals/{reference}/consent", given)
    assert (response.status_code, body(response)["consent"], body(response)["sharing_allowed"]) == (200, "given", True)
    assert "Jamie Testparent" not in json.dumps(table_items(aws), default=repr).replace("\\", "")
    picture = body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))
    assert picture["consent_record"]["given_by"] == "Jamie Testparent"
    assert picture["history"][1]["action"] == "consent.recorded"
    assert picture["history"][1]["details"] == {"state": "given", "source": "staff"}


def test_dispensing_with_consent_needs_a_manager_a_reason_and_a_review_date(
    client: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client, "referral-support-no-consent.json")
    dispense = {"state": "dispensed", "reason": "Asking could put the child at more risk", "review_on": "2026-12-10"}
    refused = staff("practitioner", "POST", f"/admin/referrals/{reference}/consent", dispense)
    assert (refused.status_code, body(refused)["message"]) == (403, "Only a manager can dispense with consent")
    dispensed = staff("manager", "POST", f"/admin/referrals/{reference}/consent", dispense)
    assert body(dispensed)["sharing_allowed"] is True
    record = body(staff("manager", "GET", f"/admin/referrals/{reference}"))["consent_record"]
    assert (record["signed_off_by"], record["review_on"]) == (SYNTHETIC_STAFF["manager"].id, "2026-12-10")


def test_parents_of_a_protection_referral_are_told_unless_a_manager_records_why_not(
    client: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client, "referral-protection.json")
    assert body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))["parents_told"] == "undecided"
    withhold = {"tell": False, "reason": "Father may be the source of harm", "review_on": "2026-12-01"}
    refused = staff("practitioner", "POST", f"/admin/referrals/{reference}/parents-told", withhold)
    assert (refused.status_code, body(refused)["message"]) == (
        403,
        "Only a manager can decide the parents are not told",
    )
    no_reason = staff("manager", "POST", f"/admin/referrals/{reference}/parents-told", {"tell": False})
    assert (no_reason.status_code, body(no_reason)["message"]) == (
        422,
        "Not telling the parents needs: reason, review_on",
    )
    withheld = staff("manager", "POST", f"/admin/referrals/{reference}/parents-told", withhold)
    assert body(withheld)["parents_told"] == "withheld"
    consent = staff("manager", "POST", f"/admin/referrals/{reference}/consent", {"state": "refused", "reason": "x"})
    assert body(consent)["message"].startswith("A protection referral needs no consent")


def test_a_support_referral_has_no_parents_told_decision(client: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client, "referral-support.json")
    response = staff("practitioner", "POST", f"/admin/referrals/{reference}/parents-told", {"tell": True})
    assert (response.status_code, body(response)["message"]) == (
        422,
        "Only a protection referral has a decision on telling the parents",
    )
