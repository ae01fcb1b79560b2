"""Agency enquiries (issue 5 items 2, 3 and 5): opened behind the consent gate, fanned out one
message per agency, emailed with only what an agency needs, chased once, escalated once."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.adapters.agency_topic import InMemoryAgencyTopic
from chalicelib.domain.reply_tokens import token_from_recipients, verify
from chalicelib.services.agency_requests import send_request_from_message
from chalicelib.services.deliver_notices import dispatch_due
from tests.conftest import sent_emails, table_items
from tests.factories import example

pytestmark = pytest.mark.usefixtures("issuer")

QUESTION = "Please tell us of any contact with the family in the last 12 months, and any concerns you hold"


def body(response: Any) -> Any:
    return json.loads(response.body)


@pytest.fixture
def topic(aws: Any) -> InMemoryAgencyTopic:
    memory = InMemoryAgencyTopic()
    aws.use(agency_topic=memory)
    return memory


def submitted(client: Any, name: str = "referral-support.json") -> str:
    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(example(name))
    )
    return body(response)["reference"]


def screened(client: Any, staff: Callable[..., Any], name: str = "referral-support.json", rag: str = "amber") -> str:
    reference = submitted(client, name)
    screen = {"rag": rag, "level": 3, "rationale": "Needs a multi-agency picture"}
    assert staff("practitioner", "POST", f"/admin/referrals/{reference}/screening", screen).status_code == 200
    return reference


def ask(staff: Callable[..., Any], reference: str, agencies: list[str], question: str = QUESTION) -> Any:
    return staff(
        "practitioner", "POST", f"/admin/referrals/{reference}/enquiries", {"agencies": agencies, "question": question}
    )


def deliver(topic: InMemoryAgencyTopic) -> None:
    """What SNS -> SQS -> the agency's handler does with each published message."""
    for message in list(topic.published):
        send_request_from_message(message.body())


def agency_emails(aws: Any, kind: str = "Information request") -> list[Any]:
    return [m for m in sent_emails(aws) if str(m["Subject"]).strip().startswith(kind)]


def sweep(aws: Any) -> Any:
    return dispatch_due(aws.referrals, aws.mailer, aws.settings, aws.clock(), topic=aws.agency_topic)


def test_enquiries_open_publish_one_message_per_agency_and_email_each(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic
) -> None:
    reference = screened(client, staff)
    response = ask(staff, reference, ["police", "health"])
    assert response.status_code == 201, response.body
    opened = body(response)["enquiries"]
    assert [(e["enquiry_id"], e["agency"], e["state"]) for e in opened] == [
        ("e1", "police", "requested"),
        ("e2", "health", "requested"),
    ]
    # One PublishBatch call for both, each message naming its agency and nothing personal.
    assert topic.calls == 1
    assert [(m.agency.value, json.loads(m.body())) for m in topic.published] == [
        ("police", {"reference": reference, "enquiry_id": "e1"}),
        ("health", {"reference": reference, "enquiry_id": "e2"}),
    ]
    deliver(topic)
    emails = agency_emails(aws)
    assert sorted(str(m["To"]) for m in emails) == ["mash-checks@health.example", "mash-checks@police.example"]

    picture = body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))
    assert [(e["agency"], e["question"]) for e in picture["enquiries"]] == [("police", QUESTION), ("health", QUESTION)]
    requests = [n for n in picture["notices"] if n["kind"] == "agency_request"]
    assert sorted((n["notice_id"], n["recipient"], n["status"]) for n in requests) == [
        ("request:e1", "agency:police", "sent"),
        ("request:e2", "agency:health", "sent"),
    ]
    history = [e for e in picture["history"] if e["action"] == "enquiries.opened"]
    assert history[0]["details"] == {"enquiries": "e1:police,e2:health"}
    # Each enquiry carries its lawful basis, in code (in clear on the item) and in words.
    assert [(b["kind"], b["shared"], b["basis"]) for b in picture["sharing_bases"]] == [
        ("enquiry", "e1", "consent_given"),
        ("enquiry", "e2", "consent_given"),
    ]
    assert picture["sharing_bases"][0]["words"].startswith("Consent: a parent agreed")
    assert picture["lawful_basis_now"]["basis"] == "consent_given"
    [item] = [i for i in table_items(aws) if i["sk"]["S"] == "REFERRAL"]  # raw: in clear
    assert [b["M"]["basis"]["S"] for b in item["sharing_bases"]["L"]] == ["consent_given", "consent_given"]


