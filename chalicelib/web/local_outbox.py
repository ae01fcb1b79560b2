"""Local stage only: the emails the app has sent, as a page and as JSON.

app.py registers this blueprint only when MASH_STAGE is 'local'; the emulator adapter imports
moto lazily, so neither this module nor moto is loaded in AWS.
"""

from __future__ import annotations

import json

from chalice import Blueprint, Response

from chalicelib.adapters import emulator_mail
from chalicelib.templating import render
from chalicelib.wiring import wiring

local_outbox = Blueprint(__name__)

HTML = {"Content-Type": "text/html; charset=utf-8"}


@local_outbox.route("/_local/outbox", methods=["GET"])
def outbox_page() -> Response:
    emails = list(reversed(emulator_mail.sent_emails()))  # newest first
    settings = wiring().settings
    body = render(
        "local/outbox.html",
        emails=emails,
        can_replay=emulator_mail.feedback_topic_arn(settings.ses_configuration_set) is not None,
        feedback_kinds=list(emulator_mail.FEEDBACK_KINDS),
    )
    return Response(body=body, status_code=200, headers=HTML)


@local_outbox.route("/_local/outbox.json", methods=["GET"])
def outbox_json() -> Response:
    emails = [sent.as_json() for sent in emulator_mail.sent_emails()]
    return Response(body={"emails": emails}, status_code=200)


@local_outbox.route(
    "/_local/outbox/{message_id}/{kind}",
    methods=["POST"],
    content_types=["application/x-www-form-urlencoded", "application/json"],
)
def replay_feedback(message_id: str, kind: str) -> Response:
    """Publish the SES delivery/bounce/complaint event for one sent email, as SES would."""
    if kind not in emulator_mail.FEEDBACK_KINDS:
        return _problem(404, f"Unknown event kind; use one of {', '.join(emulator_mail.FEEDBACK_KINDS)}")
    sent = emulator_mail.find_sent_email(message_id)
    if sent is None:
        return _problem(404, "No sent email has that message id")
    topic = emulator_mail.feedback_topic_arn(wiring().settings.ses_configuration_set)
    if topic is None:
        return _problem(
            409, "No SES configuration set with an SNS event destination is set up (MASH_SES_CONFIGURATION_SET)"
        )
    event = emulator_mail.ses_feedback_event(sent, kind, configuration_set=wiring().settings.ses_configuration_set)
    wiring().aws_client("sns").publish(TopicArn=topic, Message=json.dumps(event))
    return Response(body={"published": event["eventType"], "message_id": message_id}, status_code=202)


def _problem(status: int, message: str) -> Response:
    return Response(body={"error": message}, status_code=status)
