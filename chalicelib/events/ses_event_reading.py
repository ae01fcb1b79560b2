"""What an SES sending event means for a notice, and recording it (the `ses_events` handler's work).

Kept apart from the handler's module so importing the app (a cold start) does not load the
referral store and the services: they are loaded when an event arrives.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.domain.notices import NoticeStatus
from chalicelib.domain.suppression import SuppressionReason
from chalicelib.logs import logger
from chalicelib.services.record_delivery_event import DeliveryReport


class _Edge(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _Recipient(_Edge):
    email_address: str = Field(alias="emailAddress")


class _Mail(_Edge):
    message_id: str = Field(alias="messageId", min_length=1, max_length=256)
    timestamp: dt.datetime
    destination: list[str] = []


class _Timed(_Edge):
    timestamp: dt.datetime | None = None


class _Bounce(_Timed):
    bounce_type: str = Field(alias="bounceType")  # Permanent | Transient | Undetermined
    bounced_recipients: list[_Recipient] = Field(default=[], alias="bouncedRecipients")


class _Complaint(_Timed):
    complained_recipients: list[_Recipient] = Field(default=[], alias="complainedRecipients")


class SesEvent(_Edge):
    """One SES event or notification, as much of it as the hub reads."""

    event_type: str | None = Field(default=None, alias="eventType")
    notification_type: str | None = Field(default=None, alias="notificationType")
    mail: _Mail
    bounce: _Bounce | None = None
    complaint: _Complaint | None = None
    delivery: _Timed | None = None
    delivery_delay: _Timed | None = Field(default=None, alias="deliveryDelay")

    @property
    def kind(self) -> str:
        return self.event_type or self.notification_type or ""


# Event types whose status needs nothing but the type. Open, Click and Subscription are not
# delivery state (and the configuration set does not publish them).
SIMPLE_STATUS = {
    "Send": NoticeStatus.SENT,
    "Delivery": NoticeStatus.DELIVERED,
    "DeliveryDelay": NoticeStatus.DELAYED,
    "Reject": NoticeStatus.REJECTED,  # SES found a virus and did not try to deliver
    "Rendering Failure": NoticeStatus.FAILED,
}


def delivery_report(event: SesEvent) -> DeliveryReport | None:
    """What the event means for the notice; None for events that are not delivery state."""
    kind, mail = event.kind, event.mail
    if kind == "Bounce" and event.bounce is not None:
        return _bounce_report(mail, event.bounce)
    if kind == "Complaint" and event.complaint is not None:
        addresses = [r.email_address for r in event.complaint.complained_recipients] or mail.destination
        return DeliveryReport(
            mail.message_id,
            NoticeStatus.COMPLAINED,
            _when(event.complaint, mail),
            SuppressionReason.COMPLAINED,
            tuple(addresses),
        )
    if kind in SIMPLE_STATUS:
        detail = event.delivery if kind == "Delivery" else event.delivery_delay
        return DeliveryReport(mail.message_id, SIMPLE_STATUS[kind], _when(detail, mail))
    return None


def _bounce_report(mail: _Mail, bounce: _Bounce) -> DeliveryReport:
    if bounce.bounce_type != "Permanent":
        # A transient (or undetermined) bounce: SES may still deliver; suppress nobody.
        return DeliveryReport(mail.message_id, NoticeStatus.DELAYED, _when(bounce, mail))
    addresses = [r.email_address for r in bounce.bounced_recipients] or mail.destination
    return DeliveryReport(
        mail.message_id, NoticeStatus.BOUNCED, _when(bounce, mail), SuppressionReason.BOUNCED, tuple(addresses)
    )


def _when(detail: _Timed | None, mail: _Mail) -> dt.datetime:
    moment = (detail.timestamp if detail else None) or mail.timestamp
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def read_ses_event(message: str) -> SesEvent | None:
    """The queued message as an SES event; None (logged by field and error type only) if it is not one."""
    try:
        return SesEvent.model_validate(_unwrapped(json.loads(message)))
    except json.JSONDecodeError:
        logger.warning("ses event unreadable", extra={"error": "not_json"})
    except ValidationError as error:
        # Locations and error types only: the input may hold addresses.
        problems = [f"{'.'.join(map(str, e['loc']))}:{e['type']}" for e in error.errors(include_input=False)]
        logger.warning("ses event unreadable", extra={"error": "invalid", "problems": problems})
    return None


def _unwrapped(body: Any) -> Any:
    """The SES event inside an SNS notification (a subscription without raw delivery), else the body."""
    if isinstance(body, dict) and body.get("Type") == "Notification" and isinstance(body.get("Message"), str):
        return json.loads(body["Message"])
    return body


def record_ses_message(body: str) -> str:
    """Record one queued SES event; returns the outcome. Raises if recording failed (an AWS error):
    the message then goes back to the queue. An unreadable or irrelevant event is not retried: the
    same message would fail the same way."""
    from chalicelib.services.record_delivery_event import record_delivery_event
    from chalicelib.wiring import wiring

    parsed = read_ses_event(body)
    report = delivery_report(parsed) if parsed else None
    if parsed is None or report is None:
        outcome = "unreadable" if parsed is None else "ignored"
        logger.info("ses event", extra={"outcome": outcome, "event": parsed.kind if parsed else None})
        return outcome
    hub = wiring()
    outcome = record_delivery_event(report, hub.referrals, hub.suppressions, hub.clock()).value
    logger.info(
        "ses event",
        extra={
            "outcome": outcome,  # "unmatched" is the count to watch: a metric filter on it alarms
            "event": parsed.kind,
            "ses_message_id": report.message_id,
            "status": report.status.value,
            "suppressed": len(report.addresses),
        },
    )
    return outcome
