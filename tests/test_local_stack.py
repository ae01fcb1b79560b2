"""`make run`'s stack over real HTTP: the form, the API, the event pump and the local outbox."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import requests

from local.stack import LocalStack
from tests.factories import EXAMPLES_DIR

EXAMPLE = EXAMPLES_DIR / "referral-support.json"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    running = LocalStack.active()
    if running is not None:  # e.g. the browser tests' stack: one per process, so share it
        yield running
        return
    # No background pump: the test says when events are delivered (pump_once), so it is deterministic.
    with LocalStack(pump_interval=None) as started:
        yield started


def test_the_start_page_is_served_over_http(stack: LocalStack) -> None:
    response = requests.get(stack.app_url + "/", timeout=10)
    assert response.status_code == 200
    assert "text/html" in response.headers["Content-Type"]


def test_parallel_requests_are_served_together(stack: LocalStack) -> None:
    # A browser fetches a page's assets in parallel over several connections.
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda _: requests.get(stack.app_url + "/", timeout=10).status_code, range(12)))
    assert statuses == [200] * 12


def test_a_referral_sent_to_the_api_is_acknowledged_by_email_in_the_local_outbox(stack: LocalStack) -> None:
    referral = json.loads(EXAMPLE.read_text())
    response = requests.post(stack.app_url + "/api/referrals", json=referral, timeout=10)
    assert response.status_code == 201, response.text
    reference = response.json()["reference"]

    stack.pump_once()

    emails = requests.get(stack.app_url + "/_local/outbox.json", timeout=10).json()["emails"]
    to_referrer = [e for e in emails if referral["referrer"]["email"] in " ".join(e["recipients"])]
    assert len(to_referrer) == 1
    assert reference in to_referrer[0]["subject"] + to_referrer[0]["text"]
    page = requests.get(stack.app_url + "/_local/outbox", timeout=10)
    assert page.status_code == 200
    assert reference in page.text


def test_the_emulator_holds_the_table_and_the_key(stack: LocalStack) -> None:
    import boto3

    dynamodb = boto3.client("dynamodb", endpoint_url=stack.moto_url, region_name="eu-west-2")
    assert "mash-hub" in dynamodb.list_tables()["TableNames"]


RESTART = """
import socket, requests
from local.stack import LocalStack
with LocalStack(pump_interval=0.2, schedule_interval=0.5) as first:
    ports = (int(first.app_url.rsplit(":", 1)[1]), int(first.moto_url.rsplit(":", 1)[1]))
    first.pump_once()
with LocalStack(app_port=ports[0], moto_port=ports[1]) as second:
    assert requests.get(second.app_url + "/", timeout=10).status_code == 200
for port in ports:
    with socket.socket() as probe:
        # As a server binds (SO_REUSEADDR): a closed connection's TIME_WAIT does not hold the port,
        # a socket still listening on it does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
