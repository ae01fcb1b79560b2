"""The daily rollups held to one contract by both referral stores: counted in the referral's own
write, never twice, read back by day in one Query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from bench.aws_meter import counting_aws
from chalicelib.adapters.envelope import FieldCipher, LocalKeyProvider
from chalicelib.adapters.referrals import DynamoReferralStore, InMemoryReferralStore, ReferralStore
from chalicelib.domain.decision import Outcome, Rag, Screening
from chalicelib.domain.failures import ReferenceTaken, StaleReferral
from tests.test_referral_store import NOW, new_referral

DAY = NOW.date()


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[ReferralStore]:
    if request.param == "memory":
        yield InMemoryReferralStore(FieldCipher(LocalKeyProvider()))
        return
    aws: Any = request.getfixturevalue("aws")
    yield DynamoReferralStore(aws.aws_client("dynamodb"), aws.settings.table_name, aws.cipher)


def counts(store: ReferralStore, day: dt.date = DAY) -> dict[str, int]:
    found = store.daily_rollups(day, day)
    return found[0].counts if found else {}


def test_adding_a_referral_counts_it_once_and_a_clash_counts_nothing(store: ReferralStore) -> None:
    store.add(new_referral("K7Q-F3M-RW9"))
    with pytest.raises(ReferenceTaken):
        store.add(new_referral("K7Q-F3M-RW9"))
    assert counts(store) == {"received": 1, "route_support": 1, "source_2A": 1, "re_referral_unknown": 1}


def test_a_standing_decision_is_added_in_the_same_write_and_a_stale_one_adds_nothing(store: ReferralStore) -> None:
    store.add(new_referral())
    opened = store.open("K7Q-F3M-RW9")
    screened = opened.referral.screen(Screening(Rag.GREEN, 2, "Synthetic", "p-1", NOW, NOW + dt.timedelta(days=1)))
    decided = screened.record_decision(Outcome.UNIVERSAL_SERVICES, "Synthetic", "p-1", NOW + dt.timedelta(hours=2))
    store.save(opened, decided, [])
    with pytest.raises(StaleReferral):
        store.save(opened, decided, [])
    found = counts(store)
    assert (found["decided"], found["outcome_universal_services"], found["decision_seconds"]) == (1, 1, 7200)


def test_days_are_read_by_range_in_order(store: ReferralStore) -> None:
    from dataclasses import replace

    for offset, reference in enumerate(("K7Q-F3M-RW9", "M4X-T2P-QH7", "H3K-P9R-TW4")):
        store.add(replace(new_referral(reference), received_at=NOW + dt.timedelta(days=offset)))
    days = store.daily_rollups(DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2))
    assert [(d.day, d.counts["received"]) for d in days] == [
        (DAY + dt.timedelta(days=1), 1),
        (DAY + dt.timedelta(days=2), 1),
    ]


def test_the_dynamodb_store_reads_a_year_of_days_in_one_query(aws: Any) -> None:
    from dataclasses import replace

    store = DynamoReferralStore(aws.aws_client("dynamodb"), aws.settings.table_name, aws.cipher)
    for offset in range(0, 366, 7):
        store.add(replace(new_referral(f"K{offset:02d}-M4X-RW9"), received_at=NOW + dt.timedelta(days=offset)))
    with counting_aws() as tally:
        days = store.daily_rollups(DAY, DAY + dt.timedelta(days=365))
    assert len(days) == len(range(0, 366, 7))
    assert tally.calls == {"dynamodb.Query": 1}, tally.calls
