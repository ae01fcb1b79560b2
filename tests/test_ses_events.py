"""SES delivery events drive each notice's status; bounces and complaints suppress and raise tasks."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.envelope import FieldCipher, LocalKeyProvider
from chalicelib.adapters.mailer import InMemoryMailer
from chalicelib.adapters.referrals import DynamoReferralStore, InMemoryReferralStore, ReferralStore
from chalicelib.adapters.suppression import (
    DynamoSuppressionList,
    InMemorySuppressionList,
    SuppressionList,
    SuppressionReason,
)
from chalicelib.domain.notices import Notice, NoticeKind, NoticeStatus, recipient_parent
from chalicelib.domain.referral import ReferralSubmission
from chalicelib.domain.referral_record import Channel, Referral
from chalicelib.domain.tasks import TaskKind
from chalicelib.events.queues import MAIL_EVENTS_QUEUE
from chalicelib.events.ses_event_reading import delivery_report, read_ses_event, record_ses_message
from chalicelib.services.deliver_notices import SUPPRESSED, deliver_now
from chalicelib.services.record_delivery_event import DeliveryOutcome, record_delivery_event
from local.issuer import SYNTHETIC_STAFF
from tests.factories import example
from tests.staff_issuer import issuer_in

FIXTURES = Path(__file__).parent / "fixtures" / "ses"
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
FIXTURE_ADDRESS = "parent.one@family.example"
PARENT_ADDRESS = "alex.testparent@family.example"  # parents_carers[0] in examples/referral-support.json
REFERRER_ADDRESS = "priya.example@school.example"
KEY = b"k" * 32


def ses_json(name: str, message_id: str, address: str = PARENT_ADDRESS) -> str:
    """A real-shaped SES event from tests/fixtures/ses/, for one message and recipient."""
    text = (FIXTURES / f"{name}.json").read_text()
    return text.replace("MESSAGE_ID", message_id).replace(FIXTURE_ADDRESS, address)


# (fixture, the status it leaves a sent notice in, suppressed as)
EXPECTED = [
    ("event-send", NoticeStatus.SENT, None),
    ("event-delivery", NoticeStatus.DELIVERED, None),
    ("event-bounce-permanent", NoticeStatus.BOUNCED, SuppressionReason.BOUNCED),
    ("event-bounce-transient", NoticeStatus.DELAYED, None),
    ("event-complaint", NoticeStatus.COMPLAINED, SuppressionReason.COMPLAINED),
    ("event-reject", NoticeStatus.REJECTED, None),
    ("event-delivery-delay", NoticeStatus.DELAYED, None),
    ("event-rendering-failure", NoticeStatus.FAILED, None),
    ("notification-delivery", NoticeStatus.DELIVERED, None),
    ("notification-bounce-permanent", NoticeStatus.BOUNCED, SuppressionReason.BOUNCED),
    ("notification-bounce-transient", NoticeStatus.DELAYED, None),
    ("notification-complaint", NoticeStatus.COMPLAINED, SuppressionReason.COMPLAINED),
]


@pytest.fixture(params=["memory", "dynamodb"])
def stores(request: pytest.FixtureRequest) -> Iterator[tuple[ReferralStore, SuppressionList]]:
    """The referral store and suppression list: in-memory twins, and DynamoDB under moto."""
    if request.param == "memory":
        yield InMemoryReferralStore(FieldCipher(LocalKeyProvider())), InMemorySuppressionList(KEY)
        return
    aws: Any = request.getfixturevalue("aws")
    db, table = aws.aws_client("dynamodb"), aws.settings.table_name
    yield DynamoReferralStore(db, table, aws.cipher), DynamoSuppressionList(db, table, KEY)


def sent_referral(store: ReferralStore) -> Referral:
    """A referral whose acknowledgement (referrer) and an outcome notice (parent 0) were sent."""
    referral = Referral.receive(
        "K7Q-F3M-RW9",
        ReferralSubmission.model_validate(example()),
        channel=Channel.API,
        now=NOW,
        request_fingerprint="f" * 64,
        idempotency_key_hash=None,
    )
    outcome = Notice.new("outcome-p0", NoticeKind.OUTCOME, NOW, recipient=recipient_parent(0))
    referral = replace(referral, notices=(*referral.notices, outcome))
    store.add(referral)
    for notice in referral.notices:
        referral = referral.with_notice(notice.sent(f"ses-{notice.notice_id}", NOW))
        store.save_message_index(f"ses-{notice.notice_id}", referral.reference, notice.notice_id, NOW)
    return store.save_notices(referral)


def notice_of(store: ReferralStore, notice_id: str) -> Notice:
    return next(n for n in store.fetch("K7Q-F3M-RW9").notices if n.notice_id == notice_id)


def record(store: ReferralStore, suppressions: SuppressionList, message: str) -> DeliveryOutcome:
    parsed = read_ses_event(message)
    assert parsed is not None
    report = delivery_report(parsed)
    assert report is not None
    return record_delivery_event(report, store, suppressions, NOW)


@pytest.mark.parametrize(("fixture", "status", "suppressed_as"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_each_ses_event_in_both_shapes_drives_the_notice_status(
    stores: tuple[ReferralStore, SuppressionList],
    fixture: str,
    status: NoticeStatus,
    suppressed_as: SuppressionReason | None,
) -> None:
    store, suppressions = stores
    sent_referral(store)
    assert record(store, suppressions, ses_json(fixture, "ses-outcome-p0")) is DeliveryOutcome.RECORDED
    notice = notice_of(store, "outcome-p0")
    assert notice.status is status
    assert [entry[0] for entry in notice.history] == [status.value]
    assert suppressions.is_suppressed(PARENT_ADDRESS) is (suppressed_as is not None)
    assert notice_of(store, "ack").status is NoticeStatus.SENT  # the other notice is untouched


@pytest.mark.parametrize("fixture", ["event-bounce-permanent", "notification-complaint"])
def test_a_parent_whose_email_bounced_or_complained_becomes_a_task_to_contact_them(
    stores: tuple[ReferralStore, SuppressionList], fixture: str
) -> None:
    store, suppressions = stores
    sent_referral(store)
    record(store, suppressions, ses_json(fixture, "ses-outcome-p0"))
    [task] = store.fetch("K7Q-F3M-RW9").tasks
    assert (task.kind, task.about) == (TaskKind.CONTACT_PARENT_ANOTHER_WAY, "outcome-p0")


def test_a_bounced_referrer_becomes_a_task_to_contact_the_referrer(
    stores: tuple[ReferralStore, SuppressionList],
) -> None:
    store, suppressions = stores
    sent_referral(store)
    record(store, suppressions, ses_json("event-bounce-permanent", "ses-ack", REFERRER_ADDRESS))
    [task] = store.fetch("K7Q-F3M-RW9").tasks
    assert (task.kind, task.about) == (TaskKind.CONTACT_REFERRER_ANOTHER_WAY, "ack")
    assert suppressions.is_suppressed(f"Priya <{REFERRER_ADDRESS.upper()}>")  # normalised


def test_a_delivery_after_a_bounce_leaves_the_notice_bounced(stores: tuple[ReferralStore, SuppressionList]) -> None:
    store, suppressions = stores
    sent_referral(store)
    record(store, suppressions, ses_json("event-bounce-permanent", "ses-outcome-p0"))
    record(store, suppressions, ses_json("event-delivery", "ses-outcome-p0"))
    record(store, suppressions, ses_json("event-delivery-delay", "ses-outcome-p0"))
    notice = notice_of(store, "outcome-p0")
    assert notice.status is NoticeStatus.BOUNCED
    assert [entry[0] for entry in notice.history] == ["bounced", "delivered", "delayed"]


def test_a_delay_reported_after_delivery_does_not_move_the_notice_back(
    stores: tuple[ReferralStore, SuppressionList],
) -> None:
    store, suppressions = stores
    sent_referral(store)
    record(store, suppressions, ses_json("event-delivery", "ses-outcome-p0"))
    record(store, suppressions, ses_json("event-delivery-delay", "ses-outcome-p0"))
    assert notice_of(store, "outcome-p0").status is NoticeStatus.DELIVERED


def test_a_duplicate_event_changes_nothing(stores: tuple[ReferralStore, SuppressionList]) -> None:
    store, suppressions = stores
    sent_referral(store)
    message = ses_json("notification-bounce-permanent", "ses-outcome-p0")
    assert record(store, suppressions, message) is DeliveryOutcome.RECORDED
    before = store.fetch("K7Q-F3M-RW9")
    assert record(store, suppressions, message) is DeliveryOutcome.DUPLICATE
    after = store.fetch("K7Q-F3M-RW9")
    assert after == before
    assert len(after.tasks) == 1


def test_a_complaint_after_a_bounce_raises_no_second_task(stores: tuple[ReferralStore, SuppressionList]) -> None:
    store, suppressions = stores
    sent_referral(store)
    record(store, suppressions, ses_json("event-bounce-permanent", "ses-outcome-p0"))
    record(store, suppressions, ses_json("event-complaint", "ses-outcome-p0"))
    assert len(store.fetch("K7Q-F3M-RW9").tasks) == 1


def test_an_unknown_message_id_is_unmatched_but_the_address_is_still_suppressed(
    stores: tuple[ReferralStore, SuppressionList],
) -> None:
    store, suppressions = stores
    sent_referral(store)
    assert record(store, suppressions, ses_json("event-complaint", "never-indexed")) is DeliveryOutcome.UNMATCHED
    assert suppressions.is_suppressed(PARENT_ADDRESS)
    assert notice_of(store, "outcome-p0").status is NoticeStatus.SENT


def test_the_suppression_list_holds_keyed_hashes_not_addresses(aws: Any) -> None:
    DynamoSuppressionList(aws.aws_client("dynamodb"), aws.settings.table_name, KEY).add(
        PARENT_ADDRESS, SuppressionReason.BOUNCED, NOW
    )
    items = json.dumps(aws.aws_client("dynamodb").scan(TableName=aws.settings.table_name)["Items"])
    assert "SUPPRESS#" in items
    assert "family.example" not in items.lower()


def test_a_suppressed_recipient_is_not_sent_to_and_staff_get_a_task() -> None:
    store = InMemoryReferralStore(FieldCipher(LocalKeyProvider()))
    suppressions = InMemorySuppressionList(KEY)
    suppressions.add(REFERRER_ADDRESS, SuppressionReason.BOUNCED, NOW)
    referral = Referral.receive(
        "K7Q-F3M-RW9",
        ReferralSubmission.model_validate(example()),
        channel=Channel.API,
        now=NOW,
        request_fingerprint="f" * 64,
        idempotency_key_hash=None,
    )
    store.add(referral)
    mailer = InMemoryMailer()
    from chalicelib.settings import Settings

    deliver_now(referral, store, mailer, Settings(stage="local"), NOW, suppressions)
    assert mailer.sent == []  # SES was never called
    [ack] = store.fetch(referral.reference).notices
    assert (ack.status, ack.last_error) == (NoticeStatus.FAILED, SUPPRESSED)
    [task] = store.fetch(referral.reference).tasks
    assert (task.kind, task.about) == (TaskKind.NOTICE_FAILED, "ack")


def test_unreadable_events_are_refused_without_echoing_their_content(caplog: pytest.LogCaptureFixture) -> None:
    assert read_ses_event("not json") is None
    assert read_ses_event(json.dumps({"eventType": "Bounce", "mail": {"destination": [PARENT_ADDRESS]}})) is None
    assert PARENT_ADDRESS not in caplog.text


def test_events_that_are_not_delivery_state_are_ignored() -> None:
    parsed = read_ses_event(ses_json("event-delivery", "m").replace('"Delivery"', '"Open"'))
    assert parsed is not None
    assert delivery_report(parsed) is None


# -- Through the Lambda handler, as SQS invokes it -----------------------------------------------


@pytest.fixture
def hub(aws: Any) -> Any:
    aws.clock = lambda: NOW
    aws.use(mailer=InMemoryMailer())
    return aws


def submit(client: Any) -> str:
    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(example())
    )
    assert response.status_code == 201
    return json.loads(response.body)["reference"]


def sqs_event(*bodies: str) -> dict[str, Any]:
    """What Lambda's SQS poller hands the function: one record per message, each its own id."""
    return {
        "Records": [
            {
                "messageId": f"sqs-{n}",
                "receiptHandle": f"handle-{n}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:eu-west-2:123456789012:{MAIL_EVENTS_QUEUE}",
                "awsRegion": "eu-west-2",
            }
            for n, body in enumerate(bodies)
        ]
    }


