"""The bench prices DynamoDB writes by DynamoDB's sizing rules."""

from __future__ import annotations

import pytest

from bench.dynamodb_size import WriteCost, attribute_value_size, item_size


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ({"S": "abc"}, 3),
        ({"S": "é"}, 2),  # UTF-8 bytes, not characters
        ({"B": b"\x00" * 28}, 28),
        ({"N": "12345"}, 4),  # ceil(5 digits / 2) + 1
        ({"BOOL": True}, 1),
        ({"NULL": True}, 1),
        ({"L": [{"S": "ab"}, {"S": "c"}]}, 3 + (1 + 2) + (1 + 1)),
        ({"M": {"k": {"S": "v"}}}, 3 + 1 + 1 + 1),
    ],
)
def test_attribute_sizes_follow_dynamodb_rules(value: dict, size: int) -> None:
    assert attribute_value_size(value) == size


def test_a_new_item_costs_its_kilobytes_plus_each_index_it_appears_in() -> None:
    item = {"pk": {"S": "REF#A"}, "sk": {"S": "REFERRAL"}, "blob": {"B": b"x" * 1900}, "queue_pk": {"S": "received"}, "queue_sk": {"S": "2026"}}
    assert 1024 < item_size(item) <= 2048
    assert WriteCost("t").of(None, item) == {"table": 2, "queue": 1}


def test_an_update_costs_the_whole_item_and_removing_an_index_key_deletes_its_entry() -> None:
    before = {"pk": {"S": "REF#A"}, "sk": {"S": "REFERRAL"}, "outbox_pk": {"S": "PENDING"}, "outbox_due": {"S": "2026"}, "blob": {"B": b"x" * 1500}}
    after = {k: v for k, v in before.items() if not k.startswith("outbox")}
    assert WriteCost("t").of(before, after) == {"table": 2, "outbox": 1}


def test_transactional_writes_cost_double() -> None:
    item = {"pk": {"S": "REF#A"}, "sk": {"S": "X"}}
    assert WriteCost("t").of(None, item, transactional=True) == {"table": 2}
