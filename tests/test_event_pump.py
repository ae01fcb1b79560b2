"""The local event pump delivers each kind of event to its handler as AWS would (in-process moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice import Chalice, Rate

from local.pump import EventPump
from tests.emulated_aws import emulated_aws

REGION = "eu-west-2"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with emulated_aws():
        yield lambda service: boto3.client(service, region_name=REGION)


class Recorder:
    """A tiny app with one handler of each kind; remembers the events each received."""

    def __init__(self) -> None:
        self.app = Chalice(app_name="pump-test")
        self.seen: dict[str, list[Any]] = {}
        self.fail_bodies: set[str] = set()
        app = self.app

        @app.schedule(Rate(1, unit=Rate.MINUTES))
        def every_minute(event: Any) -> None:
            self._record("schedule", event.to_dict())

        @app.on_sqs_message(queue="work", batch_size=5)
        def work(event: Any) -> dict[str, Any]:
            failures = []
            for record in event:
                self._record("sqs", record.to_dict())
                if record.body in self.fail_bodies:
                    failures.append({"itemIdentifier": record.to_dict()["messageId"]})
            return {"batchItemFailures": failures}

        @app.on_sns_message(topic="notices")
        def notices(event: Any) -> None:
            self._record("sns", event.to_dict())

        @app.on_s3_event(bucket="inbound-mail", prefix="mail/")
        def inbound(event: Any) -> None:
            self._record("s3", {"bucket": event.bucket, "key": event.key})

    def _record(self, kind: str, value: Any) -> None:
        self.seen.setdefault(kind, []).append(value)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def pump(aws: Any, recorder: Recorder) -> EventPump:
    pump = EventPump(recorder.app, aws, REGION)
    pump.wire()
    return pump


def queue_url(aws: Any, name: str) -> str:
    return aws("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def test_handlers_are_discovered_from_the_app_and_their_queues_created(pump: EventPump, aws: Any) -> None:
    assert pump.schedules == ["every_minute"]
    assert {route.kind for route in pump.routes} == {"sqs", "sns", "s3"}
    assert queue_url(aws, "work")


def test_schedule_gets_a_scheduled_event(pump: EventPump, recorder: Recorder) -> None:
    pump.pump_once()
    (event,) = recorder.seen["schedule"]
    assert event["detail-type"] == "Scheduled Event"
    assert event["resources"][0].endswith("rule/pump-test-local-every_minute")


def test_sqs_messages_arrive_as_a_real_shaped_batch_and_are_deleted(
    pump: EventPump, recorder: Recorder, aws: Any
) -> None:
    url = queue_url(aws, "work")
    aws("sqs").send_message(
        QueueUrl=url,
        MessageBody="one",
        MessageAttributes={"agency": {"DataType": "String", "StringValue": "police"}},
    )
    pump.pump_once(schedules=False)
    (record,) = recorder.seen["sqs"]
    assert record["body"] == "one"
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":work")
    assert record["receiptHandle"] and record["messageId"]
    assert record["messageAttributes"]["agency"]["stringValue"] == "police"
    assert aws("sqs").receive_message(QueueUrl=url).get("Messages") is None


def test_partial_batch_failure_keeps_only_the_failed_message(pump: EventPump, recorder: Recorder, aws: Any) -> None:
    url = queue_url(aws, "work")
    recorder.fail_bodies = {"bad"}
    for body in ("good", "bad"):
        aws("sqs").send_message(QueueUrl=url, MessageBody=body)
    pump.pump_once(schedules=False)
    counts = aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    # "good" deleted; "bad" still in flight, back on the queue after its visibility timeout.
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == ("0", "1")


def test_sns_publish_reaches_the_handler_as_an_sns_event(pump: EventPump, recorder: Recorder, aws: Any) -> None:
    topic = aws("sns").create_topic(Name="notices")["TopicArn"]
    aws("sns").publish(TopicArn=topic, Message=json.dumps({"notice": "N1"}), Subject="hello")
    pump.pump_once(schedules=False)
    (event,) = recorder.seen["sns"]
    sns = event["Records"][0]["Sns"]
    assert json.loads(sns["Message"]) == {"notice": "N1"}
    assert sns["TopicArn"] == topic
    assert event["Records"][0]["EventSource"] == "aws:sns"


def test_s3_object_created_reaches_the_handler_through_the_bucket_notification(
    pump: EventPump, recorder: Recorder, aws: Any
) -> None:
    aws("s3").put_object(Bucket="inbound-mail", Key="mail/abc", Body=b"MIME")
    aws("s3").put_object(Bucket="inbound-mail", Key="other/xyz", Body=b"ignored: outside the prefix")
    pump.pump_once(schedules=False)
    assert recorder.seen["s3"] == [{"bucket": "inbound-mail", "key": "mail/abc"}]


def test_a_failing_async_handler_is_tried_three_times_then_dropped(aws: Any, recorder: Recorder) -> None:
    calls: list[int] = []

    def always_fails(event: Any, context: Any) -> None:
        calls.append(1)
        raise RuntimeError("boom")

    recorder.app.handler_map["notices"] = always_fails
    impatient = EventPump(recorder.app, aws, REGION, retry_delay_seconds=0)
    impatient.wire()
    topic = aws("sns").create_topic(Name="notices")["TopicArn"]
    aws("sns").publish(TopicArn=topic, Message="x")
    impatient.pump_once(schedules=False)
    assert len(calls) == 3
    route = next(r for r in impatient.routes if r.kind == "sns")
    assert aws("sqs").receive_message(QueueUrl=route.queue_url).get("Messages") is None


def test_failed_messages_go_to_the_dead_letter_queue_after_the_receive_limit(aws: Any, recorder: Recorder) -> None:
    sqs = aws("sqs")
    dlq = sqs.create_queue(QueueName="work-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url = sqs.create_queue(QueueName="work", Attributes={"VisibilityTimeout": "0", "RedrivePolicy": redrive})[
        "QueueUrl"
    ]
    pump = EventPump(recorder.app, aws, REGION)
    pump.wire()  # finds the queue as it is: its redrive policy stays
    recorder.fail_bodies = {"bad"}
    for body in ("good", "bad"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    pump.pump_once(schedules=False)
    bodies = [r["body"] for r in recorder.seen["sqs"]]
    assert bodies.count("good") == 1 and bodies.count("bad") == 2  # tried twice, then dead-lettered
    assert sqs.receive_message(QueueUrl=url).get("Messages") is None
    (dead,) = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert dead["Body"] == "bad"


# -- The hub's own handlers, on the resources local/resources.py creates --------------------------


@pytest.fixture
def hub(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    from chalicelib import wiring
    from local.resources import create_resources

    created = create_resources(wiring.reset().settings, aws)
    monkeypatch.setenv("MASH_AGENCY_TOPIC_ARN", created["agency_topic_arn"])
    yield wiring.reset()
    wiring.reset()


def agency_queue_counts(aws: Any) -> dict[str, int]:
    from chalicelib.domain.agencies import AgencyId
    from chalicelib.events.queues import agency_queue

    counts = {}
    for agency in AgencyId:
        attributes = aws("sqs").get_queue_attributes(
            QueueUrl=queue_url(aws, agency_queue(agency)), AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        counts[agency.value] = int(attributes["ApproximateNumberOfMessages"])
    return counts


def test_an_enquiry_published_for_the_police_reaches_only_the_police_queue_raw(hub: Any, aws: Any) -> None:
    # The app's own adapter (PublishBatch with the agency attribute) and moto's filter policies.
    from chalicelib.adapters.agency_topic import EnquiryMessage
    from chalicelib.domain.agencies import AgencyId
    from chalicelib.events.queues import agency_queue

    outcome = hub.agency_topic.publish([EnquiryMessage("K7Q-F3M-RW9", "e1", AgencyId.POLICE)])
    assert outcome == {"K7Q-F3M-RW9-e1": None}
    counts = agency_queue_counts(aws)
    assert counts == {agency.value: int(agency is AgencyId.POLICE) for agency in AgencyId}
    (message,) = aws("sqs").receive_message(
        QueueUrl=queue_url(aws, agency_queue(AgencyId.POLICE)), MessageAttributeNames=["All"]
    )["Messages"]
    assert json.loads(message["Body"]) == {"reference": "K7Q-F3M-RW9", "enquiry_id": "e1"}  # raw: no SNS envelope
    assert message["MessageAttributes"]["agency"]["StringValue"] == "police"


def test_each_agency_queue_has_a_dead_letter_queue(hub: Any, aws: Any) -> None:
    from chalicelib.domain.agencies import AgencyId
    from chalicelib.events.queues import INBOUND_MAIL_QUEUE, agency_queue

    for name in [*(agency_queue(a) for a in AgencyId), INBOUND_MAIL_QUEUE]:
        attributes = aws("sqs").get_queue_attributes(QueueUrl=queue_url(aws, name), AttributeNames=["All"])
        redrive = json.loads(attributes["Attributes"]["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"].endswith(f":{name}-dlq"), name
        assert int(redrive["maxReceiveCount"]) == 5


def test_the_pump_delivers_each_agency_queue_and_the_inbound_queue_to_its_handler(
    hub: Any, aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import app
    from chalicelib.adapters.agency_topic import EnquiryMessage
    from chalicelib.domain.agencies import AgencyId
    from chalicelib.events.queues import INBOUND_MAIL_FUNCTION, agency_function

    seen: dict[str, list[str]] = {}

    def recording(name: str) -> Any:
        def handler(event: dict[str, Any], context: Any) -> dict[str, list]:
            seen.setdefault(name, []).extend(record["body"] for record in event["Records"])
            return {"batchItemFailures": []}

        return handler

    names = [agency_function(a) for a in AgencyId] + [INBOUND_MAIL_FUNCTION]
    for name in names:
        monkeypatch.setitem(app.handler_map, name, recording(name))
    pump = EventPump(app, aws, REGION)
    pump.wire()
    assert {pump.route_for(name).kind for name in names} == {"sqs"}
    hub.agency_topic.publish([EnquiryMessage("K7Q-F3M-RW9", f"e{i}", a) for i, a in enumerate(AgencyId, 1)])
    aws("s3").put_object(Bucket=hub.settings.inbound_mail_bucket, Key="inbound/abc", Body=b"MIME")
    pump.pump_once(schedules=False)
    for i, agency in enumerate(AgencyId, 1):
        assert [json.loads(b)["enquiry_id"] for b in seen[agency_function(agency)]] == [f"e{i}"]
    notifications = [json.loads(body) for body in seen[INBOUND_MAIL_FUNCTION]]
    keys = [r["s3"]["object"]["key"] for n in notifications for r in n.get("Records", [])]
    assert [key.replace("%2F", "/") for key in keys] == ["inbound/abc"]  # moto URL-encodes the "/"


# -- SES sending events: topic -> mail events queue (raw) -> ses_events -------------------------


@pytest.fixture
def mail_hub(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The hub's resources with a configuration set, as `make run` has: the SES events topic and its queue."""
    monkeypatch.setenv("MASH_SES_CONFIGURATION_SET", "mash-hub")
    from chalicelib import wiring
    from local.resources import create_resources

    created = create_resources(wiring.reset().settings, aws)
    monkeypatch.setenv("MASH_AGENCY_TOPIC_ARN", created["agency_topic_arn"])
    yield wiring.reset()
    wiring.reset()


