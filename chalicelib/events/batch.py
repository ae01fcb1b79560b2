"""SQS batches with partial failure: a message that fails goes back to its queue (and, after the
queue's receive limit, to its dead-letter queue); the others in the batch are not repeated.

The function's event source mapping must report batch item failures (deploy/template.py sets
`FunctionResponseTypes: [ReportBatchItemFailures]`); the local pump honours the same answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from chalicelib.logs import logger


def each_message(records: Iterable[Any], handle: Callable[[Any], None], *, handler: str) -> dict[str, list]:
    failures = []
    for record in records:
        message_id = record.to_dict().get("messageId", "")
        try:
            handle(record)
        except Exception as error:  # any failure: retried by SQS, then dead-lettered
            # The type only: an exception's text can carry what the message held.
            logger.warning(
                "message not processed: left on the queue",
                extra={"handler": handler, "message_id": message_id, "error": type(error).__name__},
            )
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}
