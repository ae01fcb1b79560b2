"""A closed referral is read-only: every staff route on a referral x every role x both routes.

Walks the app's own route table, so a new route on /admin/referrals/{reference} fails here until
it is given a body and an expected answer below. Expected, for a role the route lets in:
- an action that shares, sends or changes the referral: 409 `referral_closed`, and nothing sent;
- a legal hold: still taken (it is what keeps a closed record from deletion, or lets it go), and so
  are links to other referrals (a cross-reference: the new referral of a child links to the closed one);
- a read of personal data: 422 `reason_required` without `?reason=`, and 200 with one.
A role the route does not let in gets 403 whatever the state.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.domain.decision import Outcome
from chalicelib.domain.referral import Route
from chalicelib.web.auth import declared_roles
from tests.conftest import sent_emails
from tests.factories import protection_referral, support_referral
from tests.test_outcome_notices import decide

pytestmark = pytest.mark.usefixtures("issuer")

ROLES = ("practitioner", "manager", "auditor")
ROLE_GROUPS = {"practitioner": "mash-practitioner", "manager": "mash-manager", "auditor": "mash-auditor"}
REASON = "court_or_police_request"
ATTACHMENT = "0123456789abcdef0123"

ACTIONS: dict[tuple[str, str], Any] = {
    ("POST", "/admin/referrals/{reference}/screening"): {"rag": "red", "level": 4, "rationale": "Synthetic"},
    ("POST", "/admin/referrals/{reference}/decision"): {"outcome": "early_help", "reasons": "Synthetic"},
    ("POST", "/admin/referrals/{reference}/decision/approval"): {"approve": True},
    ("POST", "/admin/referrals/{reference}/closure"): None,
    ("POST", "/admin/referrals/{reference}/consent"): {"state": "requested", "parent": 0},
    ("POST", "/admin/referrals/{reference}/parents-told"): {"tell": True},
    ("POST", "/admin/referrals/{reference}/contact-plan"): {"person": "parent:0", "tell": True, "reason": "Synthetic"},
    ("POST", "/admin/referrals/{reference}/notices/{notice_id}/release"): {"english_reason": "Synthetic: English"},
    ("POST", "/admin/referrals/{reference}/replies/{reply_id}/text"): {"wrong": True, "reason": "Synthetic"},
    ("POST", "/admin/referrals/{reference}/outcome-notice"): {"withhold": False, "reason": "Synthetic: release"},
    ("POST", "/admin/referrals/{reference}/onward-referral"): {
        "service": "early-help-hub",
        "sections": ["children", "parents_carers", "concerns", "referrer"],
        "reason": "Synthetic: probe",
    },
    ("POST", "/admin/referrals/{reference}/enquiries"): {"agencies": ["police"], "question": "Synthetic: anything?"},
    ("POST", "/admin/referrals/{reference}/enquiries/withdrawal"): {"enquiry_id": "e1", "reason": "Synthetic: why"},
    ("POST", "/admin/referrals/{reference}/handover"): {"note": "Synthetic: handover", "handed_over": True},
    ("POST", "/admin/referrals/{reference}/tasks/{task_id}"): {"action": "complete", "note": "Synthetic"},
    ("POST", "/admin/referrals/{reference}/notes"): {"type": "phone_call", "text": "Synthetic: a call"},
    ("POST", "/admin/referrals/{reference}/allocation"): {"to": "me"},
    ("POST", "/admin/referrals/{reference}/export"): None,
}
# Each given another referral's reference (a new one per role), taken in this order.
STILL_TAKEN: dict[tuple[str, str], Callable[[str], Any]] = {
    ("POST", "/admin/referrals/{reference}/legal-hold"): lambda other: {"hold": True, "reason": "Synthetic: inquiry"},
    ("POST", "/admin/referrals/{reference}/links"): lambda other: {
        "other": other, "kind": "same_child", "reason": "Synthetic: a new concern",
    },
    ("POST", "/admin/referrals/{reference}/links/{other}/removal"): lambda other: {"reason": "Synthetic: not them"},
}  # fmt: skip
READS = {
    ("GET", "/admin/referrals/{reference}"): "",
    ("GET", "/admin/referrals/{reference}/notices/{notice_id}/preview"): "ack",
    ("GET", "/admin/referrals/{reference}/attachments/{attachment_id}"): ATTACHMENT,
    ("GET", "/admin/referrals/{reference}/chronology"): "",
}


def referral_routes() -> dict[tuple[str, str], Any]:
    import app

    return {
        (method, path): entry.view_function
        for path, entries in app.app.routes.items()
        if path.startswith("/admin/referrals/{reference}")
        for method, entry in entries.items()
    }


def test_every_route_on_a_referral_has_an_expectation_here() -> None:
    assert set(referral_routes()) == set(ACTIONS) | set(STILL_TAKEN) | set(READS)


def submitted(client: Any, route: Route) -> str:
    data = support_referral() if route is Route.SUPPORT else protection_referral()
    response = client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(data))
    return str(json.loads(response.body)["reference"])


def closed(client: Any, staff: Callable[..., Any], route: Route) -> str:
    reference = submitted(client, route)
    decide(staff, reference, Outcome.NO_FURTHER_ACTION, route)
    response = staff("practitioner", "POST", f"/admin/referrals/{reference}/closure")
    assert response.status_code == 200, response.body
    return reference


def allowed(method: str, path: str, who: str) -> bool:
    roles = declared_roles(referral_routes()[(method, path)]) or frozenset()
    return ROLE_GROUPS[who] in {role.value for role in roles}


@pytest.mark.parametrize("route", list(Route))
def test_every_action_on_a_closed_referral_is_refused_for_every_role(
    client: Any, aws: Any, staff: Callable[..., Any], route: Route
) -> None:
    reference = closed(client, staff, route)
    sent_before = len(sent_emails(aws))
    for (method, path), payload in ACTIONS.items():
        for who in ROLES:
            response = staff(
                who, method, path.format(reference=reference, notice_id="ack", reply_id="r1", task_id="t1"), payload
            )
            answer = json.loads(response.body)
            if not allowed(method, path, who):
                assert (response.status_code, answer["error"]) == (403, "wrong_role"), (path, who, answer)
                continue
            assert (response.status_code, answer["error"]) == (409, "referral_closed"), (path, who, answer)
            assert "read-only" in answer["message"] and "new referral" in answer["message"]
    assert len(sent_emails(aws)) == sent_before


@pytest.mark.parametrize("route", list(Route))
def test_a_legal_hold_and_links_are_still_taken_on_a_closed_referral(
    client: Any, staff: Callable[..., Any], route: Route
) -> None:
    reference = closed(client, staff, route)
    for who in ROLES:
        other = submitted(client, route)
        for (method, path), payload in STILL_TAKEN.items():
            response = staff(who, method, path.format(reference=reference, other=other), payload(other))
            if allowed(method, path, who):
                assert response.status_code == 200, (path, who, response.body)
                assert json.loads(response.body).get("legal_hold", True) is True
            else:
                assert response.status_code == 403, (path, who, response.body)


@pytest.mark.parametrize("route", list(Route))
def test_every_read_of_a_closed_referral_needs_a_reason(client: Any, staff: Callable[..., Any], route: Route) -> None:
    reference = closed(client, staff, route)
    for (method, path), second in READS.items():
        url = path.format(reference=reference, notice_id=second, attachment_id=second)
        for who in ROLES:
            response = staff(who, method, url)
            answer = json.loads(response.body)
            if not allowed(method, path, who):
                assert response.status_code == 403, (path, who, answer)
                continue
            assert (response.status_code, answer["error"]) == (422, "reason_required"), (path, who, answer)
            assert "Testchild" not in response.body.decode()
            with_reason = staff(who, method, f"{url}?reason={REASON}")
            # The attachment does not exist: past the reason, the lookup answers (404), never the data.
            expected = 404 if "attachments" in path else 200
            assert with_reason.status_code == expected, (path, who, with_reason.body)
