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
    response = outbox_client.http.post(f"/_local/outbox/{message_id}/delivery", headers={"Content-Type": "application/json"}, body="{}")
    assert response.status_code == 409
    assert "MASH_SES_CONFIGURATION_SET" in json.loads(response.body)["error"]


def test_local_routes_do_not_exist_outside_the_local_stage() -> None:
    probe = (
        "import json, sys; from app import app; "
        "print(json.dumps({'routes': sorted(app.routes), 'moto': any(m.startswith('moto') for m in sys.modules)}))"
    )
    env = {**os.environ, "MASH_STAGE": "prod", "MASH_HMAC_SECRET": "a-test-secret-not-the-local-default"}
    env.pop("MASH_AWS_ENDPOINT_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["routes"], "the app should have routes in prod"
    assert not [path for path in found["routes"] if path.startswith("/_local")]
    assert not found["moto"]
