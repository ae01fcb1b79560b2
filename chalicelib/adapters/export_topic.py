"""The export hop's two AWS ends: the topic the outbox sweep publishes each owed export to, and the
export queue's visibility, which the export function stretches to back off before SQS tries again.
A message names the export only (reference and export id): the document is built by the export
function from the table, so no personal data is in SNS or SQS."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from chalicelib.adapters.aws import AwsError, aws_errors

# SQS's longest visibility timeout (12 hours); a backoff never asks for more.
MAX_VISIBILITY_SECONDS = 12 * 3600


def export_message(reference: str, export_id: str) -> str:
    return json.dumps({"reference": reference, "export_id": export_id})


class ExportTopic:
    def publish(self, reference: str, export_id: str) -> None:
        """Hand one export to the topic; raises AwsError when SNS did not take it."""
        raise NotImplementedError

    def retry_after(self, queue_arn: str, receipt_handle: str, seconds: int) -> None:
        """Keep a received message out of sight for `seconds` before SQS hands it over again."""
        raise NotImplementedError


def queue_url(queue_arn: str) -> str:
    """arn:aws:sqs:<region>:<account>:<name> as its URL, without a GetQueueUrl call."""
    _arn, partition, _sqs, region, account, name = queue_arn.split(":")
    domain = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return f"https://sqs.{region}.{domain}/{account}/{name}"


class SnsExportTopic(ExportTopic):
    def __init__(self, sns_client: Any, sqs_client: Any, topic_arn: str | None) -> None:
        self._sns = sns_client
        self._sqs = sqs_client
        self._topic_arn = topic_arn

    def publish(self, reference: str, export_id: str) -> None:
        if not self._topic_arn:
            raise AwsError("sns", "TopicNotConfigured", retryable=False)  # MASH_EXPORT_TOPIC_ARN unset
        with aws_errors("sns"):
            self._sns.publish(TopicArn=self._topic_arn, Message=export_message(reference, export_id))

    def retry_after(self, queue_arn: str, receipt_handle: str, seconds: int) -> None:
        with aws_errors("sqs"):
            self._sqs.change_message_visibility(
                QueueUrl=queue_url(queue_arn),
                ReceiptHandle=receipt_handle,
                VisibilityTimeout=min(seconds, MAX_VISIBILITY_SECONDS),
            )


@dataclass
class InMemoryExportTopic(ExportTopic):
    """The tests' topic and queue: the message bodies published, in order (the tests deliver them to
    the export function's service); `fail_next` makes the next publishes fail as SNS throttling would."""

    published: list[str] = field(default_factory=list)
    fail_next: int = 0
    delays: list[int] = field(default_factory=list)

    def publish(self, reference: str, export_id: str) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise AwsError("sns", "Throttling", retryable=True)
        self.published.append(export_message(reference, export_id))

    def retry_after(self, queue_arn: str, receipt_handle: str, seconds: int) -> None:
        self.delays.append(seconds)
