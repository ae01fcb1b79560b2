"""The export over HTTP and in the emulator: a section 47 decision that stands and a manager's request
each owe an export; each request hands its export to the export topic, the export queue brings them to
the case_exports function, which drops both in the case system's S3 folder (moto), each valid against
the published schema; the request's answer is as the OpenAPI document says."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from chalicelib.domain.decision import Outcome
from chalicelib.domain.referral import Route
from chalicelib.settings import LOCAL_EXPORT_TARGET
from tests.factories import protection_referral
from tests.test_openapi_admin import Conformance
from tests.test_outcome_notices import decide

pytestmark = pytest.mark.usefixtures("issuer")


def dropped(aws: Any) -> dict[str, dict[str, Any]]:
    s3 = aws.aws_client("s3")
    bucket, prefix = LOCAL_EXPORT_TARGET.removeprefix("s3://").split("/", 1)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
    return {key: json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()) for key in keys}


def deliver_exports(aws: Any, client: Any) -> int:
    """The export queue's poller, as Lambda's: each message to the case_exports function (by its
    ARN, as the event source mapping names it), deleted once handled. Returns how many it handled."""
    from chalicelib.adapters.export_topic import queue_url
    from chalicelib.events.queues import EXPORTS_QUEUE

    arn = f"arn:aws:sqs:{aws.settings.aws_region}:123456789012:{EXPORTS_QUEUE}"
    sqs, handled = aws.aws_client("sqs"), 0
    while messages := sqs.receive_message(QueueUrl=queue_url(arn), AttributeNames=["All"]).get("Messages"):
        for message in messages:
            record = {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message["Attributes"],
                "eventSourceARN": arn,
            }
            answer = client.lambda_.invoke("case_exports", {"Records": [record]}).payload
            assert answer == {"batchItemFailures": []}
            sqs.delete_message(QueueUrl=queue_url(arn), ReceiptHandle=message["ReceiptHandle"])
            handled += 1
    return handled


def test_a_strategy_discussion_and_a_managers_request_reach_the_drop_folder(
    client: Any, aws: Any, staff: Callable[..., Any]
) -> None:
    from chalicelib.services.deliver_notices import dispatch_due

    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(protection_referral())
    )
    reference = json.loads(response.body)["reference"]
    decide(staff, reference, Outcome.STRATEGY_DISCUSSION, Route.PROTECTION)
    assert dropped(aws) == {}, "the request hands over at once; only the export function delivers"

    document = json.loads(client.http.get("/api/openapi.json").body)
    assert "/api/export-schema.json" in document["paths"]
    conforms = Conformance(document)
    asked = staff("manager", "POST", f"/admin/referrals/{reference}/export")
    answer = conforms.check("POST", "/admin/referrals/{reference}/export", asked)
    assert (asked.status_code, answer["status"]) == (202, "pending")
    assert staff("practitioner", "POST", f"/admin/referrals/{reference}/export").status_code == 403

    dispatch_due(aws.referrals, aws.mailer, aws.settings, aws.clock())
    assert dropped(aws) == {}, "nothing is delivered until the export queue is read"
    assert deliver_exports(aws, client) == 2
    schema = json.loads(client.http.get("/api/export-schema.json").body)
    exports = dropped(aws)
    assert sorted(body["export_id"] for body in exports.values()) == sorted(
        [f"{reference}.export-decision", answer["export_id"]]
    )
    for key, body in exports.items():
        jsonschema.validate(body, schema)
        assert key.endswith(f"{body['export_id']}.json")
        assert body["decision"]["outcome"] == "strategy_discussion_s47"
    # The whole picture shows each export delivered, with the receiver's id (a drop folder gives none).
    whole = json.loads(staff("manager", "GET", f"/admin/referrals/{reference}").body)
    shown = [n for n in whole["notices"] if n["kind"] == "case_export"]
    assert [(n["status"], n["external_id"]) for n in shown] == [("sent", None), ("sent", None)]
    # The console lists them among the referral's emails, to the case system, with no email preview.
    from tests.test_console import Browser, page_text

    console = page_text(Browser(client).sign_in("manager").get(f"/staff/referrals/{reference}"))
    assert "The case-management system" in console and "No preview: a document, not an email" in console
    # Delivered is recorded on the referral: the sweep has nothing more to do.
    dispatch_due(aws.referrals, aws.mailer, aws.settings, aws.clock())
    assert deliver_exports(aws, client) == 0
    assert len(dropped(aws)) == 2
    # The local case system's receiver shows them (make run: /_local/exports).
    page = client.http.get("/_local/exports")
    assert page.status_code == 200
    assert page.body.decode().count(f"{reference}.export-") >= 2
    received = json.loads(client.http.get("/_local/exports.json").body)["exports"]
    assert {e["document"]["export_id"] for e in received} == {b["export_id"] for b in exports.values()}


def test_the_receiver_page_says_when_nothing_came(client: Any) -> None:
    page = client.http.get("/_local/exports")
    assert page.status_code == 200 and "Nothing received yet" in page.body.decode()


def test_staff_see_an_export_being_tried_again_in_plain_words(client: Any, aws: Any, staff: Callable[..., Any]) -> None:
    from chalicelib.domain.case_export import exports_of, retrying
    from tests.test_console import Browser, page_text

    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(protection_referral())
    )
    reference = json.loads(response.body)["reference"]
    decide(staff, reference, Outcome.STRATEGY_DISCUSSION, Route.PROTECTION)
    # What the export function records when the receiver answers 503 (tests/test_case_export.py).
    referral = aws.referrals.fetch(reference)
    (export,) = exports_of(referral)
    aws.referrals.save_notices(referral.with_notice(retrying(export, "http_503", aws.clock())))
    whole = json.loads(staff("manager", "GET", f"/admin/referrals/{reference}").body)
    (shown,) = [n for n in whole["notices"] if n["kind"] == "case_export"]
    assert (shown["status"], shown["last_error"], shown["history"][0]["status"]) == ("pending", "http_503", "delayed")
    console = page_text(Browser(client).sign_in("manager").get(f"/staff/referrals/{reference}"))
    assert "Export to the case system: trying again (the receiver answered 503)" in console
