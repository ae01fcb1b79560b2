"""The whole loop over HTTP and real moto: enquiries fan out through SNS filter policies to the
agencies' queues, the request emails go, the agency's reply comes back by S3 -> the inbound handler,
and staff see it on the referral; what cannot be matched waits on the triage list for a person."""

from __future__ import annotations

import json
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest

from chalicelib.domain.agencies import AgencyId
from chalicelib.events.queues import agency_queue
from chalicelib.services.agency_requests import send_request_from_message
from tests import samples
from tests.conftest import sent_emails
from tests.factories import example
from tests.test_inbound_replies import deliver

pytestmark = pytest.mark.usefixtures("issuer")

QUESTION = "Please tell us of any contact with the family in the last 12 months"
ANSWER = "We have two call-outs to the address in March 2026, both domestic incidents."


def body(response: Any) -> Any:
    return json.loads(response.body)


def asked(client: Any, staff: Callable[..., Any], agencies: list[str]) -> str:
    response = client.http.post(
        "/api/referrals",
        headers={"Content-Type": "application/json"},
        body=json.dumps(example("referral-protection.json")),
    )
    reference = body(response)["reference"]
    screen = {"rag": "red", "level": 4, "rationale": "Injury seen at school"}
    assert staff("practitioner", "POST", f"/admin/referrals/{reference}/screening", screen).status_code == 200
    opened = staff(
        "practitioner", "POST", f"/admin/referrals/{reference}/enquiries", {"agencies": agencies, "question": QUESTION}
    )
    assert opened.status_code == 201, opened.body
    return reference


def queued_messages(aws: Any) -> dict[str, list[str]]:
    """What each agency queue holds, as Lambda's poller would read it (and then delete it)."""
    sqs = aws.aws_client("sqs")
    held: dict[str, list[str]] = {}
    for agency in AgencyId:
        url = sqs.get_queue_url(QueueName=agency_queue(agency))["QueueUrl"]
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        held[agency.value] = [m["Body"] for m in messages]
    return held


def reply_to(request: Any, *, sender: str, text: str) -> bytes:
    """The agency officer presses Reply: To the Reply-To address, the request quoted below."""
    message = EmailMessage()
    message["X-SES-Spam-Verdict"] = "PASS"
    message["X-SES-Virus-Verdict"] = "PASS"
    domain = sender.split("@")[1]
    message["Authentication-Results"] = (
        f"amazonses.com; spf=pass smtp.mailfrom={sender}; dkim=pass header.i=@{domain}; dmarc=pass header.from={domain};"
    )
    message["From"] = sender
    message["To"] = str(request["Reply-To"])
    message["Subject"] = f"RE: {str(request['Subject']).strip()}"
    message["In-Reply-To"] = request["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in request.get_body(("plain",)).get_content().splitlines())
    message.set_content(
        f"{text}\n\nPC Sam Taylor\n\nOn Wed, 25 Nov 2026 at 10:02, MASH referral hub <{request['From'].addresses[0].addr_spec}> wrote:\n{quoted}\n"
    )
    return message.as_bytes()


def test_police_and_health_are_asked_and_the_police_answer_lands_on_the_referral(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = asked(client, staff, ["police", "health"])
    held = queued_messages(aws)
    # The filter policies: one message on each chosen agency's queue, none anywhere else.
    assert {agency: len(bodies) for agency, bodies in held.items() if bodies} == {"police": 1, "health": 1}
    assert json.loads(held["police"][0]) == {"reference": reference, "enquiry_id": "e1"}
    for bodies in held.values():
        for message in bodies:
            send_request_from_message(message)
    requests = {str(m["To"]): m for m in sent_emails(aws) if "Information request" in str(m["Subject"])}
    assert sorted(requests) == ["mash-checks@health.example", "mash-checks@police.example"]

    deliver(aws, reply_to(requests["mash-checks@police.example"], sender="sam.taylor@police.example", text=ANSWER))

    picture = body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))
    states = {e["agency"]: e["state"] for e in picture["enquiries"]}
    assert states == {"police": "answered", "health": "requested"}
    [reply] = picture["replies"]
    assert (reply["enquiry_id"], reply["agency"], reply["sender"]) == ("e1", "police", "sam.taylor@police.example")
    assert reply["text"].splitlines() == [ANSWER, "", "PC Sam Taylor"]  # the quoted request is gone
    assert QUESTION in reply["full_text"] and ANSWER in reply["full_text"]  # the original is kept
    assert [t["kind"] for t in picture["tasks"] if t["about"] == "e1"] == ["reply_to_read"]
    assert [e["action"] for e in picture["history"]].count("enquiry.answered") == 1


