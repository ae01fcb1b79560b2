"""Re-indexing stored referrals (issue 13): those stored before search existed become findable, old
"known before" keys are replaced, each referral in one transaction, and a second run writes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.adapters.referrals import ReferralStore
from chalicelib.domain.failures import StaleReferral
from tests.conftest import table_items
from tests.test_search_index import CARDS, new_referral, store
from tests.test_staff_api import body, example_with_child, issuer, staff, submit

__all__ = ["issuer", "staff", "store"]  # fixtures used by name


def test_a_referral_gains_its_entries_and_loses_its_old_ones_in_one_write(store: ReferralStore) -> None:
    old = new_referral("AAA-AAA-AAA", ())  # child key "child-key", no search keys: stored before search
    store.add(old, search_card=None)
    assert store.stored_references() == ["AAA-AAA-AAA"]
    card = CARDS.seal("AAA-AAA-AAA", [{"first_name": "Oliwia", "date_of_birth": "2019-03-14"}])
    assert store.reindex(old, child_keys=("new-child-key",), search_keys=("k-name", "k-dob"), search_card=card)

    [entry] = store.search_entries("k-name", limit=10)
    assert CARDS.open(entry.reference, entry.card)[0]["first_name"] == "Oliwia"
    [row] = store.search_rows(["AAA-AAA-AAA"])
    assert row.search_keys == {"k-name", "k-dob"}
    assert [s.reference for s in store.referrals_of_child("new-child-key")] == ["AAA-AAA-AAA"]
    assert store.referrals_of_child("child-key") == []  # the old key's entry is gone
    reread = store.fetch("AAA-AAA-AAA")
    assert (reread.version, reread.child_keys) == (old.version + 1, ("new-child-key",))

    # As it is now: nothing to write. As it was read before: refused, never written back.
    assert not store.reindex(reread, child_keys=("new-child-key",), search_keys=("k-dob", "k-name"), search_card=card)
    with pytest.raises(StaleReferral):
        store.reindex(old, child_keys=("other",), search_keys=("k-other",), search_card=card)
    assert store.search_entries("k-other", limit=10) == []


def forget_index(aws: Any, reference: str) -> None:
    """Make a referral look as one stored before search: no search entries, an old "known before" key."""
    db = aws.aws_client("dynamodb")
    table = aws.settings.table_name
    for item in table_items(aws):
        if item["pk"]["S"].startswith(("SEARCH#", "CHILD#")):
            db.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
    db.put_item(TableName=table, Item={"pk": {"S": "CHILD#old-folding"}, "sk": {"S": f"REF#{reference}"},
                                       "reference": {"S": reference}})  # fmt: skip
    db.update_item(
        TableName=table,
        Key={"pk": {"S": f"REF#{reference}"}, "sk": {"S": "REFERRAL"}},
        # Nor the card the queue shows first names from (it came after search).
        UpdateExpression="SET child_keys = :old REMOVE search_keys, card",
        ExpressionAttributeValues={":old": {"L": [{"S": "old-folding"}]}},
    )


def index_keys(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((i["pk"]["S"], i["sk"]["S"]) for i in items if i["pk"]["S"].startswith(("SEARCH#", "CHILD#")))


def test_a_referral_stored_before_search_becomes_findable_and_a_second_run_writes_nothing(
    client: Any, aws: Any, staff: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from chalicelib.services.reindex_referrals import main, reindex_all

    reference = submit(client, example_with_child("Oliwia", "Łukasiewicz", "2019-03-14"))
    findable = table_items(aws)
    forget_index(aws, reference)
    assert body(staff("practitioner", "GET", "/admin/search?name=Lukasiewicz"))["referrals"] == []

    first = reindex_all()
    assert (first.examined, first.reindexed, first.unchanged, first.changed_meanwhile) == (1, 1, 0, 0)
    [row] = body(staff("practitioner", "GET", "/admin/referrals"))["referrals"]
    assert [child["first_name"] for child in row["children"]] == ["Oliwia"]  # the queue recognises it again
    [found] = body(staff("practitioner", "GET", "/admin/search?name=Lukasiewicz"))["referrals"]
    assert found["reference"] == reference and found["children"][0]["first_name"] == "Oliwia"
    # The same entries as a referral stored today (the cards are sealed afresh, so compared by key).
    assert index_keys(table_items(aws)) == index_keys(findable)

    after_first = sorted(json.dumps(item, sort_keys=True, default=repr) for item in table_items(aws))
    main()
    assert "1 referrals: 0 re-indexed, 1 already up to date" in capsys.readouterr().out
    assert sorted(json.dumps(item, sort_keys=True, default=repr) for item in table_items(aws)) == after_first
