"""`make run`'s replay buttons: SES event JSON published to the topic, the pump delivers it to the
handler, the notice's status follows, and a bounce raises a staff task."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from chalicelib.domain.notices import NoticeStatus
from chalicelib.domain.tasks import TaskKind
from local.stack import LocalStack
from tests.factories import support_referral


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    running = LocalStack.active()
    if running is not None:  # e.g. the browser tests' stack: one per process, so share it
        yield running
        return
    with LocalStack(pump_interval=None) as started:
        yield started


def send_referral(stack: LocalStack, referrer: str) -> tuple[str, str]:
    """Submit over HTTP; returns the reference and the SES message id of its acknowledgement.
    A referrer address per test: one that bounced is suppressed for the rest of the module."""
    body = support_referral(**{"referrer.email": f"{referrer}@school.example"})
    response = requests.post(stack.app_url + "/api/referrals", json=body, timeout=10)
    assert response.status_code == 201, response.text
    reference = response.json()["reference"]
    emails = requests.get(stack.app_url + "/_local/outbox.json", timeout=10).json()["emails"]
    [ack] = [e for e in emails if reference in e["subject"]]
    return reference, ack["message_id"]


def replay(stack: LocalStack, message_id: str, kind: str) -> None:
    response = requests.post(f"{stack.app_url}/_local/outbox/{message_id}/{kind}", json={}, timeout=10)
    assert response.status_code == 202, response.text
    stack.pump_once()


def stored(reference: str) -> object:
    from chalicelib.wiring import wiring

    return wiring().referrals.fetch(reference)


@pytest.mark.parametrize(
    ("kind", "status", "tasks"),
    [
        ("delivery", NoticeStatus.DELIVERED, []),
        ("bounce", NoticeStatus.BOUNCED, [TaskKind.CONTACT_REFERRER_ANOTHER_WAY]),
        ("complaint", NoticeStatus.COMPLAINED, [TaskKind.CONTACT_REFERRER_ANOTHER_WAY]),
    ],
)
def test_a_replayed_ses_event_reaches_the_notice(
    stack: LocalStack, kind: str, status: NoticeStatus, tasks: list[TaskKind]
) -> None:
    reference, message_id = send_referral(stack, f"replay.{kind}")
    replay(stack, message_id, kind)
    referral = stored(reference)
    assert referral.notices[0].status is status  # type: ignore[attr-defined]
    assert [task.kind for task in referral.tasks] == tasks  # type: ignore[attr-defined]


def test_a_late_delivery_replayed_after_a_bounce_leaves_it_bounced(stack: LocalStack) -> None:
    reference, message_id = send_referral(stack, "late.delivery")
    replay(stack, message_id, "bounce")
    replay(stack, message_id, "delivery")
    notice = stored(reference).notices[0]  # type: ignore[attr-defined]
    assert notice.status is NoticeStatus.BOUNCED
    assert [entry[0] for entry in notice.history] == ["bounced", "delivered"]


def test_a_referrer_whose_email_bounced_is_not_emailed_again(stack: LocalStack) -> None:
    _, message_id = send_referral(stack, "bounces.once")
    replay(stack, message_id, "bounce")
    body = support_referral(**{"referrer.email": "Bounces.Once@School.Example"})
    reference = requests.post(stack.app_url + "/api/referrals", json=body, timeout=10).json()["reference"]
    emails = requests.get(stack.app_url + "/_local/outbox.json", timeout=10).json()["emails"]
    assert [e for e in emails if reference in e["subject"]] == []
    assert stored(reference).notices[0].last_error == "suppressed"  # type: ignore[attr-defined]
