"""Outcome notices to parents and feedback to the referrer (issue 4 item 4), end to end under moto."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.domain.decision import OUTCOME_LABELS, Outcome, needs_manager_approval
from chalicelib.domain.onward_referral import PASSING_ON_OUTCOMES
from chalicelib.domain.referral import Route
from tests.conftest import sent_emails, table_items
from tests.factories import example, protection_referral, set_path

# The staff token issuer must set its key path before `aws` reads the settings.
pytestmark = pytest.mark.usefixtures("issuer")

PARENT_EMAIL = "alex.testparent@family.example"
REFERRER_EMAIL = "priya.example@school.example"
# From the support example: the child, the family, and the referrer's words.
CHILD_DETAILS = ("Sam", "Testchild", "2017-03-14", "14 March 2017", "1 Example Road", "E17 1AA", "Example Primary")
CONCERN_TEXT = ("arrived hungry", "no food at home", "Breakfast club", "Alex Testparent", "Priya Example")
WITHHOLD = {
    "withhold": True,
    "reason": "Synthetic reason: telling them now could raise the risk",
    "review_on": "2027-01-15",
}
SECOND_PARENT = {
    "name": "Robin Testparent",
    "relationship": "father",
    "parental_responsibility": True,
    "phone": "07700 900002",
    "email": None,
    "address_same_as_child": True,
}


def submit(client: Any, data: dict[str, Any] | None = None) -> str:
    data = data or example("referral-support.json")
    response = client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(data))
    assert response.status_code == 201, response.body
    return json.loads(response.body)["reference"]


def screen(staff: Callable[..., Any], reference: str) -> None:
    payload = {"rag": "amber", "level": 3, "rationale": "Synthetic screening rationale"}
    response = staff("practitioner", "POST", f"/admin/referrals/{reference}/screening", payload)
    assert response.status_code == 200, response.body


def decide(staff: Callable[..., Any], reference: str, outcome: Outcome, route: Route = Route.SUPPORT) -> None:
    """Screen, decide, and approve when the outcome needs a manager: afterwards the decision stands."""
    screen(staff, reference)
    payload = {"outcome": outcome.value, "reasons": "Synthetic decision reasons"}
    response = staff("practitioner", "POST", f"/admin/referrals/{reference}/decision", payload)
    assert response.status_code == 200, response.body
    if needs_manager_approval(outcome, route):
        response = staff("manager", "POST", f"/admin/referrals/{reference}/decision/approval", {"approve": True})
        assert response.status_code == 200, response.body
    if outcome in PASSING_ON_OUTCOMES:
        # The parents' notice waits for the onward referral, so it can say what went where.
        refer_on(staff, reference, ONWARD_SERVICE[outcome])


ONWARD_SERVICE = {
    Outcome.EARLY_HELP: "early-help-hub",
    Outcome.UNIVERSAL_SERVICES: "health-visiting",
    Outcome.TRANSFER: "another-authority-mash",
}


def refer_on(staff: Callable[..., Any], reference: str, service: str) -> None:
    payload = {"service": service, "sections": ["children", "concerns"], "reason": "So they can offer support"}
    response = staff("practitioner", "POST", f"/admin/referrals/{reference}/onward-referral", payload)
    assert response.status_code == 200, response.body


def emails_to(aws: Any, address: str, subject_part: str) -> list[Any]:
    return [m for m in sent_emails(aws) if m["To"] == address and subject_part in str(m["Subject"])]


def bodies(email: Any) -> str:
    text = email.get_body(preferencelist=("plain",)).get_content()
    html = email.get_body(preferencelist=("html",)).get_content()
    return f"{email['Subject']}\n{text}\n{html}"


def picture(staff: Callable[..., Any], reference: str) -> dict[str, Any]:
    return json.loads(staff("practitioner", "GET", f"/admin/referrals/{reference}").body)


def kinds(case: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((n["kind"], n["recipient"]) for n in case["notices"])


# --- content per outcome -----------------------------------------------------------------------


# What a parent must read for each outcome, written from the guidance and Working Together, not
# copied from the wording tables in chalicelib/mail/outcome.py (an independent oracle).
PARENT_MUST_READ: dict[Outcome, tuple[str, ...]] = {
    Outcome.NO_FURTHER_ACTION: ("does not need to do anything more", "contact us at any time"),
    Outcome.UNIVERSAL_SERVICES: ("services every family can use", "GP"),
    Outcome.EARLY_HELP: ("early help worker will contact you", "voluntary"),
    Outcome.CHILD_AND_FAMILY_ASSESSMENT: ("child and family assessment", "section 17", "hear your views"),
    Outcome.STRATEGY_DISCUSSION: ("significant harm", "police", "section 47", "hear your views"),
    Outcome.MAP_MASE: ("exploited outside the home", "hear your views"),
    Outcome.ALLOCATED_WORKER: ("already has a social worker", "contact you"),
    Outcome.TRANSFER: ("another council", "will contact you"),
}
# What a professional referrer must read: the category of the outcome in the MASH's words.
PROFESSIONAL_MUST_READ: dict[Outcome, str] = {
    Outcome.NO_FURTHER_ACTION: "No further action",
    Outcome.UNIVERSAL_SERVICES: "universal services",
    Outcome.EARLY_HELP: "early help",
    Outcome.CHILD_AND_FAMILY_ASSESSMENT: "section 17",
    Outcome.STRATEGY_DISCUSSION: "section 47",
    Outcome.MAP_MASE: "MAP or MASE",
    Outcome.ALLOCATED_WORKER: "allocated worker",
    Outcome.TRANSFER: "authority where the family lives",
}


def test_the_independent_oracle_covers_every_outcome() -> None:
    assert set(PARENT_MUST_READ) == set(PROFESSIONAL_MUST_READ) == set(Outcome)


@pytest.mark.parametrize("outcome", list(Outcome))
def test_each_outcome_tells_the_parent_in_plain_english_and_the_professional_referrer_the_category(
    client: Any, aws: Any, staff: Callable[..., Any], outcome: Outcome
) -> None:
    reference = submit(client)
    decide(staff, reference, outcome)
    [parent] = emails_to(aws, PARENT_EMAIL, "what the MASH has decided")
    said = bodies(parent).replace("&#8217;", "’")
    for phrase in PARENT_MUST_READ[outcome]:
        assert phrase in said, phrase
    # Every outcome but no further action hands the referral to someone: the family is told what went.
    if outcome is not Outcome.NO_FURTHER_ACTION:
        assert "What information we have passed on, and why" in said
    else:
        assert "passed on" not in said
    assert "020 7946 0990" in said and reference in said
    for detail in (*CHILD_DETAILS, *CONCERN_TEXT):
        assert detail not in said, detail
    [feedback] = emails_to(aws, REFERRER_EMAIL, f"decision on referral {reference}")
    told = bodies(feedback)
    assert OUTCOME_LABELS[outcome] in told.replace("&#8217;", "’")
    assert PROFESSIONAL_MUST_READ[outcome] in told.replace("&#8217;", "’")
    for detail in (*CHILD_DETAILS, *CONCERN_TEXT):
        assert detail not in told, detail
    case = picture(staff, reference)
    sent = [n for n in case["notices"] if n["kind"] in ("outcome", "referrer_feedback")]
    assert sorted((n["kind"], n["recipient"], n["status"]) for n in sent) == [
        ("outcome", "parent:0", "sent"),
        ("referrer_feedback", "referrer", "sent"),
    ]


@pytest.mark.parametrize("outcome", [Outcome.NO_FURTHER_ACTION, Outcome.STRATEGY_DISCUSSION, Outcome.TRANSFER])
def test_a_member_of_the_public_hears_only_that_the_mash_acted(
    client: Any, aws: Any, staff: Callable[..., Any], outcome: Outcome
) -> None:
    data = example("referral-support.json")
    set_path(data, "referrer.kind", "public")
    for field in ("role", "organisation", "agency"):
        set_path(data, f"referrer.{field}", None)
    reference = submit(client, data)
    decide(staff, reference, outcome)
    [feedback] = emails_to(aws, REFERRER_EMAIL, f"looked at your referral {reference}")
    said = bodies(feedback)
    assert "taken the action it thinks is right" in said.replace("&#8217;", "’")
    for detail in (*CHILD_DETAILS, *CONCERN_TEXT, "2017", OUTCOME_LABELS[outcome], "Children Act", "section"):
        assert detail not in said, detail


# --- no email, translation ---------------------------------------------------------------------


def test_a_parent_with_no_email_becomes_a_task_and_a_parent_who_reads_polish_is_held_for_translation(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    data = example("referral-support.json")
    set_path(data, "parents_carers.0.first_language", "Polish")
    data["parents_carers"].append(SECOND_PARENT)
    reference = submit(client, data)
    decide(staff, reference, Outcome.EARLY_HELP)
    case = picture(staff, reference)
    [notice] = [n for n in case["notices"] if n["kind"] == "outcome"]
    assert (notice["recipient"], notice["translation_needed"], notice["status"]) == ("parent:0", "Polish", "pending")
    assert notice["held_for_translation"] is True
    tasks = {(t["kind"], t["about"]) for t in case["tasks"]}
    assert ("translate_notice", notice["notice_id"]) in tasks
    assert ("tell_outcome_another_way", "parent:1") in tasks
    # Issue 11: not sent in English meanwhile (tests/test_translations.py releases it).
    assert emails_to(aws, PARENT_EMAIL, "what the MASH has decided") == []


# --- withholding -------------------------------------------------------------------------------


def test_a_manager_withholding_the_outcome_notice_keeps_it_from_the_parents_and_is_audited_without_the_reason(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client)
    response = staff("manager", "POST", f"/admin/referrals/{reference}/outcome-notice", WITHHOLD)
    assert response.status_code == 200, response.body
    decide(staff, reference, Outcome.NO_FURTHER_ACTION)
    assert emails_to(aws, PARENT_EMAIL, "what the MASH has decided") == []
    assert len(emails_to(aws, REFERRER_EMAIL, "decision on referral")) == 1
    case = picture(staff, reference)
    assert kinds(case) == [("acknowledgement", "referrer"), ("referrer_feedback", "referrer")]
    assert case["outcome_notice"]["held_because"] == "withheld_by_manager"
    assert case["outcome_notice"]["decision"]["reason"] == WITHHOLD["reason"]
    assert any(t["kind"] == "outcome_notice_held" for t in case["tasks"])
    [event] = [e for e in case["history"] if e["action"] == "outcome_notice.decided"]
    assert event["details"]["choice"] == "withhold" and event["role"] == "mash-manager"
    assert WITHHOLD["reason"] not in json.dumps(case["history"])
    # The reason is encrypted at rest.
    assert "telling them now" not in json.dumps(table_items(aws), default=str)


@pytest.mark.parametrize(
    ("who", "payload", "status"),
    [
        ("practitioner", WITHHOLD, 403),
        ("manager", {"withhold": True, "reason": "Synthetic reason"}, 422),
        ("manager", {"withhold": True, "reason": ""}, 422),
    ],
)
def test_withholding_needs_a_manager_a_reason_and_a_review_date(
    client: Any, staff: Callable[..., Any], who: str, payload: dict[str, Any], status: int
) -> None:
    reference = submit(client)
    response = staff(who, "POST", f"/admin/referrals/{reference}/outcome-notice", payload)
    assert response.status_code == status, response.body
    assert picture(staff, reference)["outcome_notice"]["decision"] is None


def test_once_the_outcome_notice_has_gone_it_cannot_be_withheld(client: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client)
    decide(staff, reference, Outcome.EARLY_HELP)
    response = staff("manager", "POST", f"/admin/referrals/{reference}/outcome-notice", WITHHOLD)
    assert response.status_code == 422 and "cannot be called back" in response.body.decode()


def test_withholding_while_the_notice_is_pending_withdraws_it() -> None:
    import datetime as dt

    from chalicelib.domain.outcome_notices import (
        OutcomeNoticeChoice,
        OutcomeNoticeDecision,
        decide_outcome_notice,
        owe_outcome_notices,
    )
    from chalicelib.domain.referral import ReferralSubmission
    from chalicelib.domain.referral_record import Channel, Referral

    now = dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC)
    submission = ReferralSubmission.model_validate(example("referral-support.json"))
    referral = Referral.receive(
        "K7Q-F3M-RW9", submission, channel=Channel.API, now=now, request_fingerprint="x", idempotency_key_hash=None
    )
    referral = referral.screen(_screening(now)).record_decision(Outcome.NO_FURTHER_ACTION, "r", "p", now)
    owed = owe_outcome_notices(referral, now)
    assert [n.notice_id for n in owed.notices] == ["ack", "feedback", "outcome-0"]
    withheld = decide_outcome_notice(
        owed,
        OutcomeNoticeDecision(OutcomeNoticeChoice.WITHHOLD, "m", now, "Synthetic", dt.date(2027, 1, 1)),
        by_manager=True,
    )
    assert [n.notice_id for n in withheld.notices] == ["ack", "feedback"]


def _screening(now: Any) -> Any:
    from chalicelib.domain.decision import Rag, Screening

    return Screening(Rag.GREEN, 2, "Synthetic", "p", now, now)


# --- protection route --------------------------------------------------------------------------


def test_on_the_protection_route_parents_not_told_holds_the_outcome_notice_until_a_manager_releases_it(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    data = protection_referral()
    set_path(data, "parents_carers.0.email", "morgan.testparent@family.example")
    set_path(data, "parents_carers.0.first_language", "English")  # the language hold is tested on its own
    reference = submit(client, data)
    withheld = {"tell": False, "reason": "Synthetic: telling them could raise the risk", "review_on": "2027-01-15"}
    assert staff("manager", "POST", f"/admin/referrals/{reference}/parents-told", withheld).status_code == 200
    decide(staff, reference, Outcome.STRATEGY_DISCUSSION, Route.PROTECTION)
    assert emails_to(aws, "morgan.testparent@family.example", "what the MASH has decided") == []
    case = picture(staff, reference)
    assert case["outcome_notice"]["held_because"] == "parents_not_told"
    assert not [n for n in case["notices"] if n["kind"] == "outcome"]
    [approved] = [e for e in case["history"] if e["action"] == "decision.approved"]
    assert approved["details"]["outcome_notice"] == "parents_not_told"
    release = {"withhold": False, "reason": "Synthetic: the strategy discussion agreed the parents are told"}
    response = staff("manager", "POST", f"/admin/referrals/{reference}/outcome-notice", release)
    assert response.status_code == 200, response.body
    assert len(emails_to(aws, "morgan.testparent@family.example", "what the MASH has decided")) == 1
    case = picture(staff, reference)
    assert case["outcome_notice"]["held_because"] is None
    assert all(t["done_at"] is not None for t in case["tasks"] if t["kind"] == "outcome_notice_held")


# --- preview -----------------------------------------------------------------------------------


def test_a_preview_renders_the_notice_without_sending_it_and_is_audited(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client)
    decide(staff, reference, Outcome.EARLY_HELP)
    before = len(sent_emails(aws))
    response = staff("practitioner", "GET", f"/admin/referrals/{reference}/notices/outcome-0/preview")
    assert response.status_code == 200, response.body
    assert response.headers["Cache-Control"] == "no-store"
    preview = json.loads(response.body)
    assert (preview["recipient"], preview["kind"]) == ("parent:0", "outcome")
    assert "What we have decided" in preview["text"] and "<h2" in preview["html"]
    assert "what the MASH has decided" in preview["subject"]
    assert PARENT_EMAIL not in response.body.decode()
    assert len(sent_emails(aws)) == before
    [event] = [e for e in picture(staff, reference)["history"] if e["action"] == "notice.previewed"]
    assert event["details"] == {"notice": "outcome-0", "kind": "outcome"}


@pytest.mark.parametrize("notice_id", ["no-such-notice", "BAD%20ID"])
def test_previewing_an_unknown_notice_is_404(client: Any, staff: Callable[..., Any], notice_id: str) -> None:
    reference = submit(client)
    response = staff("manager", "GET", f"/admin/referrals/{reference}/notices/{notice_id}/preview")
    assert response.status_code == 404, response.body


# --- end to end --------------------------------------------------------------------------------


def test_screen_decide_approve_then_the_parent_and_the_referrer_get_their_emails(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client)
    screen(staff, reference)
    payload = {"outcome": "child_and_family_assessment_s17", "reasons": "Synthetic decision reasons"}
    assert staff("practitioner", "POST", f"/admin/referrals/{reference}/decision", payload).status_code == 200
    # Proposed, not standing: nobody is told yet.
    assert emails_to(aws, PARENT_EMAIL, "what the MASH has decided") == []
    assert emails_to(aws, REFERRER_EMAIL, "decision on referral") == []
    response = staff("manager", "POST", f"/admin/referrals/{reference}/decision/approval", {"approve": True})
    assert response.status_code == 200, response.body
    assert len(emails_to(aws, PARENT_EMAIL, "what the MASH has decided")) == 1
    [feedback] = emails_to(aws, REFERRER_EMAIL, "decision on referral")
    assert "section 17" in bodies(feedback)
    case = picture(staff, reference)
    [approved] = [e for e in case["history"] if e["action"] == "decision.approved"]
    assert approved["details"]["outcome_notice"] == "owed" and approved["details"]["outcome_notices"] == "1"


def test_a_family_passed_on_hears_the_outcome_only_with_what_was_passed_where_and_why(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client)
    screen(staff, reference)
    staff("practitioner", "POST", f"/admin/referrals/{reference}/decision", {"outcome": "early_help", "reasons": "r"})
    parent = example("referral-support.json")["parents_carers"][0]["email"]
    held = picture(staff, reference)
    assert [n["kind"] for n in held["notices"] if n["kind"] == "outcome"] == []
    assert [t["kind"] for t in held["tasks"] if t["done_at"] is None] == ["outcome_notice_held"]
    assert emails_to(aws, parent, "") == []

    refer_on(staff, reference, "early-help-hub")
    [email] = [m for m in sent_emails(aws) if m["To"] == parent]
    text = bodies(email)
    assert "the Early Help Hub" in text and "So they can offer support" in text
    after = picture(staff, reference)
    assert [t["kind"] for t in after["tasks"] if t["done_at"] is None] == []


def test_deciding_to_tell_the_parents_after_the_decision_frees_the_held_outcome_notice(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client, example("referral-protection.json"))
    decide(staff, reference, Outcome.STRATEGY_DISCUSSION, Route.PROTECTION)
    assert picture(staff, reference)["outcome_notice"]["held_because"] == "parents_told_undecided"
    told = staff("practitioner", "POST", f"/admin/referrals/{reference}/parents-told", {"tell": True})
    assert told.status_code == 200, told.body
    case = picture(staff, reference)
    assert ("outcome", "parent:0") not in kinds(case)  # the father has no email: a task instead
    assert "tell_outcome_another_way" in [t["kind"] for t in case["tasks"]]
    assert [t["kind"] for t in case["tasks"] if t["kind"] == "outcome_notice_held" and t["done_at"] is None] == []
