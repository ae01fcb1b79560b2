"""Referrer anonymity (issue 11 item 5): nothing a family receives says who referred, or what kind
of person, unless the referrer agreed. Canaries in every referrer field; each family-facing
message is collected as the family would get it (MIME emails, the consent page) and searched."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.domain.decision import Outcome
from chalicelib.domain.referral import Route
from tests.conftest import sent_emails
from tests.factories import example
from tests.test_outcome_notices import decide

pytestmark = pytest.mark.usefixtures("issuer")

PARENT = "jamie.testparent@family.example"
# Phrases that say what kind of person referred (on a street, "a member of the public" is the
# neighbour). The lists of services that may share information (school, health visitor) are not.
KIND_WORDS = (
    "member of the public",
    "a professional",
    "professional who",
    "neighbour",
    "someone who knows your family",
)


def referrer(kind: str, may_know: bool | None) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "kind": kind,
        "name": "Canaryname Qzreferrer",
        "email": "canary.qzreferrer@canary.example",
        "phone": "020 7946 0777",
    }
    if kind == "professional":
        fields |= {"role": "Canaryrole Qzrole", "organisation": "Canaryorg Qzorg", "agency": "education"}
    if may_know is not None:
        fields["family_may_know"] = may_know
    return fields


CANARIES = ("Canaryname", "Qzreferrer", "canary.example", "020 7946 0777", "Canaryrole", "Canaryorg")


def submit(client: Any, data: dict[str, Any]) -> str:
    response = client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(data))
    assert response.status_code == 201, response.body
    return json.loads(response.body)["reference"]


def family_messages(aws: Any) -> list[str]:
    """Every email to the family (subject, text and HTML), as sent."""
    found = []
    for message in sent_emails(aws):
        if str(message["To"]) != PARENT:
            continue
        parts = [str(message["Subject"])]
        parts += [message.get_body(preferencelist=(kind,)).get_content() for kind in ("plain", "html")]
        found.append("\n".join(parts))
    return found


def support_journey(client: Any, aws: Any, staff: Callable[..., Any], who: dict[str, Any]) -> list[str]:
    """Consent asked by email, the parent's consent page, then the outcome notice."""
    data = example("referral-support-no-consent.json")
    data["referrer"] = who
    reference = submit(client, data)
    asked = staff("practitioner", "POST", f"/admin/referrals/{reference}/consent", {"state": "requested", "parent": 0})
    assert asked.status_code == 200, asked.body
    [email] = family_messages(aws)
    link = re.search(r"https?://[^\s\"<]+/consent/[A-Za-z0-9._~-]+", email)
    assert link, email
    page = client.http.get(link.group(0).split("://", 1)[1].partition("/")[2].join(["/", ""]))
    assert page.status_code == 200
    given = {"state": "given", "given_by": "Jamie Testparent", "given_on": "2026-11-25", "how": "by phone"}
    assert staff("practitioner", "POST", f"/admin/referrals/{reference}/consent", given).status_code == 200
    decide(staff, reference, Outcome.NO_FURTHER_ACTION, Route.SUPPORT)
    messages = family_messages(aws)
    assert len(messages) == 2, "the consent request and the outcome notice"
    return [*messages, page.body.decode()]


def protection_journey(client: Any, aws: Any, staff: Callable[..., Any], who: dict[str, Any]) -> list[str]:
    """Parents told, then the outcome notice."""
    data = example("referral-protection.json")
    data["referrer"] = who
    data["parents_carers"][0] |= {"email": PARENT, "first_language": "English"}
    reference = submit(client, data)
    assert (
        staff("practitioner", "POST", f"/admin/referrals/{reference}/parents-told", {"tell": True}).status_code == 200
    )
    decide(staff, reference, Outcome.NO_FURTHER_ACTION, Route.PROTECTION)
    messages = family_messages(aws)
    assert len(messages) == 2, "parents told and the outcome notice"
    return messages


JOURNEYS = {"support": support_journey, "protection": protection_journey}


@pytest.mark.parametrize("route", list(JOURNEYS))
@pytest.mark.parametrize(
    ("kind", "may_know"), [("public", None), ("public", False), ("professional", None), ("professional", False)]
)
def test_no_family_message_says_who_referred_or_what_kind_of_person(
    client: Any, aws: Any, staff: Callable[..., Any], route: str, kind: str, may_know: bool | None
) -> None:
    for message in JOURNEYS[route](client, aws, staff, referrer(kind, may_know)):
        lowered = message.lower()
        assert [c for c in CANARIES if c.lower() in lowered] == []
        assert [w for w in KIND_WORDS if w in lowered] == []


@pytest.mark.parametrize("route", list(JOURNEYS))
def test_a_referrer_who_agreed_is_named_where_the_family_is_told_of_the_referral(
    client: Any, aws: Any, staff: Callable[..., Any], route: str
) -> None:
    first = JOURNEYS[route](client, aws, staff, referrer("professional", True))[0]
    assert "Canaryname Qzreferrer (Canaryrole Qzrole, Canaryorg Qzorg)" in first
    assert "canary.example" not in first and "020 7946 0777" not in first  # never their contact details
