"""Consent refused after sharing started, and one enquiry withdrawn on its own (issue 11 item 3),
through the staff API under moto, with the clock injected: the withdrawal emails (real MIME), no
chaser or escalation afterwards, a late reply in triage as consent_withdrawn, the state shown."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.adapters.agency_topic import InMemoryAgencyTopic
from chalicelib.domain.agency_replies import TriageReason, TriageStatus
from chalicelib.services.agency_requests import send_request_from_message
from chalicelib.services.deliver_notices import dispatch_due
from tests.conftest import sent_emails
from tests.factories import example
from tests.test_inbound_replies import address_for, deliver, mime

pytestmark = pytest.mark.usefixtures("issuer")

# A Thursday in MASH hours.
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
QUESTION = "Please tell us of any contact with the family in the last 12 months"
REASON = "Asked the wrong agency: the family never lived in this area"


def body(response: Any) -> Any:
    return json.loads(response.body)


@pytest.fixture
def topic(aws: Any) -> InMemoryAgencyTopic:
    memory = InMemoryAgencyTopic()
    aws.use(agency_topic=memory)
    aws.clock = lambda: NOW
    return memory


def asked(client: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic, agencies: list[str]) -> str:
    """A support referral with consent given, screened, and enquiries emailed to these agencies."""
    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(example())
    )
    reference = body(response)["reference"]
    screen = {"rag": "amber", "level": 3, "rationale": "Needs a multi-agency picture"}
    assert staff("practitioner", "POST", f"/admin/referrals/{reference}/screening", screen).status_code == 200
    opened = staff(
        "practitioner", "POST", f"/admin/referrals/{reference}/enquiries", {"agencies": agencies, "question": QUESTION}
    )
    assert opened.status_code == 201, opened.body
    for message in list(topic.published):  # SNS -> SQS -> each agency's handler
        send_request_from_message(message.body())
    return reference


def emails(aws: Any, subject_start: str) -> list[Any]:
    """What SES was given (its raw MIME, parsed as a mail client would), by subject."""
    return [m for m in sent_emails(aws) if str(m["Subject"]).strip().startswith(subject_start)]


def sweep(aws: Any) -> Any:
    return dispatch_due(aws.referrals, aws.mailer, aws.settings, aws.clock(), topic=aws.agency_topic)


def picture(staff: Callable[..., Any], reference: str) -> dict[str, Any]:
    return body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))


def test_consent_refused_withdraws_every_open_enquiry_and_stops_every_follow_up(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic
) -> None:
    data = example()
    reference = asked(client, staff, topic, ["police", "health"])
    assert len(emails(aws, "Information request")) == 2

    refused = staff(
        "practitioner",
        "POST",
        f"/admin/referrals/{reference}/consent",
        {"state": "refused", "reason": "Mother phoned: she does not agree"},
    )
    assert refused.status_code == 200, refused.body
    assert body(refused)["sharing_allowed"] is False

    # One withdrawal to each agency asked, sent at once, threaded on its own request.
    withdrawals = emails(aws, "Withdrawn")
    assert sorted(str(m["To"]) for m in withdrawals) == ["mash-checks@health.example", "mash-checks@police.example"]
    requests = {str(m["To"]): m for m in emails(aws, "Information request")}
    for withdrawal in withdrawals:
        assert withdrawal["In-Reply-To"] == requests[str(withdrawal["To"])]["Message-ID"]
        assert withdrawal.get_content_type() == "multipart/alternative"
        for part in (
            withdrawal.get_body(preferencelist=("plain",)).get_content(),
            withdrawal.get_body(preferencelist=("html",)).get_content(),
        ):
            assert reference in part
            assert "please do not send" in part.lower() and "disregard our request" in part
            # The agency's own enquiry, never the family's details (nor the question, which may name them).
            for secret in ("Testchild", "Testparent", "Example Road", "E17 1AA", QUESTION, data["referrer"]["name"]):
                assert secret not in part
        assert f"({'e1' if 'police' in str(withdrawal['To']) else 'e2'})" in str(withdrawal["Subject"])

    # Days later: nothing chased, nothing escalated, nothing sent again.
    sent_before = len(sent_emails(aws))
    for days in (1, 2, 5, 10):
        aws.clock = lambda days=days: NOW + dt.timedelta(days=days)
        sweep(aws)
    assert emails(aws, "Reminder") == [] and emails(aws, "Escalation") == []
    assert len(sent_emails(aws)) == sent_before

    shown = picture(staff, reference)
    assert [(e["enquiry_id"], e["state"], e["withdrawn_because"]) for e in shown["enquiries"]] == [
        ("e1", "withdrawn", "consent_refused"),
        ("e2", "withdrawn", "consent_refused"),
    ]
    assert not any(t["kind"] == "enquiry_escalated" for t in shown["tasks"])
    # Nor does the timeliness report count them against the agencies: they were asked not to answer.
    report = body(staff("manager", "GET", "/admin/reports/timeliness?from=2026-11-26&to=2026-11-26"))
    assert report["referrals"]["total"]["received"] == 1
    assert [(row["agency"], row["sent"], row["unanswered"]) for row in report["agencies"] if row["sent"]] == []
    notices = {n["notice_id"]: n["status"] for n in shown["notices"]}
    assert notices["withdrawal:e1"] == notices["withdrawal:e2"] == "sent"
    [event] = [e for e in shown["history"] if e["action"] == "consent.recorded"]
    assert event["details"] == {"state": "refused", "source": "staff", "enquiries_withdrawn": "e1,e2"}


def test_a_reply_after_the_withdrawal_goes_to_triage_as_consent_withdrawn_never_onto_the_referral(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic
) -> None:
    reference = asked(client, staff, topic, ["police"])
    staff("practitioner", "POST", f"/admin/referrals/{reference}/consent", {"state": "refused", "reason": "No"})
    message_id = deliver(aws, mime(address_for(aws, reference, "e1")))

    item = aws.triage.open_triage(message_id)
    assert (item.reason, item.status, item.claimed_reference) == (
        TriageReason.CONSENT_WITHDRAWN,
        TriageStatus.WAITING,
        reference,
    )
    shown = picture(staff, reference)
    assert shown["replies"] == [] and shown["enquiries"][0]["reply_ids"] == []
    assert not any(t["kind"] == "reply_to_read" for t in shown["tasks"])
    # A person cannot put it on the withdrawn enquiry either.
    attach = staff(
        "practitioner", "POST", f"/admin/triage/{message_id}/attach", {"reference": reference, "enquiry_id": "e1"}
    )
    assert attach.status_code == 409
    assert "was withdrawn" in body(attach)["message"]
    listed = body(staff("practitioner", "GET", "/admin/triage"))["items"]
    assert [(i["triage_id"], i["reason"]) for i in listed] == [(message_id, "consent_withdrawn")]


def test_a_manager_can_dispense_with_consent_instead_and_the_enquiries_go_on(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic
) -> None:
    reference = asked(client, staff, topic, ["police"])
    dispensed = staff(
        "manager",
        "POST",
        f"/admin/referrals/{reference}/consent",
        {"state": "dispensed", "reason": "Asking would alert the carer", "review_on": "2027-01-15"},
    )
    assert dispensed.status_code == 200, dispensed.body
    assert emails(aws, "Withdrawn") == []
    assert picture(staff, reference)["enquiries"][0]["state"] == "requested"


def test_staff_withdraw_one_enquiry_with_a_reason_only_that_agency_is_emailed_and_it_is_audited(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic
) -> None:
    reference = asked(client, staff, topic, ["police", "health"])
    path = f"/admin/referrals/{reference}/enquiries/withdrawal"
    answer = staff("practitioner", "POST", path, {"enquiry_id": "e2", "reason": REASON})
    assert answer.status_code == 200, answer.body
    shaped = body(answer)
    assert shaped["reference"] == reference
    assert (shaped["enquiry"]["enquiry_id"], shaped["enquiry"]["state"], shaped["enquiry"]["withdrawal_reason"]) == (
        "e2",
        "withdrawn",
        REASON,
    )
    [withdrawal] = emails(aws, "Withdrawn")
    assert str(withdrawal["To"]) == "mash-checks@health.example"
    assert REASON not in withdrawal.get_body(preferencelist=("plain",)).get_content()

    shown = picture(staff, reference)
    assert [(e["enquiry_id"], e["state"]) for e in shown["enquiries"]] == [("e1", "requested"), ("e2", "withdrawn")]
    [event] = [e for e in shown["history"] if e["action"] == "enquiry.withdrawn"]
    assert event["details"] == {"enquiries": "e2", "cause": "withdrawn_by_staff"}
    assert event["role"] == "mash-practitioner"
    assert REASON not in json.dumps(shown["history"])

    # The police enquiry is still chased when due; the health one is not.
    aws.clock = lambda: dt.datetime.fromisoformat(shown["enquiries"][0]["due_at"]) + dt.timedelta(minutes=1)
    sweep(aws)
    assert [str(m["To"]) for m in emails(aws, "Reminder")] == ["mash-checks@police.example"]

    # Again: already withdrawn (409); an unknown one (404).
    again = staff("practitioner", "POST", path, {"enquiry_id": "e2", "reason": REASON})
    assert again.status_code == 409 and "already withdrawn" in body(again)["message"]
    missing = staff("practitioner", "POST", path, {"enquiry_id": "e9", "reason": REASON})
    assert missing.status_code == 404 and body(missing)["error"] == "enquiry_not_found"
    assert len(emails(aws, "Withdrawn")) == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"enquiry_id": "e1"}, "reason"),
        ({"enquiry_id": "e1", "reason": "   "}, "reason"),
        ({"enquiry_id": "e1", "reason": "x" * 2001}, "reason"),
        ({"enquiry_id": "e1", "reason": "bad\u202econtrol"}, "reason"),
        ({"enquiry_id": "SECRET-VALUE", "reason": REASON}, "enquiry_id"),
        ({"reason": REASON}, "enquiry_id"),
        ({"enquiry_id": "e1", "reason": REASON, "extra": "SECRET-VALUE"}, "extra"),
    ],
)
def test_a_bad_withdrawal_gets_a_422_naming_the_field_without_echoing_the_value(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic, payload: dict[str, Any], field: str
) -> None:
    reference = asked(client, staff, topic, ["police"])
    answer = staff("practitioner", "POST", f"/admin/referrals/{reference}/enquiries/withdrawal", payload)
    assert answer.status_code == 422
    problems = body(answer)["errors"]
    assert [p["field"] for p in problems] == [field]
    assert all(p["message"] for p in problems)
    assert "SECRET-VALUE" not in answer.body.decode() and "x" * 50 not in answer.body.decode()
    assert picture(staff, reference)["enquiries"][0]["state"] == "requested"


def test_only_casework_staff_may_withdraw(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic
) -> None:
    reference = asked(client, staff, topic, ["police"])
    path = f"/admin/referrals/{reference}/enquiries/withdrawal"
    auditor = staff("auditor", "POST", path, {"enquiry_id": "e1", "reason": REASON})
    assert auditor.status_code == 403 and "practitioner" in body(auditor)["message"]
    assert picture(staff, reference)["enquiries"][0]["state"] == "requested"


def test_a_refusal_before_the_agencys_queue_sends_the_request_means_nothing_leaves_at_all(
    client: Any, aws: Any, staff: Callable[..., Any], topic: InMemoryAgencyTopic
) -> None:
    """Published to the topic, but the agency's queue had not run yet when the parent refused:
    the queue message then finds the enquiry withdrawn, so neither the family's details nor a
    withdrawal (of a request the agency never got) are emailed."""
    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(example())
    )
    reference = body(response)["reference"]
    screen = {"rag": "amber", "level": 3, "rationale": "Needs a multi-agency picture"}
    staff("practitioner", "POST", f"/admin/referrals/{reference}/screening", screen)
    staff(
        "practitioner",
        "POST",
        f"/admin/referrals/{reference}/enquiries",
        {"agencies": ["police"], "question": QUESTION},
    )
    assert len(topic.published) == 1
    staff("practitioner", "POST", f"/admin/referrals/{reference}/consent", {"state": "refused", "reason": "No"})
    for message in list(topic.published):  # SQS delivers it now, and again (at least once)
        send_request_from_message(message.body())
        send_request_from_message(message.body())
    assert emails(aws, "Information request") == [] and emails(aws, "Withdrawn") == []
    shown = picture(staff, reference)
    assert shown["enquiries"][0]["state"] == "withdrawn"
    assert not [n for n in shown["notices"] if n["kind"] in ("agency_request", "agency_withdrawal")]
