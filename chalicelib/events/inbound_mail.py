"""Agency replies: SES stores each inbound message in S3 under inbound/, the bucket notifies an SQS
queue, and this handler takes it from there (chalicelib/services/receive_reply.py)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.events.batch import each_message
from chalicelib.events.queues import INBOUND_MAIL_FUNCTION, INBOUND_MAIL_QUEUE

inbound_mail_events = Blueprint(__name__)


def _handle(record: object) -> None:
    from chalicelib.services.receive_reply import receive_notification

    receive_notification(record.body)  # type: ignore[attr-defined]


@inbound_mail_events.on_sqs_message(queue=INBOUND_MAIL_QUEUE, batch_size=5, name=INBOUND_MAIL_FUNCTION)
def inbound_mail(event: object) -> dict[str, list]:
    return each_message(event, _handle, handler=INBOUND_MAIL_FUNCTION)  # type: ignore[arg-type]
