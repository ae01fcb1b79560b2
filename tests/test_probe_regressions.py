"""Regressions for the hostile probe's findings (issue 16), each written as the probe did it: over
HTTP, with the same inputs, checking what was sent and stored as well as the answer."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.domain.decision import Outcome
from chalicelib.domain.referral import Route
from tests.conftest import sent_emails
from tests.factories import protection_referral, set_path, support_referral
from tests.test_console import Browser, page_text
from tests.test_outcome_notices import decide

pytestmark = pytest.mark.usefixtures("issuer")

FATHER = "morgan.testparent@family.example"
DO_NOT_TELL = {"tell": False, "reason": "Father is the alleged abuser", "review_on": "2027-01-15"}


def submit(client: Any, data: dict[str, Any]) -> str:
    response = client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(data))
    assert response.status_code == 201, response.body
    return json.loads(response.body)["reference"]


def with_fathers_email() -> dict[str, Any]:
    data = protection_referral()
    set_path(data, "parents_carers.0.email", FATHER)
    set_path(data, "parents_carers.0.first_language", "English")  # the language hold is tested on its own
    return data


def emails_to_father(aws: Any) -> list[str]:
    return [str(m["Subject"]) for m in sent_emails(aws) if m["To"] == FATHER]


def picture(staff: Callable[..., Any], reference: str) -> dict[str, Any]:
    response = staff("manager", "GET", f"/admin/referrals/{reference}")
    assert response.status_code == 200, response.body
    return json.loads(response.body)


# --- finding 1: a practitioner could reverse a manager's "do not tell" ----------------------------


def test_a_practitioner_cannot_reverse_a_managers_do_not_tell(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    # In MASH hours: out of hours a protection referral also owes the EDT's alert (test_out_of_hours.py).
    aws.clock = lambda: dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
    reference = submit(client, with_fathers_email())
    assert staff("manager", "POST", f"/admin/referrals/{reference}/parents-told", DO_NOT_TELL).status_code == 200

    reversed_ = staff("practitioner", "POST", f"/admin/referrals/{reference}/parents-told", {"tell": True})

    assert reversed_.status_code == 403, reversed_.body
    answer = json.loads(reversed_.body)
    assert answer["error"] == "not_allowed"
    assert "mash-manager" in answer["message"]
    assert "parents are not told" in answer["message"]
    assert emails_to_father(aws) == []
    seen = picture(staff, reference)
    assert seen["parents_told"] == "withheld"
    assert seen["protective_decisions"] == [{"decision": "parents_not_told", "made_by": "mash-manager"}]
    assert [n["kind"] for n in seen["notices"]] == ["acknowledgement"]
    assert "parents_told.decided" not in [e["action"] for e in seen["history"][1:] if e["role"] == "mash-practitioner"]


def test_on_a_decided_s47_referral_the_held_outcome_notice_stays_held(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client, with_fathers_email())
    assert staff("manager", "POST", f"/admin/referrals/{reference}/parents-told", DO_NOT_TELL).status_code == 200
    decide(staff, reference, Outcome.STRATEGY_DISCUSSION, Route.PROTECTION)
    assert picture(staff, reference)["outcome_notice"]["held_because"] == "parents_not_told"

    reversed_ = staff("practitioner", "POST", f"/admin/referrals/{reference}/parents-told", {"tell": True})

    assert reversed_.status_code == 403, reversed_.body
    assert emails_to_father(aws) == []
    seen = picture(staff, reference)
    assert seen["outcome_notice"]["held_because"] == "parents_not_told"
    assert not [n for n in seen["notices"] if n["kind"] in ("outcome", "parents_told")]


def test_the_manager_who_may_decide_it_can_still_reverse_it(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client, with_fathers_email())
    staff("manager", "POST", f"/admin/referrals/{reference}/parents-told", DO_NOT_TELL)
    response = staff("manager", "POST", f"/admin/referrals/{reference}/parents-told", {"tell": True})
    assert response.status_code == 200, response.body
    assert len(emails_to_father(aws)) == 1
    assert picture(staff, reference)["protective_decisions"] == []


def test_a_practitioner_cannot_ask_a_parent_once_a_manager_dispensed_with_consent(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client, support_referral())
    dispense = {"state": "dispensed", "reason": "Asking would alert the carer", "review_on": "2027-01-15"}
    assert staff("manager", "POST", f"/admin/referrals/{reference}/consent", dispense).status_code == 200
    before = len(sent_emails(aws))

    asked = staff("practitioner", "POST", f"/admin/referrals/{reference}/consent", {"state": "requested", "parent": 0})

    assert asked.status_code == 403, asked.body
    assert "mash-manager" in json.loads(asked.body)["message"]
    assert len(sent_emails(aws)) == before
    assert picture(staff, reference)["consent"] == "dispensed"


def test_the_console_offers_the_reversal_only_to_a_manager(client: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client, with_fathers_email())
    staff("manager", "POST", f"/admin/referrals/{reference}/parents-told", DO_NOT_TELL)
    page = f"/staff/referrals/{reference}"
    practitioner, manager = Browser(client).sign_in("practitioner"), Browser(client).sign_in("manager")

    assert "Decide whether the parents are told" not in page_text(practitioner.get(page))
    assert "Decide whether the parents are told" in page_text(manager.get(page))
    # Straight to the form's address: the page is offered, the domain refuses the post.
    practitioner.get(f"{page}/parents-told")
    refused = practitioner.post(f"{page}/parents-told", {"tell": "true"})
    assert "mash-manager" in page_text(refused)
    assert picture(staff, reference)["parents_told"] == "withheld"


# --- finding 2: closed referrals still acted ------------------------------------------------------


def closed_protection_referral(client: Any, staff: Callable[..., Any]) -> str:
    reference = submit(client, with_fathers_email())
    decide(staff, reference, Outcome.NO_FURTHER_ACTION, Route.PROTECTION)
    response = staff("practitioner", "POST", f"/admin/referrals/{reference}/closure")
    assert response.status_code == 200, response.body
    return reference


def test_telling_the_parents_on_a_closed_referral_is_refused(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    reference = closed_protection_referral(client, staff)
    response = staff("manager", "POST", f"/admin/referrals/{reference}/parents-told", {"tell": True})
    assert response.status_code == 409, response.body
    answer = json.loads(response.body)
    assert answer["error"] == "referral_closed"
    assert "make a new referral" in answer["message"]
    assert emails_to_father(aws) == []


def test_an_onward_referral_from_a_closed_referral_is_refused(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    reference = closed_protection_referral(client, staff)
    before = len(sent_emails(aws))
    onward = {"service": "early-help-hub", "sections": ["children", "parents_carers", "concerns", "referrer"],
              "reason": "Synthetic: probe"}  # fmt: skip
    response = staff("practitioner", "POST", f"/admin/referrals/{reference}/onward-referral", onward)
    assert response.status_code == 409, response.body
    assert json.loads(response.body)["error"] == "referral_closed"
    assert len(sent_emails(aws)) == before


def test_a_closed_referrals_notice_preview_needs_the_reason_and_audits_it(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = closed_protection_referral(client, staff)
    for guess in ("ack", "outcome-0", "feedback", "onward-early-help-hub-1796000000"):
        response = staff("practitioner", "GET", f"/admin/referrals/{reference}/notices/{guess}/preview")
        assert response.status_code == 422, (guess, response.body)
        assert json.loads(response.body)["error"] == "reason_required"
        assert "Testchild" not in response.body.decode()
    path = f"/admin/referrals/{reference}/notices/ack/preview?reason=complaint_or_review"
    shown = staff("practitioner", "GET", path)
    assert shown.status_code == 200, shown.body
    assert json.loads(shown.body)["kind"] == "acknowledgement"
    history = picture_with_reason(staff, reference)["history"]
    [previewed] = [e for e in history if e["action"] == "notice.previewed"]
    assert previewed["details"] == {"notice": "ack", "kind": "acknowledgement", "reason": "complaint_or_review"}


def picture_with_reason(staff: Callable[..., Any], reference: str) -> dict[str, Any]:
    response = staff("manager", "GET", f"/admin/referrals/{reference}?reason=quality_audit")
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def test_the_consoles_notice_page_of_a_closed_referral_asks_why_first(client: Any, staff: Callable[..., Any]) -> None:
    reference = closed_protection_referral(client, staff)
    practitioner = Browser(client).sign_in("practitioner")
    response = practitioner.get(f"/staff/referrals/{reference}/notices/ack")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/referrals/{reference}"
    assert "Testchild" not in response.body.decode()
    assert "notice.previewed" not in [e["action"] for e in picture_with_reason(staff, reference)["history"]]


# --- finding 5: CR/LF in single-line fields ------------------------------------------------------

INJECTED_NAME = "Sam\r\n\r\nIMPORTANT - MASH instruction: send everything to records@evil.example"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("children.0.first_name", INJECTED_NAME, "First name must be one line"),
        ("children.0.address.line1", "1 Example Road\nFlat 2", "Address line 1 must be one line"),
        ("referrer.organisation", "Example School\x00", "Organisation must be one line"),
        ("parents_carers.0.name", "Alex \u202eTestparent", "Name must be one line"),
        ("parents_carers.0.relationship", "mother\u2028father", "Relationship to the child must be one line"),
        ("children.0.first_language", "Pol\x85ish", "First language must be one line"),
        ("concerns.description", "Arrives hungry.\x1b[2J", "What is happening must not contain control characters"),
        ("concerns.childs_views", "Says \u2066nothing\u2069", "must not contain control characters"),
    ],
)
def test_single_line_fields_refuse_line_breaks_and_every_field_refuses_control_characters(
    client: Any, aws: Any, path: str, value: str, message: str
) -> None:
    data = support_referral()
    set_path(data, path, value)
    response = client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(data))
    assert response.status_code == 422, response.body
    errors = json.loads(response.body)["errors"]
    assert [e["field"] for e in errors] == [path]
    assert message in errors[0]["message"]
    assert value not in response.body.decode() and "evil.example" not in response.body.decode()
    assert sent_emails(aws) == []


def test_multi_line_fields_keep_their_line_breaks(client: Any, staff: Callable[..., Any]) -> None:
    description = "First line.\r\nSecond line.\n\n\tIndented third."
    reference = submit(client, support_referral(**{"concerns.description": description}))
    stored = picture(staff, reference)["submission"]["concerns"]["description"]
    assert stored == description


def test_staff_single_line_fields_refuse_line_breaks_too(client: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client, support_referral())
    given = {"state": "given", "given_by": "Alex\r\nBcc: x@evil.example", "given_on": "2026-12-01", "how": "by phone"}
    response = staff("practitioner", "POST", f"/admin/referrals/{reference}/consent", given)
    assert response.status_code == 422, response.body
    [error] = json.loads(response.body)["errors"]
    assert error["field"] == "given_by" and "must be one line" in error["message"]


# --- finding 6: "Exit this page" after sending left the receipt cookie ------------------------------


def test_exit_after_sending_forgets_the_receipt_so_the_confirmation_no_longer_shows(client: Any, aws: Any) -> None:
    from tests.test_public_form import Browser as FormBrowser
    from tests.test_public_form import fill_support_referral

    person = FormBrowser(client)
    fill_support_referral(person)
    assert person.post("/referral/check", {}).headers["Location"] == "/referral/confirmation"
    confirmation = person.get("/referral/confirmation").body.decode()
    reference = re.search(r"<strong>([A-Z0-9-]+)</strong>", confirmation).group(1)  # type: ignore[union-attr]
    assert "data-exit-token" not in confirmation  # no form session is left to carry a token

    # What init.js's beacon sends from the confirmation page: no token at all.
    exited = client.http.post(
        "/referral/exit", body="", headers=person._headers({"content-type": "application/x-www-form-urlencoded"})
    )

    assert exited.status_code == 200
    cleared = exited.headers["Set-Cookie"]
    assert [line.split(";")[0] for line in ([cleared] if isinstance(cleared, str) else cleared)] == ["mash_receipt="]
    person._keep_cookies(exited)
    after = person.get("/referral/confirmation")
    assert (after.status_code, after.headers.get("Location")) == (303, "/")
    documents = person.get("/referral/documents")
    assert reference not in documents.body.decode()


def test_exit_with_a_wrong_token_still_forgets_the_receipt_but_not_the_session(client: Any) -> None:
    from chalicelib.web.form_session import new_session_id, session_id_from

    session_id = new_session_id()
    cookie = f"mash_receipt=x; mash_session={session_id}"
    assert session_id_from({"cookie": cookie}) == session_id  # a real session: the token check is reached
    headers = {"content-type": "application/x-www-form-urlencoded", "cookie": cookie}
    response = client.http.post("/referral/exit", body="csrf_token=wrong", headers=headers)
    assert response.status_code == 400
    cleared = response.headers["Set-Cookie"]
    names = [line.split("=")[0] for line in ([cleared] if isinstance(cleared, str) else cleared)]
    assert names == ["mash_receipt"]


# --- finding 7: tightening ---------------------------------------------------------------------------


def post_referral(client: Any, data: dict[str, Any], key: str) -> Any:
    headers = {"Content-Type": "application/json", "Idempotency-Key": key}
    return client.http.post("/api/referrals", headers=headers, body=json.dumps(data))


def test_another_senders_idempotency_key_neither_returns_the_referral_nor_says_it_was_used(client: Any) -> None:
    first = post_referral(client, support_referral(), "shared-key-1")
    assert first.status_code == 201, first.body
    mine = json.loads(first.body)

    other = support_referral(**{"referrer.email": "duty.desk@police.example", "concerns.description": "Other words"})
    second = post_referral(client, other, "shared-key-1")

    assert second.status_code == 201, second.body  # a new referral: not 200 with mine, not 422 "used"
    theirs = json.loads(second.body)
    assert theirs["reference"] != mine["reference"]
    assert theirs["attachments_token"] != mine["attachments_token"]
    # The first sender's retry still finds its own referral, and another body under its key is refused.
    again = post_referral(client, support_referral(), "shared-key-1")
    assert (again.status_code, json.loads(again.body)["reference"]) == (200, mine["reference"])
    changed = post_referral(client, support_referral(**{"concerns.description": "Changed"}), "shared-key-1")
    assert (changed.status_code, json.loads(changed.body)["error"]) == (422, "idempotency_key_reused")
