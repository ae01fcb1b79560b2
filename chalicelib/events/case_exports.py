"""Exports to the case-management system, from the export queue (subscribed raw to the export topic
the outbox sweep publishes to). Wiring only: chalicelib/services/receive_export.py delivers each one.

A message whose receiver should be tried again is reported as a batch item failure (after the
service has stretched its visibility: the backoff); after MAX_RECEIVES_BEFORE_DLQ receives the
service fails the export for good with a task, and only a message it could not even record goes to
the dead-letter queue (the sweep hands that export over again when its lease runs out).
"""

from __future__ import annotations

from chalice import Blueprint
from chalice.app import SQSEvent, SQSRecord

from chalicelib.events.batch import each_message
from chalicelib.events.queues import EXPORTS_FUNCTION, EXPORTS_QUEUE, MAX_RECEIVES_BEFORE_DLQ

case_exports_events = Blueprint(__name__)
# One export per invocation: each builds a document and waits on the receiver (up to its timeout).
BATCH_SIZE = 1


def _handle(record: SQSRecord) -> None:
    from chalicelib.services.receive_export import ExportMessage, receive_export

    raw = record.to_dict()
    message = ExportMessage(
        body=record.body,
        receive_count=int(raw.get("attributes", {}).get("ApproximateReceiveCount", "1")),
        queue_arn=str(raw.get("eventSourceARN", "")),
        receipt_handle=record.receipt_handle,
    )
    receive_export(message, last_receive=MAX_RECEIVES_BEFORE_DLQ)


@case_exports_events.on_sqs_message(queue=EXPORTS_QUEUE, batch_size=BATCH_SIZE, name=EXPORTS_FUNCTION)
def case_exports(event: SQSEvent) -> dict[str, list]:
    return each_message(event, _handle, handler=EXPORTS_FUNCTION)
