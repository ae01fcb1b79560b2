"""The local event pump: does for the app's event handlers what AWS does in the cloud.

`chalice local` serves HTTP only. Here every handler in `app.event_sources` is wired to the
emulator (moto) and fed real-shaped Lambda events:
- `@schedule`: invoked every few seconds with a "Scheduled Event" (the rate is not honoured:
  locally you want the outbox to move now, not in a minute).
- `@on_sqs_message`: the queue is polled; batches go to the handler as an SQS event; messages
  are deleted on success, kept on a raised error, and only the failed ones kept when the handler
  returns a partial batch response (`batchItemFailures`), as Lambda's SQS poller does.
- `@on_sns_message`: the topic gets a private SQS subscription (not raw) and each notification
  goes to the handler as an SNS event, one record per invocation as SNS does.
- `@on_s3_event`: the bucket notifies a private SQS queue (moto delivers S3 -> SQS itself) and
  each notification's Records go to the handler as an S3 event.
- `@on_cw_event`: an EventBridge rule with the handler's pattern targets a private queue.
Asynchronous sources (SNS, S3, EventBridge) are tried 3 times, then dropped with a log line,
like Lambda's async retries. Kinesis and DynamoDB stream handlers are not delivered locally.
Logs carry handler names, message ids and outcomes only: bodies can hold personal data.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from chalice.app import (
    BaseEventSourceConfig,
    Chalice,
    CloudWatchEventConfig,
    S3EventConfig,
    ScheduledEventConfig,
    SNSEventConfig,
    SQSEventConfig,
)

log = logging.getLogger("local.pump")

ClientFactory = Callable[[str], Any]
ACCOUNT_ID = "123456789012"  # moto's default account
ASYNC_ATTEMPTS = 3  # Lambda tries an asynchronous event 3 times in all
MAX_BATCHES_PER_CYCLE = 50  # a bound so a handler that re-queues forever can't wedge a cycle


@dataclass(frozen=True)
class QueueRoute:
    """One polled queue and the handler its messages go to, in the shape `kind` says."""

    handler_name: str
    kind: str  # "sqs" | "sns" | "s3" | "cw"
    queue_url: str
    queue_arn: str
    batch_size: int = 1
    subscription_arn: str = ""


class LocalLambdaContext:
    """What handlers may read from the Lambda context object."""

    def __init__(self, function_name: str, region: str, timeout_ms: int = 60_000) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{function_name}"
        self.memory_limit_in_mb = 1024
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = dt.datetime.now(dt.UTC) + dt.timedelta(milliseconds=timeout_ms)

    def get_remaining_time_in_millis(self) -> int:
        left = self._deadline - dt.datetime.now(dt.UTC)
        return max(0, int(left.total_seconds() * 1000))


class EventPump:
    """Discovers the app's event handlers, wires them to the emulator and delivers events."""

    def __init__(
        self,
        app: Chalice,
        client: ClientFactory,
        region: str,
        stage: str = "local",
        retry_delay_seconds: int = 1,
    ) -> None:
        self._app = app
        self._retry_delay = retry_delay_seconds
        self._client = client
        self._region = region
        self._stage = stage
        self._lock = threading.Lock()
        self.schedules: list[str] = []
        self.routes: list[QueueRoute] = []
        self.undelivered: list[str] = []

    # -- wiring -------------------------------------------------------------------------------

    def wire(self) -> None:
        """Create the queues, topics, buckets and rules the handlers name; safe to call twice."""
        self.schedules, self.routes, self.undelivered = [], [], []
        s3_configs: list[S3EventConfig] = []
        for source in self._app.event_sources:
            if isinstance(source, ScheduledEventConfig):
                self.schedules.append(source.name)
            elif isinstance(source, SQSEventConfig):
                self.routes.append(self._wire_sqs(source))
            elif isinstance(source, SNSEventConfig):
                self.routes.append(self._wire_sns(source))
            elif isinstance(source, S3EventConfig):
                s3_configs.append(source)
            elif isinstance(source, CloudWatchEventConfig):
                self.routes.append(self._wire_cloudwatch(source))
            else:
                self._note_undelivered(source)
        self.routes.extend(self._wire_s3(s3_configs))

    def _note_undelivered(self, source: BaseEventSourceConfig) -> None:
        self.undelivered.append(source.name)
        log.warning("event handler %s (%s) is not delivered locally", source.name, type(source).__name__)

    def _ensure_queue(self, name: str) -> tuple[str, str]:
        sqs = self._client("sqs")
        attributes = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    def _wire_sqs(self, source: SQSEventConfig) -> QueueRoute:
        name = source.queue or str(source.queue_arn).rsplit(":", 1)[-1]
        url, arn = self._ensure_queue(name)
        return QueueRoute(source.name, "sqs", url, arn, batch_size=min(source.batch_size, 10))

    def _wire_sns(self, source: SNSEventConfig) -> QueueRoute:
        topic_name = source.topic.rsplit(":", 1)[-1]
        topic_arn = self._client("sns").create_topic(Name=topic_name)["TopicArn"]
        url, arn = self._ensure_queue(f"local-sns-{source.name}")
        subscription = self._client("sns").subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True
        )
        return QueueRoute(source.name, "sns", url, arn, subscription_arn=subscription["SubscriptionArn"])

    def _wire_s3(self, configs: list[S3EventConfig]) -> list[QueueRoute]:
        routes: list[QueueRoute] = []
        by_bucket: dict[str, list[dict[str, Any]]] = {}
        for source in configs:
            url, arn = self._ensure_queue(f"local-s3-{source.name}")
            routes.append(QueueRoute(source.name, "s3", url, arn))
            by_bucket.setdefault(source.bucket, []).append(_queue_notification(source, arn))
        s3 = self._client("s3")
        for bucket, queue_configs in by_bucket.items():
            self._ensure_bucket(bucket)
            # One call per bucket: the notification configuration replaces, it does not add.
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={"QueueConfigurations": queue_configs}
            )
        return routes

    def _ensure_bucket(self, bucket: str) -> None:
        s3 = self._client("s3")
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": self._region})

    def _wire_cloudwatch(self, source: CloudWatchEventConfig) -> QueueRoute:
        url, arn = self._ensure_queue(f"local-cw-{source.name}")
        events = self._client("events")
        rule = f"local-{source.name}"
        events.put_rule(Name=rule, EventPattern=json.dumps(source.event_pattern))
        events.put_targets(Rule=rule, Targets=[{"Id": "pump", "Arn": arn}])
        return QueueRoute(source.name, "cw", url, arn)

    def route_for(self, handler_name: str) -> QueueRoute:
        return next(route for route in self.routes if route.handler_name == handler_name)

    # -- delivery -----------------------------------------------------------------------------

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Nothing is delivered inside (the pump thread waits): a test can read the queues as the
        emulator holds them. Do not call `pump_once` inside: it would wait for itself."""
        with self._lock:
            yield

    def pump_once(self, schedules: bool = True) -> int:
        """One cycle, synchronously: schedules (if asked), then every queue until drained.

        Returns how many handler invocations were made.
        """
        with self._lock:
            invocations = 0
            if schedules:
                for name in self.schedules:
                    invocations += self._invoke(name, self._scheduled_event(name))
            for route in self.routes:
                invocations += self._drain(route)
            return invocations

    def _drain(self, route: QueueRoute) -> int:
        invocations = 0
        for _ in range(MAX_BATCHES_PER_CYCLE):
            messages = (
                self._client("sqs")
                .receive_message(
                    QueueUrl=route.queue_url,
                    MaxNumberOfMessages=route.batch_size if route.kind == "sqs" else 1,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                    WaitTimeSeconds=0,
                )
                .get("Messages", [])
            )
            if not messages:
                break
            invocations += len(messages) if route.kind != "sqs" else 1
            self._deliver(route, messages)
        return invocations

    def _deliver(self, route: QueueRoute, messages: list[dict[str, Any]]) -> None:
        if route.kind == "sqs":
            self._deliver_sqs(route, messages)
        else:
            for message in messages:
                self._deliver_async(route, message)

    def _deliver_sqs(self, route: QueueRoute, messages: list[dict[str, Any]]) -> None:
        event = {"Records": [self._sqs_record(route, m) for m in messages]}
        try:
            result = self._call(route.handler_name, event)
        except Exception as exc:  # as Lambda: any handler error keeps the batch
            log.warning(
                "%s failed (%s): %d message(s) left on the queue", route.handler_name, type(exc).__name__, len(messages)
            )
            return
        failed = _batch_item_failures(result)
        done = [m for m in messages if m["MessageId"] not in failed]
        self._delete(route, done)
        if failed:
            log.warning("%s reported %d failed message(s); left on the queue", route.handler_name, len(failed))

    def _deliver_async(self, route: QueueRoute, message: dict[str, Any]) -> None:
        event = self._async_event(route, message)
        if event is None:  # e.g. S3's "s3:TestEvent" on configuration: nothing to deliver
            self._delete(route, [message])
            return
        try:
            self._call(route.handler_name, event)
        except Exception as exc:  # as Lambda: any handler error is retried
            attempts = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
            if attempts < ASYNC_ATTEMPTS:
                log.warning(
                    "%s failed (%s) on attempt %d; will retry", route.handler_name, type(exc).__name__, attempts
                )
                self._retry_soon(route, message)
                return
            log.error("%s failed (%s) %d times; event dropped", route.handler_name, type(exc).__name__, attempts)
        self._delete(route, [message])

    def _retry_soon(self, route: QueueRoute, message: dict[str, Any]) -> None:
        # Visible again soon rather than after the queue's 30 s visibility timeout.
        self._client("sqs").change_message_visibility(
            QueueUrl=route.queue_url,
            ReceiptHandle=message["ReceiptHandle"],
            VisibilityTimeout=self._retry_delay,
        )

    def _delete(self, route: QueueRoute, messages: list[dict[str, Any]]) -> None:
        if not messages:
            return
        self._client("sqs").delete_message_batch(
            QueueUrl=route.queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )

    def _invoke(self, name: str, event: dict[str, Any]) -> int:
        try:
            self._call(name, event)
        except Exception as exc:  # a failing schedule just runs again next cycle
            log.warning("%s failed (%s)", name, type(exc).__name__)
        return 1

    def _call(self, handler_name: str, event: dict[str, Any]) -> Any:
        handler = self._app.handler_map[handler_name]
        context = LocalLambdaContext(f"{self._app.app_name}-{self._stage}-{handler_name}", self._region)
        log.debug("invoking %s (request %s)", handler_name, context.aws_request_id)
        return handler(event, context)

    # -- event shapes (as Lambda receives them) -----------------------------------------------

    def _scheduled_event(self, name: str) -> dict[str, Any]:
        rule = f"arn:aws:events:{self._region}:{ACCOUNT_ID}:rule/{self._app.app_name}-{self._stage}-{name}"
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": _now_iso(),
            "region": self._region,
            "resources": [rule],
            "detail": {},
        }

    def _sqs_record(self, route: QueueRoute, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: _lambda_message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": route.queue_arn,
            "awsRegion": self._region,
        }

    def _async_event(self, route: QueueRoute, message: dict[str, Any]) -> dict[str, Any] | None:
        body = json.loads(message["Body"])
        if route.kind == "sns":
            return {"Records": [_sns_record(body, route.subscription_arn)]}
        if route.kind == "s3":
            return {"Records": body["Records"]} if body.get("Records") else None
        return body  # EventBridge delivers the event itself as the message body


def _queue_notification(source: S3EventConfig, queue_arn: str) -> dict[str, Any]:
    rules = [
        {"Name": name, "Value": value}
        for name, value in (("prefix", source.prefix), ("suffix", source.suffix))
        if value
    ]
    notification: dict[str, Any] = {"QueueArn": queue_arn, "Events": source.events}
    if rules:
        notification["Filter"] = {"Key": {"FilterRules": rules}}
    return notification


def _sns_record(notification: dict[str, Any], subscription_arn: str) -> dict[str, Any]:
    """An SNS-to-Lambda record from the JSON SNS puts on an SQS subscription."""
    return {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn,
        "Sns": {
            "Type": notification.get("Type", "Notification"),
            "MessageId": notification["MessageId"],
            "TopicArn": notification["TopicArn"],
            "Subject": notification.get("Subject"),
            "Message": notification["Message"],
            "Timestamp": notification.get("Timestamp", _now_iso()),
            "SignatureVersion": notification.get("SignatureVersion", "1"),
            "Signature": notification.get("Signature", "EXAMPLE"),
            "SigningCertUrl": notification.get("SigningCertURL", ""),
            "UnsubscribeUrl": notification.get("UnsubscribeURL", ""),
            "MessageAttributes": notification.get("MessageAttributes", {}),
        },
    }


def _lambda_message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """SQS API casing (StringValue) to the Lambda event's (stringValue)."""
    attribute: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        import base64

        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return attribute


def _batch_item_failures(result: Any) -> set[str]:
    if isinstance(result, dict):
        return {str(item.get("itemIdentifier")) for item in result.get("batchItemFailures", [])}
    return set()


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