print("restarted on", ports)
"""


def test_stopping_releases_the_ports_and_a_second_stack_starts_on_them() -> None:
    # In a fresh process: the stack is process-wide state, and another test may be sharing one.
    result = subprocess.run(
        [sys.executable, "-c", RESTART], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "restarted on" in result.stdout


# -- Agency enquiries: moto's server really routes them (filter policies, S3 notifications) -------


def emulator(stack: LocalStack, service: str) -> Any:
    import boto3

    return boto3.client(service, endpoint_url=stack.moto_url, region_name="eu-west-2")


def test_the_app_is_given_the_agency_topic_the_stack_made(stack: LocalStack) -> None:
    from chalicelib.settings import get_settings

    arn = get_settings().agency_topic_arn
    assert arn and arn.endswith(":mash-hub-agency-enquiries")
    assert arn in [t["TopicArn"] for t in emulator(stack, "sns").list_topics()["Topics"]]


def test_the_export_topic_delivers_raw_to_the_export_queue_which_has_its_dead_letter_queue(
    stack: LocalStack,
) -> None:
    from chalicelib.events.queues import EXPORTS_QUEUE, MAX_RECEIVES_BEFORE_DLQ
    from chalicelib.settings import get_settings

    sqs, sns = emulator(stack, "sqs"), emulator(stack, "sns")
    url = sqs.get_queue_url(QueueName=EXPORTS_QUEUE)["QueueUrl"]
    redrive = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]["RedrivePolicy"])
    assert (redrive["deadLetterTargetArn"].endswith(f":{EXPORTS_QUEUE}-dlq"), redrive["maxReceiveCount"]) == (
        True,
        MAX_RECEIVES_BEFORE_DLQ,
    )
    body = json.dumps({"reference": "ZZZ-ZZZ-ZZZ", "export_id": "ZZZ-ZZZ-ZZZ.export-1"})
    assert stack.pump is not None
    with stack.pump.paused():  # a running pump would hand it to the handler first
        sns.publish(TopicArn=get_settings().export_topic_arn, Message=body)
        (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        assert message["Body"] == body, "raw: the body as published, no SNS envelope"
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_an_enquiry_for_the_police_lands_only_in_the_police_queue(stack: LocalStack) -> None:
    from chalicelib.domain.agencies import AgencyId
    from chalicelib.events.queues import agency_queue
    from chalicelib.settings import get_settings

    sqs, sns = emulator(stack, "sqs"), emulator(stack, "sns")
    urls = {agency: sqs.get_queue_url(QueueName=agency_queue(agency))["QueueUrl"] for agency in AgencyId}
    assert stack.pump is not None
    with stack.pump.paused():  # a running pump would hand it to the handler first
        answer = sns.publish_batch(
            TopicArn=get_settings().agency_topic_arn,
            PublishBatchRequestEntries=[
                {
                    "Id": "probe",
                    "Message": json.dumps({"reference": "ZZZ-ZZZ-ZZZ", "enquiry_id": "e1"}),
                    "MessageAttributes": {"agency": {"DataType": "String", "StringValue": "police"}},
                }
            ],
        )
        assert answer["Failed"] == []
        received = {
            agency: sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
                "Messages", []
            )
            for agency, url in urls.items()
        }
        for agency, messages in received.items():
            for message in messages:
                sqs.delete_message(QueueUrl=urls[agency], ReceiptHandle=message["ReceiptHandle"])
    assert {agency: len(messages) for agency, messages in received.items()} == {
        agency: int(agency is AgencyId.POLICE) for agency in AgencyId
    }
    (message,) = received[AgencyId.POLICE]
    assert json.loads(message["Body"]) == {"reference": "ZZZ-ZZZ-ZZZ", "enquiry_id": "e1"}  # raw delivery
    assert message["MessageAttributes"]["agency"]["StringValue"] == "police"


def test_mail_stored_under_inbound_notifies_the_inbound_queue(stack: LocalStack) -> None:
    from chalicelib.events.queues import INBOUND_MAIL_QUEUE
    from chalicelib.settings import get_settings

    sqs, s3 = emulator(stack, "sqs"), emulator(stack, "s3")
    url = sqs.get_queue_url(QueueName=INBOUND_MAIL_QUEUE)["QueueUrl"]
    bucket = get_settings().inbound_mail_bucket
    assert stack.pump is not None
    with stack.pump.paused():
        s3.put_object(Bucket=bucket, Key="inbound/probe-stack-test", Body=b"not really mail")
        s3.put_object(Bucket=bucket, Key="elsewhere/probe-stack-test", Body=b"outside the prefix")
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        for key in ("inbound/probe-stack-test", "elsewhere/probe-stack-test"):
            s3.delete_object(Bucket=bucket, Key=key)
    records = [r for m in messages for r in json.loads(m["Body"]).get("Records", [])]
    assert [(r["eventName"], r["s3"]["bucket"]["name"]) for r in records] == [("ObjectCreated:Put", bucket)]
    assert unquote(records[0]["s3"]["object"]["key"]) == "inbound/probe-stack-test"