def test_a_reply_from_a_wrong_domain_waits_in_triage_until_a_practitioner_attaches_it(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    reference = asked(client, staff, ["police"])
    for message in queued_messages(aws)["police"]:
        send_request_from_message(message)
    [request] = [m for m in sent_emails(aws) if "Information request" in str(m["Subject"])]
    triage_id = deliver(aws, reply_to(request, sender="sam.taylor@gmail.example", text=ANSWER), key="inbound/wrong-1")

    picture = body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))
    assert picture["replies"] == [] and picture["enquiries"][0]["state"] == "requested"

    listed = body(staff("practitioner", "GET", "/admin/triage"))
    [line] = listed["items"]
    assert (line["triage_id"], line["reason"], line["status"]) == (triage_id, "wrong_sender_domain", "waiting")
    assert (line["claimed_reference"], line["claimed_enquiry_id"]) == (reference, "e1")
    assert "sender" not in line  # the list holds no personal data
    detail = body(staff("practitioner", "GET", f"/admin/triage/{triage_id}"))
    assert detail["sender"] == "sam.taylor@gmail.example" and ANSWER in detail["text"]
    me = body(staff("practitioner", "GET", "/admin/whoami"))["id"]
    assert [view["by"] for view in detail["views"]] == [me]  # the read is on the record

    attach = {"reference": reference, "enquiry_id": "e1"}
    attached = staff("practitioner", "POST", f"/admin/triage/{triage_id}/attach", attach)
    assert attached.status_code == 200, attached.body
    assert body(attached) == {"reference": reference, "enquiry_id": "e1", "reply_id": triage_id}
    again = staff("practitioner", "POST", f"/admin/triage/{triage_id}/attach", attach)
    assert again.status_code == 409 and "already attached" in body(again)["message"]

    picture = body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))
    [reply] = picture["replies"]
    assert reply["attached_by"] == me and ANSWER in reply["text"]
    assert picture["enquiries"][0]["state"] == "answered"
    assert [e["action"] for e in picture["history"]].count("enquiry.reply_attached") == 1
    assert body(staff("practitioner", "GET", "/admin/triage"))["items"] == []
    assert [i["triage_id"] for i in body(staff("practitioner", "GET", "/admin/triage?status=attached"))["items"]] == [
        triage_id
    ]


