"""The daily rollups held to one contract by both referral stores (and both advice contact stores):
counted in the referral's (or the call's) own write, never twice, read back by day in one Query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from bench.aws_meter import counting_aws
from chalicelib.adapters.advice_contacts import (
    AdviceContactStore,
    DynamoAdviceContactStore,
    InMemoryAdviceContactStore,
)
from chalicelib.adapters.envelope import FieldCipher, LocalKeyProvider
from chalicelib.adapters.referrals import DynamoReferralStore, InMemoryReferralStore, ReferralStore
from chalicelib.domain.advice_contacts import AdviceContact, AdviceOutcome, CallerKind
from chalicelib.domain.decision import Outcome, Rag, Screening
from chalicelib.domain.failures import ReferenceTaken, StaleReferral
from chalicelib.domain.referral import Agency
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


# -- advice contacts: counted on their day's rollup in the write that records them ------------------


@pytest.fixture(params=["memory", "dynamodb"])
def advice_store(request: pytest.FixtureRequest) -> Iterator[AdviceContactStore]:
    if request.param == "memory":
        yield InMemoryAdviceContactStore(FieldCipher(LocalKeyProvider()))
        return
    aws: Any = request.getfixturevalue("aws")
    yield DynamoAdviceContactStore(aws.aws_client("dynamodb"), aws.settings.table_name, aws.cipher)


def advice_call(suffix: str, kind: CallerKind, outcome: AdviceOutcome, at: dt.datetime = NOW) -> AdviceContact:
    return AdviceContact(
        contact_id=f"{at:%Y%m%d%H%M%S}{suffix}",
        called_at=at,
        recorded_at=at,
        recorded_by="p-1",
        caller_kind=kind,
        caller_agency=Agency.EDUCATION if kind is CallerKind.PROFESSIONAL else None,
        outcome=outcome,
        retention_until=at + dt.timedelta(days=730),
        about="Synthetic",
        advice="Synthetic",
    )


def advice_counts(store: AdviceContactStore, day: dt.date = DAY) -> dict[str, int]:
    found = store.daily_rollups(day, day)
    return {name: n for name, n in found[0].counts.items() if n} if found else {}


def test_an_advice_call_is_counted_once_by_outcome_and_caller_and_its_outcome_moves_once(
    advice_store: AdviceContactStore,
) -> None:
    invited = advice_call("0000000a", CallerKind.PROFESSIONAL, AdviceOutcome.REFERRAL_INVITED)
    advice_store.add(invited)
    advice_store.add(advice_call("0000000b", CallerKind.PUBLIC, AdviceOutcome.ADVICE_ONLY))
    with pytest.raises(StaleReferral):  # the same call twice: refused, and counted once
        advice_store.add(invited)
    assert advice_counts(advice_store) == {
        "advice": 2, "advice_referral_invited": 1, "advice_advice_only": 1,
        "advice_caller_professional": 1, "advice_caller_public": 1,
    }  # fmt: skip
    advice_store.mark_made_into_referral(invited.contact_id, "K7Q-F3M-RW9")
    with pytest.raises(StaleReferral):  # made into a referral again: refused, nothing moves twice
        advice_store.mark_made_into_referral(invited.contact_id, "M4X-T2P-QH7")
    assert advice_counts(advice_store) == {
        "advice": 2, "advice_made_into_referral": 1, "advice_advice_only": 1,
        "advice_caller_professional": 1, "advice_caller_public": 1,
    }  # fmt: skip
    advice_store.delete_with_receipt(invited.contact_id, NOW + dt.timedelta(days=800))
    assert advice_counts(advice_store)["advice"] == 2  # past figures outlive the records


def test_the_dynamodb_advice_store_reads_a_year_of_days_in_one_query(aws: Any) -> None:
    store = DynamoAdviceContactStore(aws.aws_client("dynamodb"), aws.settings.table_name, aws.cipher)
    for offset in range(0, 366, 7):
        at = NOW + dt.timedelta(days=offset)
        store.add(advice_call(f"{offset:08x}", CallerKind.PUBLIC, AdviceOutcome.ADVICE_ONLY, at))
    with counting_aws() as tally:
        days = store.daily_rollups(DAY, DAY + dt.timedelta(days=365))
    assert [day.count("advice") for day in days] == [1] * len(range(0, 366, 7))
    assert tally.calls == {"dynamodb.Query": 1}, tally.calls


# -- the rollup hot key: a transaction cancelled by a conflict is sent again, and counts once -------


class ConflictOnce:
    """The DynamoDB client, but its first TransactWriteItems is cancelled by a conflict (as when two
    submissions at once both add to the day's rollup item): nothing of it applied."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.cancelled = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def transact_write_items(self, **arguments: Any) -> Any:
        from botocore.exceptions import ClientError

        if not self.cancelled:
            self.cancelled += 1
            reasons = [{"Code": "None"}] * (len(arguments["TransactItems"]) - 1) + [{"Code": "TransactionConflict"}]
            error = {"Error": {"Code": "TransactionCanceledException", "Message": "synthetic"}}
            raise ClientError({**error, "CancellationReasons": reasons}, "TransactWriteItems")  # type: ignore[arg-type]
        return self.client.transact_write_items(**arguments)


def test_a_referral_whose_write_is_cancelled_by_a_conflict_is_stored_and_counted_once(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.adapters import aws as aws_module

    monkeypatch.setattr(aws_module, "conflict_pause", lambda attempt: None)
    client = ConflictOnce(aws.aws_client("dynamodb"))
    store = DynamoReferralStore(client, aws.settings.table_name, aws.cipher)
    store.add(new_referral("K7Q-F3M-RW9"))
    assert client.cancelled == 1
    assert store.open("K7Q-F3M-RW9").referral.reference == "K7Q-F3M-RW9"
    assert counts(store) == {"received": 1, "route_support": 1, "source_2A": 1, "re_referral_unknown": 1}

    client.cancelled = 0  # a decision's write cancelled once too
    opened = store.open("K7Q-F3M-RW9")
    screened = opened.referral.screen(Screening(Rag.GREEN, 2, "Synthetic", "p-1", NOW, NOW + dt.timedelta(days=1)))
    store.save(opened, screened.record_decision(Outcome.UNIVERSAL_SERVICES, "Synthetic", "p-1", NOW), [])
    assert client.cancelled == 1
    assert (counts(store)["decided"], counts(store)["received"]) == (1, 1)
