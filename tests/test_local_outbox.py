"""The local outbox shows what the app sent through the emulator, and exists only locally."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters import emulator_mail

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SENDER = "mash-hub@mash.example"


def send(hub: Any, to: str = "referrer@school.example", subject: str = "Referral ABCD-EFGH received") -> str:
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Wed, 25 Nov 2026 15:00:00 +0000"
    message.set_content("Your reference is ABCD-EFGH.")
    message.add_alternative("<p>Your reference is <strong>ABCD-EFGH</strong>.</p>", subtype="html")
    response = hub.aws_client("ses").send_raw_email(
        Source=SENDER, Destinations=[to], RawMessage={"Data": message.as_bytes()}
    )
    return str(response["MessageId"])


@pytest.fixture
def outbox_client(client: Client) -> Client:
    """The real app (local stage) under in-process moto.

    Not a throwaway app: Chalice's blueprint registration consumes the route options, so a
    blueprint registers correctly into one app per process only.
    """
    return client


def test_sent_emails_are_read_back_with_both_bodies(aws: Any) -> None:
    message_id = send(aws)
    (sent,) = emulator_mail.sent_emails()
    assert sent.message_id == message_id
    assert sent.recipients == ["referrer@school.example"]
    assert sent.subject == "Referral ABCD-EFGH received"
    assert sent.sent_at == "2026-11-25T15:00:00+00:00"
    assert sent.text.strip() == "Your reference is ABCD-EFGH."
    assert "<strong>ABCD-EFGH</strong>" in sent.html


def test_outbox_json_lists_every_email(outbox_client: Client, aws: Any) -> None:
    send(aws, subject="first")
    send(aws, subject="second")
    response = outbox_client.http.get("/_local/outbox.json")
    assert response.status_code == 200
    assert [e["subject"] for e in json.loads(response.body)["emails"]] == ["first", "second"]


def test_outbox_page_shows_the_email_and_sandboxes_its_html(outbox_client: Client, aws: Any) -> None:
    send(aws)
    response = outbox_client.http.get("/_local/outbox")
    page = response.body.decode()
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Referral ABCD-EFGH received" in page
    assert "referrer@school.example" in page
    assert 'sandbox=""' in page
    # The email's markup reaches the page only escaped (inside srcdoc and the source view).
    assert "<strong>ABCD-EFGH</strong>" not in page
    assert "&lt;strong&gt;ABCD-EFGH&lt;/strong&gt;" in page


def test_outbox_page_says_when_nothing_was_sent(outbox_client: Client) -> None:
    assert "No emails have been sent yet" in outbox_client.http.get("/_local/outbox").body.decode()


def test_feedback_event_has_the_shape_ses_publishes(aws: Any) -> None:
    send(aws)
    (sent,) = emulator_mail.sent_emails()
    bounce = emulator_mail.ses_feedback_event(sent, "bounce")
    assert bounce["eventType"] == "Bounce"
    assert bounce["mail"]["messageId"] == sent.message_id
    assert bounce["bounce"]["bouncedRecipients"][0]["emailAddress"] == "referrer@school.example"


def test_replaying_feedback_without_a_configuration_set_says_what_is_missing(outbox_client: Client, aws: Any) -> None:
    message_id = send(aws)
    response = outbox_client.http.post(
        f"/_local/outbox/{message_id}/delivery", headers={"Content-Type": "application/json"}, body="{}"
    )
    assert response.status_code == 409
    assert "MASH_SES_CONFIGURATION_SET" in json.loads(response.body)["error"]


def test_local_routes_do_not_exist_outside_the_local_stage() -> None:
    probe = (
        "import json, sys; from app import app; "
        "print(json.dumps({'routes': sorted(app.routes), 'moto': any(m.startswith('moto') for m in sys.modules)}))"
    )
    env = {
        **os.environ,
        "MASH_STAGE": "prod",
        "MASH_HMAC_SECRET": "a-test-secret-not-the-local-default",
        "MASH_OUT_OF_HOURS_EMAIL": "edt@out-of-hours.example",
    }
    env.pop("MASH_AWS_ENDPOINT_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["routes"], "the app should have routes in prod"
    assert not [path for path in found["routes"] if path.startswith("/_local")]
    assert not found["moto"]


# -- Reply as the agency -------------------------------------------------------------------------

REPLY_TO = "reply+k7qf3mrw9-e1-1a2b-abcdefghijklmnop@mash.example"
REQUEST_ID = "<request-e1.K7Q-F3M-RW9@mash.example>"
REQUEST_TEXT = "Please tell us what you know about the family.\n\nReference: K7Q-F3M-RW9"


def send_request(hub: Any, reply_to: str | None = REPLY_TO) -> str:
    """An information request as the hub sends one: to the agency's mailbox, with a reply+ address."""
    message = EmailMessage()
    message["From"] = f"MASH referral hub <{SENDER}>"
    message["To"] = "mash-checks@police.example"
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = "Information request K7Q-F3M-RW9 (e1)"
    message["Date"] = "Wed, 25 Nov 2026 15:00:00 +0000"
    message["Message-ID"] = REQUEST_ID
    message.set_content(REQUEST_TEXT)
    response = hub.aws_client("ses").send_raw_email(
        Source=SENDER, Destinations=["mash-checks@police.example"], RawMessage={"Data": message.as_bytes()}
    )
    return str(response["MessageId"])


