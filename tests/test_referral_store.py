"""One contract, two stores: the in-memory twin must behave as DynamoDB (under moto) does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.adapters.envelope import FieldCipher, LocalKeyProvider
from chalicelib.adapters.referrals import (
    DynamoReferralStore,
    InMemoryReferralStore,
    ReferenceTaken,
    ReferralNotFound,
    ReferralStore,
    StaleReferral,
)
from chalicelib.domain.notices import SEND_GRACE
from chalicelib.domain.referral import ReferralSubmission
from chalicelib.domain.referral_record import Channel, Referral
from tests.factories import example

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def new_referral(reference: str = "K7Q-F3M-RW9", name: str = "referral-support.json") -> Referral:
    return Referral.receive(
        reference,
        ReferralSubmission.model_validate(example(name)),
        channel=Channel.API,
        now=NOW,
        request_fingerprint="f" * 64,
        idempotency_key_hash=None,
    )


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[ReferralStore]:
    if request.param == "memory":
        yield InMemoryReferralStore(FieldCipher(LocalKeyProvider()))
        return
    aws: Any = request.getfixturevalue("aws")
    yield DynamoReferralStore(aws.aws_client("dynamodb"), aws.settings.table_name, aws.cipher)


@pytest.mark.parametrize("name", ["referral-support.json", "referral-protection.json"])
def test_a_stored_referral_comes_back_whole(store: ReferralStore, name: str) -> None:
    referral = new_referral(name=name)
    store.add(referral)
    assert store.fetch(referral.reference) == referral


def test_a_reference_is_never_stored_twice(store: ReferralStore) -> None:
    store.add(new_referral())
    with pytest.raises(ReferenceTaken):
        store.add(new_referral())


def test_an_unknown_reference_is_not_found(store: ReferralStore) -> None:
    with pytest.raises(ReferralNotFound):
        store.fetch("ZZZ-ZZZ-ZZZ")


def test_summary_needs_no_decryption(store: ReferralStore) -> None:
    referral = new_referral()
    store.add(referral)
    summary = store.fetch_summary(referral.reference)
    assert (summary.reference, summary.route, summary.request_fingerprint) == (
        referral.reference,
        referral.route,
        "f" * 64,
    )


def test_owed_notice_is_found_by_the_outbox_only_once_due(store: ReferralStore) -> None:
    referral = new_referral()
    store.add(referral)
    assert store.references_with_notices_due(NOW) == []
    assert store.references_with_notices_due(NOW + SEND_GRACE) == [referral.reference]


def test_sent_notice_leaves_the_outbox(store: ReferralStore) -> None:
    referral = new_referral()
    store.add(referral)
    ack = referral.notices[0]
    saved = store.save_notices(referral.with_notice(ack.sent("msg-1", NOW)))
    assert store.references_with_notices_due(NOW + dt.timedelta(days=1)) == []
    stored = store.fetch(referral.reference)
    assert stored.notices[0].status.value == "sent" and stored.notices[0].provider_message_id == "msg-1"
    assert stored.version == saved.version == 1


def test_a_stale_writer_is_refused(store: ReferralStore) -> None:
    referral = new_referral()
    store.add(referral)
    store.save_notices(referral)
    with pytest.raises(StaleReferral):
        store.save_notices(replace(referral, version=0))