def test_the_request_email_holds_what_an_agency_searches_by_and_never_the_concern_or_the_referrer(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic
) -> None:
    data = example("referral-support.json")
    reference = screened(client, staff)
    ask(staff, reference, ["police"])
    deliver(topic)
    [email] = agency_emails(aws)
    text = email.get_body(preferencelist=("plain",)).get_content()
    html = email.get_body(preferencelist=("html",)).get_content()
    for part in (text, html):
        assert reference in part
        assert "Sam Testchild" in part and "14 March 2017" in part
        assert "1 Example Road" in part and "E17 1AA" in part
        assert "Alex Testparent" in part
        assert QUESTION in part
        # Not the concern, not the child's words, not who referred.
        for secret in (
            data["concerns"]["description"][:40],
            data["concerns"]["childs_views"][:40],
            data["referrer"]["name"],
            data["referrer"]["email"],
            data["referrer"]["phone"],
        ):
            assert secret not in part
    # The reply address carries a token the hub signed for this very enquiry.
    token = token_from_recipients((str(email["Reply-To"]),), aws.settings.mail_domain)
    claimed = verify(token, aws.reply_token_key, aws.clock().date(), aws.settings.enquiry_reply_days)
    assert (claimed.reference, claimed.enquiry_id) == (reference, "e1")
    assert str(email["Message-ID"]).startswith("<request.") and str(email["Message-ID"]).endswith("@mash.example>")


def test_a_repeated_queue_message_sends_the_request_once(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic
) -> None:
    reference = screened(client, staff)
    ask(staff, reference, ["education"])
    deliver(topic)
    deliver(topic)  # SQS delivers at least once
    assert len(agency_emails(aws)) == 1


def test_garbage_on_an_agency_queue_is_dropped_without_an_email(aws: Any) -> None:
    send_request_from_message("not json")
    send_request_from_message(json.dumps({"reference": "K7Q-F3M-RW9"}))
    assert sent_emails(aws) == []


def test_sharing_refused_until_consent_with_a_message_that_says_what_to_do(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic
) -> None:
    reference = screened(client, staff, "referral-support-no-consent.json")
    response = ask(staff, reference, ["police"])
    assert response.status_code == 409
    assert "Agencies cannot be asked to share information" in body(response)["message"]
    assert topic.published == []
    picture = body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))
    assert picture["enquiries"] == []
    assert (picture["sharing_bases"], picture["lawful_basis_now"]) == ([], None)


def test_a_protection_referral_needs_no_consent(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic
) -> None:
    reference = screened(client, staff, "referral-protection.json", rag="red")
    assert ask(staff, reference, ["police"]).status_code == 201
    assert [m.agency.value for m in topic.published] == ["police"]
    picture = body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))
    assert [b["basis"] for b in picture["sharing_bases"]] == ["protection_route"]
    assert "section 47" in picture["sharing_bases"][0]["words"]