def open_outbox(client: Client) -> tuple[str, str]:
    """The page, as a browser gets it: its cookie and the reply forms' CSRF token."""
    import re

    page = client.http.get("/_local/outbox")
    cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
    assert token, "the page has a reply form"
    return cookie, token.group(1)


def post_reply(client: Client, message_id: str, fields: dict[str, str], cookie: str | None = None) -> Any:
    from urllib.parse import urlencode

    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = cookie
    return client.http.post(f"/_local/outbox/{message_id}/reply", headers=headers, body=urlencode(fields))


def inbound_objects(hub: Any) -> dict[str, bytes]:
    s3 = hub.aws_client("s3")
    bucket = hub.settings.inbound_mail_bucket
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def test_a_request_email_offers_a_reply_form_from_the_agencys_domain(outbox_client: Client, aws: Any) -> None:
    message_id = send_request(aws)
    send(aws)  # an acknowledgement: no reply+ address, no form
    page = outbox_client.http.get("/_local/outbox").body.decode()
    assert page.count("Reply as the agency") == 1
    assert f'action="/_local/outbox/{message_id}/reply"' in page
    assert 'value="officer@police.example"' in page
    assert '<label class="govuk-label govuk-label--s" for="text-' in page
    assert "Fails DMARC" in page and "Carries a virus" in page and "Marked as spam" in page


def test_a_reply_lands_in_the_inbound_bucket_as_ses_would_store_it(outbox_client: Client, aws: Any) -> None:
    import email as email_package
    from email import policy

    message_id = send_request(aws)
    cookie, token = open_outbox(outbox_client)
    fields = {
        "csrf_token": token,
        "from": "officer@police.example",
        "text": "Known to us: one call-out in May.",
        "verdict": "pass",
    }
    response = post_reply(outbox_client, message_id, fields, cookie)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/_local/outbox?replied=")
    ((key, raw),) = inbound_objects(aws).items()
    assert key == "inbound/" + location.rsplit("=", 1)[1]
    assert len(key.removeprefix("inbound/")) == 32  # uuid4 hex

    reply = email_package.message_from_bytes(raw, policy=policy.default)
    assert reply["From"] == "officer@police.example"
    assert reply["To"] == REPLY_TO
    assert reply["Subject"] == "RE: Information request K7Q-F3M-RW9 (e1)"
    assert reply["In-Reply-To"] == REQUEST_ID and reply["References"] == REQUEST_ID
    assert reply["Message-ID"].endswith("@police.example>")
    assert reply["X-SES-Spam-Verdict"] == "PASS" and reply["X-SES-Virus-Verdict"] == "PASS"
    assert reply["Received-SPF"].startswith("pass ")
    results = " ".join(reply["Authentication-Results"].split())
    assert results.startswith("amazonses.com;")
    assert "spf=pass" in results and "dkim=pass header.i=@police.example" in results
    assert "dmarc=pass header.from=police.example" in results
    # SES prepends its headers: they come before the sender's own.
    names = [name.lower() for name in reply]
    assert names.index("x-ses-spam-verdict") < names.index("from")
    assert b"\r\n" in raw  # SMTP's line endings, as SES stores what it received
    body = reply.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert body == (
        "Known to us: one call-out in May.\n\n"
        f"On Wed, 25 Nov 2026 15:00:00 +0000, MASH referral hub <{SENDER}> wrote:\n"
        "> Please tell us what you know about the family.\n"
        ">\n"
        "> Reference: K7Q-F3M-RW9\n"
    )

    page = outbox_client.http.get(location, headers={"Cookie": cookie}).body.decode()
    assert "Reply sent as the agency" in page and key in page


@pytest.mark.parametrize(
    ("verdict", "expected"),
    [
        ("spam", {"X-SES-Spam-Verdict": "FAIL", "X-SES-Virus-Verdict": "PASS", "dmarc": "pass"}),
        ("virus", {"X-SES-Spam-Verdict": "PASS", "X-SES-Virus-Verdict": "FAIL", "dmarc": "pass"}),
        ("dmarc", {"X-SES-Spam-Verdict": "PASS", "X-SES-Virus-Verdict": "PASS", "dmarc": "fail"}),
    ],
)
def test_the_chosen_verdicts_are_the_headers_the_inbound_handler_reads(
    outbox_client: Client, aws: Any, verdict: str, expected: dict[str, str]
) -> None:
    import email as email_package

    from chalicelib.mail.inbound import read_verdicts

    message_id = send_request(aws)
    cookie, token = open_outbox(outbox_client)
    fields = {"csrf_token": token, "from": "officer@wrong.example", "text": "Reply", "verdict": verdict}
    assert post_reply(outbox_client, message_id, fields, cookie).status_code == 303
    ((_, raw),) = inbound_objects(aws).items()
    reply = email_package.message_from_bytes(raw)
    assert reply["From"] == "officer@wrong.example"  # the domain is the tester's to choose
    assert reply["X-SES-Spam-Verdict"] == expected["X-SES-Spam-Verdict"]
    assert reply["X-SES-Virus-Verdict"] == expected["X-SES-Virus-Verdict"]
    assert f"dmarc={expected['dmarc']} header.from=wrong.example" in " ".join(reply["Authentication-Results"].split())
    read = read_verdicts(raw)
    assert (read.spam, read.virus, read.dmarc) == (
        expected["X-SES-Spam-Verdict"],
        expected["X-SES-Virus-Verdict"],
        expected["dmarc"].upper(),
    )


