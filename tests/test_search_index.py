"""The search index in the referral table: written with the referral, deleted with it (both stores)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.adapters.envelope import FieldCipher, LocalKeyProvider
from chalicelib.adapters.referrals import DynamoReferralStore, InMemoryReferralStore, ReferenceTaken, ReferralStore
from chalicelib.adapters.search_cards import CardUnreadable, SearchCards
from chalicelib.domain.audit import AuditAction, ChainHead
from chalicelib.domain.referral import ReferralSubmission
from chalicelib.domain.referral_record import Channel, Referral
from tests.factories import example

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
CARDS = SearchCards(b"k" * 32)


def new_referral(reference: str, search_keys: tuple[str, ...]) -> Referral:
    return Referral.receive(
        reference,
        ReferralSubmission.model_validate(example("referral-support.json")),
        channel=Channel.API,
        now=NOW,
        request_fingerprint="f" * 64,
        idempotency_key_hash=None,
        child_keys=("child-key",),
        search_keys=search_keys,
    )


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[ReferralStore]:
    if request.param == "memory":
        yield InMemoryReferralStore(FieldCipher(LocalKeyProvider()))
        return
    aws: Any = request.getfixturevalue("aws")
    yield DynamoReferralStore(aws.aws_client("dynamodb"), aws.settings.table_name, aws.cipher)


def test_a_referral_is_found_under_each_of_its_keys_with_its_card(store: ReferralStore) -> None:
    card = CARDS.seal("AAA-AAA-AAA", [{"first_name": "Oliwia", "date_of_birth": "2019-03-14"}])
    store.add(new_referral("AAA-AAA-AAA", ("k-name", "k-dob")), search_card=card)
    for key in ("k-name", "k-dob"):
        [entry] = store.search_entries(key, limit=10)
        assert entry.reference == "AAA-AAA-AAA"
        assert CARDS.open(entry.reference, entry.card) == [{"first_name": "Oliwia", "date_of_birth": "2019-03-14"}]
    [row] = store.search_rows(["AAA-AAA-AAA", "ZZZ-ZZZ-ZZZ"])  # one no longer stored: left out
    assert (row.reference, row.status.value, row.search_keys) == ("AAA-AAA-AAA", "received", {"k-name", "k-dob"})


def test_a_referral_refused_for_a_taken_reference_leaves_no_index_entry(store: ReferralStore) -> None:
    store.add(new_referral("AAA-AAA-AAA", ("k-first",)), search_card=b"")
    with pytest.raises(ReferenceTaken):
        store.add(new_referral("AAA-AAA-AAA", ("k-second",)), search_card=b"")
    assert store.search_entries("k-second", limit=10) == []
    assert [e.reference for e in store.search_entries("k-first", limit=10)] == ["AAA-AAA-AAA"]


def test_entries_are_read_up_to_the_limit(store: ReferralStore) -> None:
    for n in range(5):
        store.add(new_referral(f"AAA-AAA-AA{n}", ("k-smith",)))
    assert len(store.search_entries("k-smith", limit=3)) == 3


@pytest.mark.parametrize("keys", [2, 95])
def test_retention_deletes_the_search_entries_with_the_referral(store: ReferralStore, keys: int) -> None:
    # 95 keys: more than one transaction holds with the referral, so they are deleted first.
    search_keys = tuple(f"k-{n}" for n in range(keys))
    store.add(new_referral("AAA-AAA-AAA", search_keys[:40]))
    referral = store.fetch("AAA-AAA-AAA")
    if keys > 40:  # written on the referral as a store of old could hold more: the retention path must cope
        store._put_index(
            [{"pk": f"SEARCH#{k}", "sk": "REF#AAA-AAA-AAA", "reference": "AAA-AAA-AAA"} for k in search_keys[40:]]
        )
        opened = store.open("AAA-AAA-AAA")
        store.save(opened, replace(referral, search_keys=search_keys), [])
    facts = store.retention_facts("AAA-AAA-AAA")
    assert facts.search_keys == search_keys
    receipt, _ = ChainHead().append(
        "AAA-AAA-AAA", AuditAction.DELETED, at=NOW, actor="retention", role="system", request_id=None, key=b"a"
    )
    store.delete_with_receipt(facts, receipt)
    assert all(store.search_entries(key, limit=1) == [] for key in search_keys)
    assert store.search_rows(["AAA-AAA-AAA"]) == []


def test_a_card_opens_only_for_its_own_referral() -> None:
    card = CARDS.seal("AAA-AAA-AAA", [{"first_name": "Oliwia", "date_of_birth": None}])
    with pytest.raises(CardUnreadable):
        CARDS.open("BBB-BBB-BBB", card)
    with pytest.raises(CardUnreadable):
        SearchCards(b"o" * 32).open("AAA-AAA-AAA", card)