def invoke(client: Any, *bodies: str) -> list[str]:
    """The ids of the messages the handler left on the queue (its batch item failures)."""
    answer = client.lambda_.invoke("ses_events", sqs_event(*bodies)).payload
    return [failure["itemIdentifier"] for failure in answer["batchItemFailures"]]


def sns_envelope(message: str) -> str:
    """The body a subscription without raw delivery would put on the queue."""
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": "b0e8d3f7-0000-4000-8000-000000000000",
            "TopicArn": "arn:aws:sns:eu-west-2:123456789012:mash-hub-ses-events",
            "Message": message,
            "Timestamp": "2026-11-25T10:00:00.000Z",
        }
    )


def test_a_bounce_through_the_handler_suppresses_the_referrer_for_the_next_referral(
    client: Any, hub: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    first = submit(client)
    [sent] = hub.mailer.sent
    message_id = "local-1"  # InMemoryMailer's id for its first email

    assert invoke(client, ses_json("event-bounce-permanent", message_id, REFERRER_ADDRESS)) == []

    referral = hub.referrals.fetch(first)
    assert referral.notices[0].status is NoticeStatus.BOUNCED
    assert [t.kind for t in referral.tasks] == [TaskKind.CONTACT_REFERRER_ANOTHER_WAY]
    second = submit(client)
    assert len(hub.mailer.sent) == 1  # the suppressed referrer is not emailed again
    ack = hub.referrals.fetch(second).notices[0]
    assert (ack.status, ack.last_error) == (NoticeStatus.FAILED, SUPPRESSED)
    logs = captured_logs(capsys, caplog)
    assert message_id in logs  # the logs really were captured
    assert REFERRER_ADDRESS not in logs.lower()
    assert PARENT_ADDRESS not in logs.lower()
    assert str(sent["To"]).lower() not in logs.lower()


def captured_logs(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> str:
    """Powertools' JSON lines and every record's extra fields."""
    return capsys.readouterr().out + "\n".join(json.dumps(vars(r), default=str) for r in caplog.records)


def test_an_event_for_an_unknown_message_is_counted_and_an_unreadable_one_dropped(
    client: Any, hub: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    assert invoke(client, ses_json("event-delivery", "not-ours"), "{not json", '{"eventType": "Bounce"}') == []
    logs = captured_logs(capsys, caplog)
    assert '"outcome": "unmatched"' in logs
    assert logs.count('"outcome": "unreadable"') == 2  # logged, taken off the queue: retrying cannot help


def test_the_outcome_of_each_message_is_what_the_log_counts(hub: Any) -> None:
    assert record_ses_message(ses_json("event-delivery", "not-ours")) == "unmatched"
    assert record_ses_message("{not json") == "unreadable"
    assert record_ses_message(ses_json("event-delivery", "m").replace('"Delivery"', '"Open"')) == "ignored"


def test_an_event_wrapped_in_an_sns_notification_is_read_too(client: Any, hub: Any) -> None:
    """Raw delivery is what the template sets; a subscription without it must not lose events."""
    reference = submit(client)
    assert invoke(client, sns_envelope(ses_json("event-delivery", "local-1", REFERRER_ADDRESS))) == []
    assert hub.referrals.fetch(reference).notices[0].status is NoticeStatus.DELIVERED


def throttle_dynamodb(hub: Any, calls: int) -> list[str]:
    """DynamoDB refuses the next `calls` reads as throttled (the app's client retries are spent)."""
    from botocore.exceptions import ClientError

    refused: list[str] = []

    def refuse(**_: Any) -> None:
        if len(refused) < calls:
            refused.append("GetItem")
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "throttled"}}, "GetItem"
            )

    hub.aws_client("dynamodb").meta.events.register("before-call.dynamodb.GetItem", refuse)
    return refused


