"""Documents a referrer adds: their presigned POSTs land in the uploads bucket under uploads/, the
bucket notifies the uploads queue, and this handler checks each file by content and keeps or
refuses it (chalicelib/services/referral_attachments.py)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.events.batch import each_message
from chalicelib.events.queues import UPLOADS_FUNCTION, UPLOADS_QUEUE

uploads_events = Blueprint(__name__)


def _handle(record: object) -> None:
    from chalicelib.services.referral_attachments import receive_upload_notification

    receive_upload_notification(record.body)  # type: ignore[attr-defined]


@uploads_events.on_sqs_message(queue=UPLOADS_QUEUE, batch_size=5, name=UPLOADS_FUNCTION)
def uploads(event: object) -> dict[str, list]:
    return each_message(event, _handle, handler=UPLOADS_FUNCTION)  # type: ignore[arg-type]