def publish_ses_event(aws: Any, hub: Any, event: dict[str, Any]) -> None:
    topic = aws("sns").create_topic(Name=hub.settings.ses_events_topic)["TopicArn"]  # as SES would
    aws("sns").publish(TopicArn=topic, Message=json.dumps(event))


SES_DELIVERY = {
    "eventType": "Delivery",
    "mail": {"messageId": "not-ours", "timestamp": "2026-11-25T10:00:00Z", "destination": []},
    "delivery": {"timestamp": "2026-11-25T10:00:01Z"},
}


def test_ses_events_reach_their_handler_raw_through_the_mail_events_queue(
    mail_hub: Any, aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import app
    from chalicelib.events.queues import MAIL_EVENTS_QUEUE

    seen: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, list]:
        seen.extend(record["body"] for record in event["Records"])
        return {"batchItemFailures": []}

    monkeypatch.setitem(app.handler_map, "ses_events", handler)
    pump = EventPump(app, aws, REGION)
    pump.wire()
    route = pump.route_for("ses_events")
    assert (route.kind, route.queue_arn.rsplit(":", 1)[-1]) == ("sqs", MAIL_EVENTS_QUEUE)
    (subscription,) = aws("sns").list_subscriptions_by_topic(
        TopicArn=aws("sns").create_topic(Name=mail_hub.settings.ses_events_topic)["TopicArn"]
    )["Subscriptions"]
    assert subscription["Endpoint"] == route.queue_arn  # the queue, as in AWS; no subscription of the pump's
    publish_ses_event(aws, mail_hub, SES_DELIVERY)
    pump.pump_once(schedules=False)
    assert [json.loads(body) for body in seen] == [SES_DELIVERY]  # raw: the SES JSON, no SNS envelope
    attributes = aws("sqs").get_queue_attributes(
        QueueUrl=queue_url(aws, MAIL_EVENTS_QUEUE), AttributeNames=["RedrivePolicy"]
    )["Attributes"]
    assert json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"].endswith(f":{MAIL_EVENTS_QUEUE}-dlq")


def test_an_ses_event_the_handler_could_not_record_stays_on_the_queue(mail_hub: Any, aws: Any) -> None:
    from botocore.exceptions import ClientError

    from app import app
    from chalicelib.events.queues import MAIL_EVENTS_QUEUE

    def throttled(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetItem")

    mail_hub.aws_client("dynamodb").meta.events.register("before-call.dynamodb.GetItem", throttled)
    pump = EventPump(app, aws, REGION)
    pump.wire()
    publish_ses_event(aws, mail_hub, SES_DELIVERY)
    publish_ses_event(aws, mail_hub, {"eventType": "Bounce"})  # malformed: logged and dropped
    pump.pump_once(schedules=False)
    counts = aws("sqs").get_queue_attributes(
        QueueUrl=queue_url(aws, MAIL_EVENTS_QUEUE),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    # The delivery is back on the queue (invisible until its visibility timeout), the malformed one gone.
    assert int(counts["ApproximateNumberOfMessages"]) + int(counts["ApproximateNumberOfMessagesNotVisible"]) == 1