def test_an_empty_reply_is_refused_with_an_error_summary_and_nothing_stored(outbox_client: Client, aws: Any) -> None:
    message_id = send_request(aws)
    cookie, token = open_outbox(outbox_client)
    fields = {"csrf_token": token, "from": "officer@police.example", "text": "  ", "verdict": "spam"}
    response = post_reply(outbox_client, message_id, fields, cookie)
    page = response.body.decode()
    assert response.status_code == 400
    assert "<title>Error: Sent emails" in page
    assert "There is a problem" in page
    assert f'href="#text-{message_id}"' in page and "Enter the reply text" in page
    assert 'id="text-' + message_id + '-error"' in page  # the message beside the field
    assert 'value="spam" checked' in page  # what was chosen is kept
    assert inbound_objects(aws) == {}


def test_a_reply_without_the_pages_token_is_refused(outbox_client: Client, aws: Any) -> None:
    message_id = send_request(aws)
    cookie, _ = open_outbox(outbox_client)
    fields = {"from": "officer@police.example", "text": "Reply", "verdict": "pass"}
    assert post_reply(outbox_client, message_id, fields, cookie).status_code == 400
    assert post_reply(outbox_client, message_id, {**fields, "csrf_token": "0" * 64}, cookie).status_code == 400
    assert inbound_objects(aws) == {}


def test_only_an_email_with_a_reply_address_can_be_answered(outbox_client: Client, aws: Any) -> None:
    message_id = send_request(aws, reply_to=None)
    cookie, token = "", ""
    page = outbox_client.http.get("/_local/outbox")
    cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    assert "Reply as the agency" not in page.body.decode()
    from chalicelib.web import form_session

    token = form_session.csrf_token(cookie.split("=", 1)[1])
    fields = {"csrf_token": token, "from": "officer@police.example", "text": "Reply", "verdict": "pass"}
    assert post_reply(outbox_client, message_id, fields, cookie).status_code == 404
    assert inbound_objects(aws) == {}


def test_a_stored_reply_notifies_the_inbound_queue(outbox_client: Client, aws: Any) -> None:
    from chalicelib.events.queues import INBOUND_MAIL_QUEUE

    message_id = send_request(aws)
    cookie, token = open_outbox(outbox_client)
    fields = {"csrf_token": token, "from": "officer@police.example", "text": "Reply", "verdict": "pass"}
    post_reply(outbox_client, message_id, fields, cookie)
    sqs = aws.aws_client("sqs")
    url = sqs.get_queue_url(QueueName=INBOUND_MAIL_QUEUE)["QueueUrl"]
    bodies = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    keys = [r["s3"]["object"]["key"] for b in bodies for r in b.get("Records", [])]
    assert [key.replace("%2F", "/") for key in keys] == list(inbound_objects(aws))


def test_the_hubs_clock_moves_forward_only_with_the_pages_token(outbox_client: Client, aws: Any) -> None:
    import datetime as dt

    from chalicelib.web import local_outbox

    cookie, token = open_outbox(outbox_client)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    refused = outbox_client.http.post("/_local/clock", headers={**form, "Cookie": cookie}, body="by=1d&csrf_token=x")
    assert refused.status_code == 400 and aws.clock().date() == dt.datetime.now(dt.UTC).date()
    unknown = outbox_client.http.post(
        "/_local/clock", headers={**form, "Cookie": cookie}, body=f"by=1y&csrf_token={token}"
    )
    assert unknown.status_code == 422
    before = local_outbox.clock_offset()
    try:
        moved = outbox_client.http.post(
            "/_local/clock", headers={**form, "Cookie": cookie}, body=f"by=1d&csrf_token={token}"
        )
        assert moved.status_code == 303 and moved.headers["Location"] == "/_local/outbox"
        ahead = aws.clock() - dt.datetime.now(dt.UTC)
        assert dt.timedelta(hours=23, minutes=59) < ahead - before < dt.timedelta(days=1, minutes=1)
        assert "hours ahead of real time" in outbox_client.http.get("/_local/outbox").body.decode()
    finally:
        local_outbox._clock_offset[0] = before
