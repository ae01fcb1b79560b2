"""SES sending events recorded against notices.

The configuration set publishes each event to the SES events topic, which delivers it to the mail
events queue with raw message delivery (deploy/template.py): the SQS body is the SES event JSON
itself. A body that is a whole SNS notification (a subscription without raw delivery) is read too,
from its `Message`. The queue keeps an event while the handler fails: a message whose recording
fails (DynamoDB throttled, KMS unavailable) is reported as a batch item failure and retried, then
dead-lettered; one that can never be read is logged and dropped.

Both shapes SES sends are read: event publishing (`eventType`, from a configuration set) and
the older identity notifications (`notificationType`: Delivery, Bounce, Complaint). The JSON
holds recipient addresses: they go to the suppression list only, never to a log line.
"""

from __future__ import annotations

from chalice import Blueprint
from chalice.app import SQSEvent, SQSRecord

from chalicelib.events.batch import each_message
from chalicelib.events.queues import MAIL_EVENTS_QUEUE

ses_events = Blueprint(__name__)
HANDLER = "ses_events"
# A handful of small DynamoDB writes per event: ten fit the function's timeout many times over.
BATCH_SIZE = 10


def _handle(record: SQSRecord) -> None:
    # Loaded on the first event, not at import (a cold start): chalicelib/events/ses_event_reading.py.
    from chalicelib.events.ses_event_reading import record_ses_message

    record_ses_message(record.body)


@ses_events.on_sqs_message(queue=MAIL_EVENTS_QUEUE, batch_size=BATCH_SIZE, name=HANDLER)
def on_ses_event(event: SQSEvent) -> dict[str, list]:
    return each_message(event, _handle, handler=HANDLER)
