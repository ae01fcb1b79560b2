"""Local stage only: the emails the app sent, read from the emulator's (moto's) SES backend.

`make run` runs moto's server in the app's own process, so its backends are plain Python objects
here. moto is imported inside the functions: nothing of it loads outside the local stage.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import uuid
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar


@dataclass(frozen=True)
class SentEmail:
    message_id: str  # SES's id, as SendRawEmail returned it
    sender: str
    recipients: list[str]
    subject: str
    sent_at: str | None  # the message's Date header, ISO 8601
    text: str
    html: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def sent_emails() -> list[SentEmail]:
    """Every email sent through the emulator, oldest first, across accounts and regions."""
    from moto.ses.models import ses_backends

    sent: list[SentEmail] = []
    for regions in list(ses_backends.values()):
        for backend in list(regions.values()):
            sent.extend(_read(message) for message in list(backend.sent_messages))
    return sent


def find_sent_email(message_id: str) -> SentEmail | None:
    return next((sent for sent in sent_emails() if sent.message_id == message_id), None)


def _read(message: Any) -> SentEmail:
    """moto keeps raw sends as MIME text and simple sends as fields: make both one shape."""
    raw = getattr(message, "raw_data", None)
    if raw is None:
        return _read_simple(message)
    parsed = email.message_from_string(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return SentEmail(
        message_id=message.id,
        sender=str(parsed["From"] or message.source),
        # moto appends the To/Cc addresses to the Destinations it was given: list each once.
        recipients=list(dict.fromkeys(str(address) for address in message.destinations)),
        subject=str(parsed["Subject"] or ""),
        sent_at=_iso_date(parsed["Date"]),
        text=_body(parsed, "plain"),
        html=_body(parsed, "html"),
    )


def _read_simple(message: Any) -> SentEmail:
    destinations = getattr(message, "destinations", {}) or {}
    recipients = [a for kind in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(kind, [])]
    return SentEmail(
        message_id=message.id,
        sender=message.source,
        recipients=recipients,
        subject=getattr(message, "subject", "") or "",
        sent_at=None,
        text=getattr(message, "body", "") or "",
        html="",
    )


def _body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    return part.get_content() if part is not None else ""


def _iso_date(header: Any) -> str | None:
    if not header:
        return None
    try:
        return parsedate_to_datetime(str(header)).astimezone(dt.UTC).isoformat()
    except (TypeError, ValueError):
        return None


FEEDBACK_KINDS = {"delivery": "Delivery", "bounce": "Bounce", "complaint": "Complaint"}


def ses_feedback_event(
    sent: SentEmail, kind: str, now: dt.datetime | None = None, configuration_set: str | None = None
) -> dict[str, Any]:
    """The event SES would publish to a configuration set's SNS destination for this email.

    moto never emits these; the local outbox replays them on demand (DESIGN §5). The shape follows
    AWS's "Examples of event data that Amazon SES publishes to Amazon SNS".
    """
    event_type = FEEDBACK_KINDS[kind]
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    recipients = [_address_only(r) for r in sent.recipients]
    event: dict[str, Any] = {
        "eventType": event_type,
        "mail": {
            "timestamp": sent.sent_at or stamp,
            "source": _address_only(sent.sender),
            "sourceArn": f"arn:aws:ses:eu-west-2:{EMULATOR_ACCOUNT}:identity/{_domain(sent.sender)}",
            "sendingAccountId": EMULATOR_ACCOUNT,
            "messageId": sent.message_id,
            "destination": recipients,
            "headersTruncated": False,
            "commonHeaders": {
                "from": [sent.sender],
                "to": sent.recipients,
                "messageId": sent.message_id,
                "subject": sent.subject,
            },
            "tags": {
                "ses:configuration-set": [configuration_set or ""],
                "ses:from-domain": [_domain(sent.sender)],
                "ses:caller-identity": ["local"],
            },
        },
    }
    if kind == "delivery":
        event["delivery"] = {
            "timestamp": stamp,
            "processingTimeMillis": 120,
            "recipients": recipients,
            "smtpResponse": "250 2.6.0 Message received",
            "reportingMTA": "a8-70.smtp-out.amazonses.com",
            "remoteMtaIp": "203.0.113.5",
        }
    elif kind == "bounce":
        event["bounce"] = {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": r,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
                for r in recipients
            ],
            "timestamp": stamp,
            "feedbackId": str(uuid.uuid4()),
            "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com",
        }
    else:
        event["complaint"] = {
            "complainedRecipients": [{"emailAddress": r} for r in recipients],
            "timestamp": stamp,
            "feedbackId": str(uuid.uuid4()),
            "userAgent": "ExampleMail/1.0",
            "complaintFeedbackType": "abuse",
            "arrivalDate": stamp,
        }
    return event


EMULATOR_ACCOUNT = "123456789012"  # moto's default account


def _domain(address: str) -> str:
    return _address_only(address).rpartition("@")[2]


def _address_only(value: str) -> str:
    from email.utils import parseaddr

    return parseaddr(value)[1] or value


def feedback_topic_arn(configuration_set: str | None) -> str | None:
    """The SNS topic the configuration set sends SES events to, as the emulator stored it."""
    if not configuration_set:
        return None
    from moto.ses.models import ses_backends

    for regions in list(ses_backends.values()):
        for backend in list(regions.values()):
            destination = backend.config_set_event_destination.get(configuration_set) or {}
            topic = (destination.get("SNSDestination") or {}).get("TopicARN")
            if topic:
                return str(topic)
    return None


@dataclass(frozen=True)
class EmulatorOutbox:
    """The emulator's sent mail and SES's feedback on it, for the local outbox page: the wiring
    builds it, so that page (an edge) never reaches into the emulator itself."""

    sns_client: Any
    configuration_set: str | None

    feedback_kinds: ClassVar[dict[str, str]] = FEEDBACK_KINDS

    def sent(self) -> list[SentEmail]:
        return sent_emails()

    def find(self, message_id: str) -> SentEmail | None:
        return find_sent_email(message_id)

    def feedback_topic(self) -> str | None:
        return feedback_topic_arn(self.configuration_set)

    def publish_feedback(self, sent: SentEmail, kind: str, topic: str) -> dict[str, Any]:
        """Publish the event SES would for this email to the configuration set's topic; returns it."""
        event = ses_feedback_event(sent, kind, configuration_set=self.configuration_set)
        self.sns_client.publish(TopicArn=topic, Message=json.dumps(event))
        return event