def test_refusals_say_what_to_fix(client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic) -> None:
    unscreened = submitted(client)
    response = ask(staff, unscreened, ["police"])
    assert (response.status_code, body(response)["message"]) == (
        409,
        "Screen the referral first: an enquiry's due time comes from its RAG rating",
    )
    reference = screened(client, staff)
    twice = ask(staff, reference, ["police", "police"])
    assert twice.status_code == 422 and "Name each agency once" in twice.body.decode()
    unknown = ask(staff, reference, ["fire_service"])
    assert unknown.status_code == 422 and "agencies" in unknown.body.decode()
    short = ask(staff, reference, ["police"], question="Hi")
    assert short.status_code == 422 and "question" in short.body.decode()
    assert ask(staff, reference, ["police"]).status_code == 201
    again = ask(staff, reference, ["police", "health"])
    assert again.status_code == 409
    assert body(again)["message"].startswith("Already waiting for an answer from: police")
    manager_only = staff("auditor", "POST", f"/admin/referrals/{reference}/enquiries", {"agencies": ["health"]})
    assert manager_only.status_code == 403


def test_an_agency_missing_from_the_directory_is_refused(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = screened(client, staff)
    directory = [
        {
            "id": "police",
            "mailbox": "checks@police.example",
            "reply_domains": ["police.example"],
            "escalation_contact": "lead@police.example",
        }
    ]
    aws.settings = aws.settings.model_copy(update={"agencies": json.dumps(directory)})
    response = ask(staff, reference, ["housing"])
    assert (response.status_code, body(response)["message"]) == (
        422,
        "Not in this hub's agency directory: housing. Ask an administrator to add them",
    )


def test_a_failed_publish_is_kept_queued_and_the_sweep_publishes_it_after_the_grace(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic
) -> None:
    reference = screened(client, staff)
    topic.fail_next = 1
    response = ask(staff, reference, ["police", "probation"])
    assert response.status_code == 201
    assert [e["state"] for e in body(response)["enquiries"]] == ["queued", "queued"]
    assert topic.published == []

    start = aws.clock()
    aws.clock = lambda: start + dt.timedelta(minutes=3)
    report = sweep(aws)
    assert report.published == 2
    assert [m.agency.value for m in topic.published] == ["police", "probation"]
    assert sweep(aws).published == 0  # published once, not every minute
    deliver(topic)
    assert len(agency_emails(aws)) == 2


def test_an_overdue_enquiry_is_chased_once_then_escalated_once_with_a_manager_task(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic
) -> None:
    reference = screened(client, staff, "referral-protection.json", rag="red")
    opened = body(ask(staff, reference, ["police"]))["enquiries"][0]
    deliver(topic)
    due = dt.datetime.fromisoformat(opened["due_at"])
    escalate = dt.datetime.fromisoformat(opened["escalate_at"])
    assert due < escalate

    aws.clock = lambda: due - dt.timedelta(minutes=1)
    sweep(aws)
    assert agency_emails(aws, "Reminder") == []

    aws.clock = lambda: due + dt.timedelta(minutes=1)
    sweep(aws)
    sweep(aws)  # a second run finds nothing left to do
    [chaser] = agency_emails(aws, "Reminder")
    assert str(chaser["To"]) == "mash-checks@police.example"
    [request] = agency_emails(aws)
    assert chaser["In-Reply-To"] == request["Message-ID"]
    assert chaser["Reply-To"] == request["Reply-To"]
    text = chaser.get_body(preferencelist=("plain",)).get_content()
    assert reference in text and "Sam" not in text and "Testchild" not in text  # no family details in a chaser

    aws.clock = lambda: escalate + dt.timedelta(minutes=1)
    sweep(aws)
    sweep(aws)
    [escalation] = agency_emails(aws, "Escalation")
    assert str(escalation["To"]) == "mash-lead@police.example"
    assert len(agency_emails(aws, "Reminder")) == 1
    picture = body(staff("manager", "GET", f"/admin/referrals/{reference}"))
    [enquiry] = picture["enquiries"]
    assert enquiry["state"] == "escalated" and enquiry["chased_at"] and enquiry["escalated_at"]
    tasks = [t for t in picture["tasks"] if t["kind"] == "enquiry_escalated"]
    assert [(t["id"], t["about"]) for t in tasks] == [("enquiry_escalated:e1", "e1")]


def test_no_question_or_family_detail_is_stored_published_or_logged_in_clear(
    client: Any,
    aws: Any,
    staff: Callable[..., Any],
    topic: InMemoryAgencyTopic,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tests.conftest import table_items
    from tests.factories import canary_referral

    referral, canaries = canary_referral("protection")
    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(referral)
    )
    reference = body(response)["reference"]
    screen = {"rag": "red", "level": 4, "rationale": "Injury seen"}
    assert staff("practitioner", "POST", f"/admin/referrals/{reference}/screening", screen).status_code == 200
    question = "Canary question QZX-CANARY-ENQUIRY: any contact with this family?"
    assert (
        ask(staff, reference, [a.id.value for a in aws.settings.agency_directory.agencies], question).status_code == 201
    )
    deliver(topic)

    secrets = [*canaries, "QZX-CANARY-ENQUIRY"]
    dump = json.dumps(table_items(aws), default=repr).lower()
    assert '"enquiries"' in dump  # the scan saw the enquiries
    assert [s for s in secrets if s.lower() in dump] == []
    published = " ".join(m.body() for m in topic.published).lower()
    assert [s for s in secrets if s.lower() in published] == []
    logs = (capsys.readouterr().out + "\n".join(json.dumps(vars(r), default=str) for r in caplog.records)).lower()
    assert reference.lower() in logs
    assert [s for s in secrets if s.lower() in logs] == []
    # The emails carry the question and the names to search by, and nothing about the concern.
    emails = agency_emails(aws)
    assert len(emails) == 8
    text = emails[0].get_body(preferencelist=("plain",)).get_content().lower()
    assert "qzx-canary-enquiry" in text
    concern = [c for c in canaries if c.lower() in json.dumps(referral["concerns"]).lower()]
    referrer = [c for c in canaries if c.lower() in json.dumps(referral["referrer"]).lower()]
    assert concern and referrer
    assert [c for c in concern + referrer if c.lower() in text] == []


def test_once_a_decision_is_recorded_no_agency_is_chased(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic
) -> None:
    reference = screened(client, staff)
    opened = body(ask(staff, reference, ["housing"]))["enquiries"][0]
    deliver(topic)
    decision = {"outcome": "early_help", "reasons": "Support from early help fits the level of need"}
    assert staff("practitioner", "POST", f"/admin/referrals/{reference}/decision", decision).status_code == 200
    aws.clock = lambda: dt.datetime.fromisoformat(opened["escalate_at"]) + dt.timedelta(hours=1)
    sweep(aws)
    assert agency_emails(aws, "Reminder") == [] and agency_emails(aws, "Escalation") == []
    assert aws.referrals.fetch(reference).next_notice_due() is None  # off the outbox index


def test_an_enquiry_that_cannot_be_published_is_retried_and_after_five_tries_staff_are_told(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic
) -> None:
    reference = screened(client, staff)
    topic.fail_next = 100
    ask(staff, reference, ["youth_offending"])
    now = aws.clock()
    for minutes in range(3, 200, 3):
        aws.clock = lambda minutes=minutes: now + dt.timedelta(minutes=minutes)
        sweep(aws)
    stored = aws.referrals.fetch(reference)
    [enquiry] = stored.enquiries
    assert enquiry.published_at is None and enquiry.publish_attempts > 5  # still tried
    assert [(t.kind.value, t.about) for t in stored.tasks if t.kind.value == "enquiry_not_sent"] == [
        ("enquiry_not_sent", "e1")
    ]
    topic.fail_next = 0
    aws.clock = lambda: now + dt.timedelta(hours=5)
    sweep(aws)
    assert aws.referrals.fetch(reference).enquiries[0].published_at is not None


def test_the_request_message_id_is_recorded_on_the_enquiry(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic
) -> None:
    reference = screened(client, staff)
    ask(staff, reference, ["probation"])
    assert aws.referrals.fetch(reference).enquiries[0].request_message_id is None  # not sent yet
    deliver(topic)
    [email] = agency_emails(aws)
    assert aws.referrals.fetch(reference).enquiries[0].request_message_id == email["Message-ID"]
