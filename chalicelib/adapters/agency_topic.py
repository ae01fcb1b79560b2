"""The enquiry topic: one message per enquiry, the agency as a message attribute (the queues'
filter policies route on it). The body names the enquiry only; no personal data leaves the table."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.aws import AwsError, translate
from chalicelib.domain.agencies import AgencyId

BATCH_LIMIT = 10  # SNS PublishBatch takes at most 10 entries


@dataclass(frozen=True)
class EnquiryMessage:
    reference: str
    enquiry_id: str
    agency: AgencyId

    @property
    def entry_id(self) -> str:
        return f"{self.reference}-{self.enquiry_id}"

    def body(self) -> str:
        return json.dumps({"reference": self.reference, "enquiry_id": self.enquiry_id})


class AgencyTopic:
    def publish(self, messages: list[EnquiryMessage]) -> dict[str, str | None]:
        """Publish in batches; returns each message's entry id -> None if published, else an error code."""
        raise NotImplementedError


class SnsAgencyTopic(AgencyTopic):
    def __init__(self, sns_client: Any, topic_arn: str | None) -> None:
        self._sns = sns_client
        self._topic_arn = topic_arn

    def publish(self, messages: list[EnquiryMessage]) -> dict[str, str | None]:
        if not self._topic_arn:
            raise AwsError("sns", "TopicNotConfigured", retryable=False)  # MASH_AGENCY_TOPIC_ARN unset
        outcome: dict[str, str | None] = {}
        for start in range(0, len(messages), BATCH_LIMIT):
            batch = messages[start : start + BATCH_LIMIT]
            try:
                answer = self._sns.publish_batch(
                    TopicArn=self._topic_arn,
                    PublishBatchRequestEntries=[
                        {
                            "Id": m.entry_id,
                            "Message": m.body(),
                            "MessageAttributes": {"agency": {"DataType": "String", "StringValue": m.agency.value}},
                        }
                        for m in batch
                    ],
                )
            except Exception as exc:
                error = translate("sns", exc)
                outcome.update({m.entry_id: error.code for m in batch})
                continue
            outcome.update({entry["Id"]: None for entry in answer.get("Successful", [])})
            outcome.update({entry["Id"]: entry.get("Code", "Failed") for entry in answer.get("Failed", [])})
        return outcome


class InMemoryAgencyTopic(AgencyTopic):
    """Keeps what was published; `fail_next` makes the next publish calls fail, as SNS throttling would."""

    def __init__(self) -> None:
        self.published: list[EnquiryMessage] = []
        self.calls = 0
        self.fail_next = 0

    def publish(self, messages: list[EnquiryMessage]) -> dict[str, str | None]:
        outcome: dict[str, str | None] = {}
        for start in range(0, len(messages), BATCH_LIMIT):
            batch = messages[start : start + BATCH_LIMIT]
            self.calls += 1
            if self.fail_next:
                self.fail_next -= 1
                outcome.update({m.entry_id: "Throttling" for m in batch})
                continue
            self.published.extend(batch)
            outcome.update({m.entry_id: None for m in batch})
        return outcome
