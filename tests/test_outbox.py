"""Nothing lost: a referral is stored before SES is tried, and the outbox sends what failed."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from chalicelib.adapters.mailer import InMemoryMailer
from chalicelib.domain.notices import SEND_GRACE
from tests.factories import example


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


@pytest.fixture
def hub(aws: Any) -> Any:
    """The moto-backed wiring, but with a controllable clock and a mailer that can fail."""
    aws.clock = Clock()
    aws.use(mailer=InMemoryMailer())
    return aws


def submit(hub: Any) -> str:
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        response = client.http.post(
            "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(example())
        )
    assert response.status_code == 201
    return json.loads(response.body)["reference"]


def sweep(hub: Any) -> dict[str, int]:
    """Invoke the scheduled handler as Lambda would, with a real-shaped CloudWatch event."""
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        event = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        return client.lambda_.invoke("outbox_sweep", event).payload


def ack_of(hub: Any, reference: str) -> Any:
    return hub.referrals.fetch(reference).notices[0]


def test_ses_outage_keeps_the_referral_and_the_sweep_sends_the_acknowledgement(hub: Any) -> None:
    hub.mailer.fail_next("Throttling", retryable=True)
    reference = submit(hub)
    owed = ack_of(hub, reference)
    assert (owed.status.value, owed.attempts, owed.last_error) == ("pending", 1, "Throttling")
    assert hub.mailer.sent == []

    hub.clock.advance(dt.timedelta(seconds=31))
    assert sweep(hub) == {"sent": 1, "retrying": 0, "failed": 0, "skipped": 0, "published": 0}
    assert ack_of(hub, reference).status.value == "sent"
    [message] = hub.mailer.sent
    assert reference in str(message["Subject"])

    hub.clock.advance(dt.timedelta(hours=2))
    assert sweep(hub)["sent"] == 0
    assert len(hub.mailer.sent) == 1  # never twice


def test_permanent_rejection_is_marked_failed_not_retried(hub: Any) -> None:
    hub.mailer.fail_next("MessageRejected", retryable=False)
    reference = submit(hub)
    failed = ack_of(hub, reference)
    assert (failed.status.value, failed.last_error) == ("failed", "MessageRejected")
    hub.clock.advance(dt.timedelta(hours=1))
    assert sweep(hub) == {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0, "published": 0}


def test_retries_back_off_then_fail_visibly_after_the_last_attempt(hub: Any) -> None:
    attempts = hub.settings.outbox_max_attempts
    hub.mailer.fail_next("ServiceUnavailable", retryable=True, times=attempts)
    reference = submit(hub)
    delays = []
    for _ in range(attempts - 1):
        notice = ack_of(hub, reference)
        delays.append(notice.next_attempt_at - hub.clock.now)
        hub.clock.now = notice.next_attempt_at
        sweep(hub)
    final = ack_of(hub, reference)
    assert (final.status.value, final.attempts) == ("failed", attempts)
    assert delays == sorted(delays) and delays[0] == dt.timedelta(seconds=30)
    assert hub.mailer.sent == []


def test_a_request_that_died_before_sending_is_picked_up_after_the_grace(hub: Any, monkeypatch: Any) -> None:
    from chalicelib.services import submit_referral

    monkeypatch.setattr(submit_referral, "_acknowledge", lambda referral: None)  # the Lambda died here
    reference = submit(hub)
    assert sweep(hub)["sent"] == 0  # within the grace the request still owns it
    hub.clock.advance(SEND_GRACE)
    assert sweep(hub)["sent"] == 1
    assert ack_of(hub, reference).status.value == "sent"


def test_kms_outage_stores_nothing_and_says_retry(aws: Any, monkeypatch: Any) -> None:
    from chalice.test import Client

    from app import app
    from chalicelib.adapters.aws import AwsError
    from tests.conftest import table_items

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise AwsError("kms", "KMSInternalException", retryable=True)

    monkeypatch.setattr(type(aws.cipher._keys), "generate", unavailable)
    with Client(app) as client:
        response = client.http.post(
            "/api/referrals",
            headers={"Content-Type": "application/json", "Idempotency-Key": "k-1"},
            body=json.dumps(example()),
        )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert "nothing was saved" in json.loads(response.body)["message"]
    # Nothing of the referral (the hub's own items, like its wrapped blind-index key, may exist).
    assert [i["pk"]["S"] for i in table_items(aws) if i["pk"]["S"].startswith(("REF#", "CHILD#"))] == []


def test_an_email_ses_accepted_is_not_sent_again_when_recording_it_failed(hub: Any, monkeypatch: Any) -> None:
    from chalicelib.adapters.aws import AwsError

    store_class = type(hub.referrals)
    real_save = store_class.save_notices
    failures = iter([True])

    def save_fails_once(self: Any, referral: Any) -> Any:
        if next(failures, False):
            raise AwsError("dynamodb", "InternalServerError", retryable=True)
        return real_save(self, referral)

    monkeypatch.setattr(store_class, "save_notices", save_fails_once)
    reference = submit(hub)
    assert len(hub.mailer.sent) == 1  # SES accepted it ...
    assert ack_of(hub, reference).status.value == "pending"  # ... but 'sent' was never saved

    hub.clock.advance(SEND_GRACE)
    assert sweep(hub)["sent"] == 1
    assert ack_of(hub, reference).status.value == "sent"
    assert ack_of(hub, reference).provider_message_id == "local-1"
    assert len(hub.mailer.sent) == 1  # never twice
