"""The consent-request store and its in-memory twin hold to one contract (the link's single use)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.adapters.consent_requests import (
    AlreadyAnswered,
    ConsentRequestRecord,
    ConsentRequestStore,
    DynamoConsentRequestStore,
    InMemoryConsentRequestStore,
)

NOW = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)
RECORD = ConsentRequestRecord(
    lookup_key="lookup-synthetic-1",
    reference="K7Q-F3M-RW9",
    parent=0,
    notice_id="consent-0",
    requested_at=NOW,
    expires_at=NOW + dt.timedelta(days=14),
)


@pytest.fixture(params=["dynamodb", "memory"])
def store(request: pytest.FixtureRequest) -> Iterator[ConsentRequestStore]:
    if request.param == "memory":
        yield InMemoryConsentRequestStore()
        return
    import boto3

    from chalicelib.adapters.table import table_definition
    from tests.emulated_aws import emulated_aws

    with emulated_aws():
        db: Any = boto3.client("dynamodb", region_name="eu-west-2")
        db.create_table(**table_definition("mash-test"))
        yield DynamoConsentRequestStore(db, "mash-test")


def test_a_saved_request_is_found_as_it_was(store: ConsentRequestStore) -> None:
    store.save(RECORD)

    assert store.find(RECORD.lookup_key) == RECORD
    assert store.find("no-such-link") is None


def test_a_link_is_answered_once_and_a_second_answer_is_refused(store: ConsentRequestStore) -> None:
    store.save(RECORD)

    store.claim(RECORD.lookup_key, "agreed", NOW)

    with pytest.raises(AlreadyAnswered):
        store.claim(RECORD.lookup_key, "declined", NOW)
    found = store.find(RECORD.lookup_key)
    assert found is not None and (found.answer, found.answered_at) == ("agreed", NOW)


def test_a_released_claim_can_be_answered_again(store: ConsentRequestStore) -> None:
    store.save(RECORD)
    store.claim(RECORD.lookup_key, "agreed", NOW)

    store.release(RECORD.lookup_key)
    store.claim(RECORD.lookup_key, "declined", NOW)

    found = store.find(RECORD.lookup_key)
    assert found is not None and found.answer == "declined"


def test_an_answer_changed_later_keeps_the_link_answered(store: ConsentRequestStore) -> None:
    store.save(RECORD)
    store.claim(RECORD.lookup_key, "agreed", NOW)

    store.change_answer(RECORD.lookup_key, "declined", NOW + dt.timedelta(days=1))

    found = store.find(RECORD.lookup_key)
    assert found is not None and (found.answer, found.answered_at) == ("declined", NOW)
    with pytest.raises(AlreadyAnswered):
        store.claim(RECORD.lookup_key, "agreed", NOW)


def test_an_unknown_link_cannot_be_claimed(store: ConsentRequestStore) -> None:
    with pytest.raises(AlreadyAnswered):
        store.claim("no-such-link", "agreed", NOW)
