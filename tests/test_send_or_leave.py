"""Send now, else leave it to the outbox: the one best-effort send every change that owes an email uses."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import wiring as wiring_module
from chalicelib.domain.failures import StaleReferral
from chalicelib.domain.notices import NoticeStatus
from chalicelib.domain.referral_record import Referral
from chalicelib.services.send_or_leave import send_now_or_leave_to_outbox
from tests.factories import in_memory_hub, stored_referral

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def hub() -> Iterator[Any]:
    yield in_memory_hub(NOW)
    wiring_module.reset()


def test_an_owed_notice_goes_now_and_its_sending_is_recorded(hub: Any) -> None:
    referral = stored_referral(hub, NOW)
    sent = send_now_or_leave_to_outbox(referral, "acknowledgement")
    assert [n.status for n in sent.notices] == [NoticeStatus.SENT]
    assert hub.referrals.fetch(referral.reference).notices == sent.notices
    assert len(hub.mailer.sent) == 1


def test_an_aws_failure_leaves_the_notice_pending_for_the_sweep(hub: Any, caplog: pytest.LogCaptureFixture) -> None:
    referral = stored_referral(hub, NOW)
    hub.mailer.fail_next("Throttling", retryable=True)
    with caplog.at_level(logging.WARNING):
        kept = send_now_or_leave_to_outbox(referral, "acknowledgement")
    [notice] = hub.referrals.fetch(referral.reference).notices
    assert (notice.status, notice.last_error) == (NoticeStatus.PENDING, "Throttling")
    assert kept.notices[0].status is NoticeStatus.PENDING
    assert hub.mailer.sent == []


def test_a_referral_changed_meanwhile_is_left_as_it_was_and_logged_by_code_only(
    hub: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    referral = stored_referral(hub, NOW)

    def changed_meanwhile(*args: Any, **kwargs: Any) -> Referral:
        raise StaleReferral(referral.reference)

    from chalicelib.services import deliver_notices

    monkeypatch.setattr(deliver_notices, "deliver_now", changed_meanwhile)
    with caplog.at_level(logging.WARNING):
        assert send_now_or_leave_to_outbox(referral, "consent request") is referral
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "consent request left to the outbox" in logged
    # Only the reference and the code: nothing from the referral's content reaches the log.
    assert referral.submission.referrer.email not in caplog.text
    assert referral.submission.children[0].first_name not in caplog.text