def test_triage_refusals_say_what_to_do(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    reference = asked(client, staff, ["police"])
    raw = b"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\nFrom: someone@else.example\r\nTo: mash@mash.example\r\n\r\nHello"
    triage_id = deliver(aws, raw, key="inbound/x")
    assert body(staff("practitioner", "GET", f"/admin/triage/{triage_id}"))["reason"] == "no_token"
    assert staff("practitioner", "GET", "/admin/triage/not-an-id").status_code == 404
    assert staff("practitioner", "GET", f"/admin/triage/{'0' * 20}").status_code == 404
    assert staff("auditor", "GET", "/admin/triage").status_code == 403
    assert staff("practitioner", "GET", "/admin/triage?status=lost").status_code == 422
    wrong = staff(
        "practitioner", "POST", f"/admin/triage/{triage_id}/attach", {"reference": reference, "enquiry_id": "e7"}
    )
    assert wrong.status_code == 409 and "has no enquiry e7" in body(wrong)["message"]
    no_note = staff("practitioner", "POST", f"/admin/triage/{triage_id}/reject", {"note": ""})
    assert no_note.status_code == 422
    rejected = staff("practitioner", "POST", f"/admin/triage/{triage_id}/reject", {"note": "Not about a referral"})
    assert rejected.status_code == 200 and body(rejected)["status"] == "rejected"
    late = staff(
        "practitioner", "POST", f"/admin/triage/{triage_id}/attach", {"reference": reference, "enquiry_id": "e1"}
    )
    assert late.status_code == 409 and "already rejected" in body(late)["message"]


def test_a_rejected_triage_email_is_deleted_with_its_files_thirty_days_after_while_waiting_ones_stay(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    import datetime as dt

    from chalicelib.services.retention import sweep_expired

    pdf = samples.pdf()
    message = EmailMessage()
    message["X-SES-Spam-Verdict"] = "PASS"
    message["X-SES-Virus-Verdict"] = "PASS"
    message["From"] = "someone@else.example"
    message["To"] = "mash@mash.example"
    message["Subject"] = "Report"
    message.set_content("See attached")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="report.pdf")
    rejected = deliver(aws, message.as_bytes(), key="inbound/reject-me")
    waiting = deliver(aws, message.as_bytes(), key="inbound/keep-me")
    note = {"note": "Not for the MASH"}
    assert staff("practitioner", "POST", f"/admin/triage/{rejected}/reject", note).status_code == 200
    bucket = aws.settings.attachments_bucket
    files = {o["Key"] for o in aws.aws_client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert {f"replies/{rejected}/a1", f"replies/{waiting}/a1"} <= files

    start = aws.clock()
    aws.clock = lambda: start + dt.timedelta(days=29)
    assert sweep_expired().triage_deleted == 0
    aws.clock = lambda: start + dt.timedelta(days=31)
    assert sweep_expired().triage_deleted == 1
    assert staff("practitioner", "GET", f"/admin/triage/{rejected}").status_code == 404
    assert body(staff("practitioner", "GET", f"/admin/triage/{waiting}"))["status"] == "waiting"
    files = {o["Key"] for o in aws.aws_client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert f"replies/{rejected}/a1" not in files and f"replies/{waiting}/a1" in files


def test_staff_mark_a_shortened_reply_wrong_and_everyone_then_reads_the_whole_email(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    """Issue 15 item 3: the shortening got it wrong; the whole email is shown first, audited, and undone."""
    reference = asked(client, staff, ["police"])
    for bodies in queued_messages(aws).values():
        for message in bodies:
            send_request_from_message(message)
    [request] = [m for m in sent_emails(aws) if "Information request" in str(m["Subject"])]
    deliver(aws, reply_to(request, sender="sam.taylor@police.example", text=ANSWER))
    [reply] = body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))["replies"]
    assert reply["shortened"] is True and reply["shown_whole"] is None and reply["text"] != reply["full_text"]
    path = f"/admin/referrals/{reference}/replies/{reply['reply_id']}/text"

    marked = staff("practitioner", "POST", path, {"wrong": True, "reason": "Synthetic: the answer went on below"})
    assert marked.status_code == 200, marked.body
    picture = body(staff("manager", "GET", f"/admin/referrals/{reference}"))
    [shown] = picture["replies"]
    assert shown["text"] == shown["full_text"] and shown["shortened"] is False
    assert shown["shown_whole"]["reason"] == "Synthetic: the answer went on below"
    [event] = [e for e in picture["history"] if e["action"] == "reply.text_marked"]
    assert event["details"] == {"reply": reply["reply_id"], "shown": "whole"}
    assert "went on below" not in json.dumps(picture["history"])

    undone = staff("practitioner", "POST", path, {"wrong": False, "reason": "Synthetic: marked by mistake"})
    assert undone.status_code == 200, undone.body
    [again] = body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))["replies"]
    assert (again["text"], again["shown_whole"]) == (reply["text"], None)

    missing = staff("practitioner", "POST", f"/admin/referrals/{reference}/replies/nosuchreply/text",
                    {"wrong": True, "reason": "Synthetic"})  # fmt: skip
    assert (missing.status_code, body(missing)["error"]) == (404, "reply_not_found")
    no_reason = staff("practitioner", "POST", path, {"wrong": True})
    assert no_reason.status_code == 422 and [e["field"] for e in body(no_reason)["errors"]] == ["reason"]


def test_the_console_shows_a_reply_whole_when_a_practitioner_marks_it(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    import html

    from tests.test_console import Browser, act, buttons, page_text

    reference = asked(client, staff, ["police"])
    for bodies in queued_messages(aws).values():
        for message in bodies:
            send_request_from_message(message)
    [request] = [m for m in sent_emails(aws) if "Information request" in str(m["Subject"])]
    deliver(aws, reply_to(request, sender="sam.taylor@police.example", text=ANSWER))
    practitioner = Browser(client).sign_in("practitioner")
    page = practitioner.get(f"/staff/referrals/{reference}")
    assert "Shortened to the agency's own words" in page_text(page)
    assert "Show an agency's reply whole" in [html.unescape(b) for b in buttons(page)]
    [reply] = body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))["replies"]
    done = act(practitioner, reference, "reply-text",
               {"reply": reply["reply_id"], "wrong": "true", "reason": "Synthetic: answer cut short"})  # fmt: skip
    assert done.status_code == 303, page_text(done)
    after = page_text(practitioner.get(f"/staff/referrals/{reference}"))
    assert "The shortened text was marked wrong" in after and "Synthetic: answer cut short" in after