def test_a_throttled_event_goes_back_to_the_queue_and_the_rest_of_the_batch_is_recorded(
    client: Any, hub: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    first, second = submit(client), submit(client)  # acknowledgements local-1 and local-2
    throttle_dynamodb(hub, calls=1)  # the first message's first read

    bounce = ses_json("event-bounce-permanent", "local-1", REFERRER_ADDRESS)
    left = invoke(client, bounce, ses_json("event-delivery", "local-2", REFERRER_ADDRESS), "{not json")

    assert left == ["sqs-0"]  # only the throttled one: retried by SQS, then dead-lettered
    assert hub.referrals.fetch(second).notices[0].status is NoticeStatus.DELIVERED
    assert hub.referrals.fetch(first).notices[0].status is NoticeStatus.SENT  # not lost: still to come
    assert REFERRER_ADDRESS not in captured_logs(capsys, caplog).lower()

    assert invoke(client, bounce) == []  # SQS delivers it again
    referral = hub.referrals.fetch(first)
    assert referral.notices[0].status is NoticeStatus.BOUNCED
    assert [t.kind for t in referral.tasks] == [TaskKind.CONTACT_REFERRER_ANOTHER_WAY]
    assert invoke(client, bounce) == []  # and again, as SQS may: nothing changes twice
    assert len(hub.referrals.fetch(first).tasks) == 1


# -- The queue filter -----------------------------------------------------------------------------


@pytest.fixture
def staff(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    issuer = issuer_in(tmp_path_factory.mktemp("issuer"))
    monkeypatch.setenv("MASH_LOCAL_JWKS_PATH", str(issuer.jwks_path))

    def headers() -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.sign(issuer.claims_for(SYNTHETIC_STAFF['practitioner']))}"}

    return headers


def test_the_queue_filters_referrals_with_an_undelivered_notice(
    staff: Callable[..., Any], client: Any, hub: Any
) -> None:
    bounced, fine = submit(client), submit(client)
    invoke(client, ses_json("notification-bounce-permanent", "local-1", REFERRER_ADDRESS))
    hub.mailer.sent.clear()

    def queue(query: str) -> list[str]:
        response = client.http.get(f"/admin/referrals{query}", headers=staff())
        assert response.status_code == 200, response.body
        return [row["reference"] for row in json.loads(response.body)["referrals"]]

    assert queue("?undelivered=true") == [bounced]
    assert sorted(queue("")) == sorted([bounced, fine])
    assert client.http.get("/admin/referrals?undelivered=maybe", headers=staff()).status_code == 422
