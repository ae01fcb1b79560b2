"""The bench prices DynamoDB writes by DynamoDB's sizing rules."""

from __future__ import annotations

import pytest

from bench.aws_meter import WriteLabel, counting_aws, item_kind, price, unprocessed, write_targets
from bench.dynamodb_size import WriteCost, attribute_value_size, item_size
from bench.referrals import ACKNOWLEDGEMENT, OTHER, RATE_LIMIT, SUBMISSION, part_of_submission


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
    item = {
        "pk": {"S": "REF#A"},
        "sk": {"S": "REFERRAL"},
        "blob": {"B": b"x" * 1900},
        "queue_pk": {"S": "received"},
        "queue_sk": {"S": "2026"},
    }
    assert 1024 < item_size(item) <= 2048
    assert WriteCost("t").of(None, item) == {"table": 2, "queue": 1}


def test_an_update_costs_the_whole_item_and_removing_an_index_key_deletes_its_entry() -> None:
    before = {
        "pk": {"S": "REF#A"},
        "sk": {"S": "REFERRAL"},
        "outbox_pk": {"S": "PENDING"},
        "outbox_due": {"S": "2026"},
        "blob": {"B": b"x" * 1500},
    }
    after = {k: v for k, v in before.items() if not k.startswith("outbox")}
    assert WriteCost("t").of(before, after) == {"table": 2, "outbox": 1}


def test_transactional_writes_cost_double() -> None:
    item = {"pk": {"S": "REF#A"}, "sk": {"S": "X"}}
    assert WriteCost("t").of(None, item, transactional=True) == {"table": 2}


# BatchWriteItem and TransactWriteItems: every item they touch is priced on its own.

CHILD = {"pk": {"S": "CHILD#0123456789abcdef"}, "sk": {"S": "REF#ABC-DEF-GHJ"}, "reference": {"S": "ABC-DEF-GHJ"}}
REFERRAL_KEY = {"pk": {"S": "REF#ABC-DEF-GHJ"}, "sk": {"S": "REFERRAL"}}
AUDIT = {"pk": {"S": "REF#ABC-DEF-GHJ"}, "sk": {"S": "AUDIT#00000001"}, "hash": {"S": "h" * 64}}


def referral(blob_bytes: int, queue_sk: str = "2#2026-11-27#ABC-DEF-GHJ") -> dict:
    return {
        **REFERRAL_KEY,
        "reference": {"S": "ABC-DEF-GHJ"},
        "queue_pk": {"S": "OPEN"},
        "queue_sk": {"S": queue_sk},
        "pd_children": {"B": b"x" * blob_bytes},
    }


def test_a_batch_write_is_one_target_per_request_and_no_transaction() -> None:
    params = {
        "RequestItems": {
            "t": [{"PutRequest": {"Item": CHILD}}, {"DeleteRequest": {"Key": {"pk": CHILD["pk"], "sk": {"S": "X"}}}}]
        }
    }
    targets = write_targets("BatchWriteItem", params)
    assert [(t.table, t.key["sk"]["S"], t.transactional) for t in targets] == [
        ("t", "REF#ABC-DEF-GHJ", False),
        ("t", "X", False),
    ]


def test_a_child_index_put_costs_one_wcu_and_no_index_write() -> None:
    [target] = write_targets("BatchWriteItem", {"RequestItems": {"t": [{"PutRequest": {"Item": CHILD}}]}})
    assert price(WriteCost("t"), target, None, CHILD) == {"table": 1}


def test_a_batch_delete_costs_the_item_deleted_and_its_index_entries() -> None:
    stored = referral(1500)
    [target] = write_targets("BatchWriteItem", {"RequestItems": {"t": [{"DeleteRequest": {"Key": REFERRAL_KEY}}]}})
    assert price(WriteCost("t"), target, stored, None) == {"table": 2, "queue": 1}


def test_a_transaction_doubles_each_items_write_but_not_its_index_entries() -> None:
    item = referral(1500)
    params = {
        "TransactItems": [
            {"Put": {"TableName": "t", "Item": item, "ConditionExpression": "version = :v"}},
            {"Put": {"TableName": "t", "Item": AUDIT}},
        ]
    }
    put, audit = write_targets("TransactWriteItems", params)
    assert put.transactional and audit.transactional
    assert price(WriteCost("t"), put, None, item) == {"table": 4, "queue": 1}
    assert price(WriteCost("t"), audit, None, AUDIT) == {"table": 2}


def test_a_transactional_update_prices_the_larger_of_before_and_after_and_a_moved_index_key_twice() -> None:
    before, after = referral(900), referral(1100, queue_sk="1#2026-11-26#ABC-DEF-GHJ")
    [update] = write_targets(
        "TransactWriteItems", {"TransactItems": [{"Update": {"TableName": "t", "Key": REFERRAL_KEY}}]}
    )
    # after is over 1 KB: 2 units, doubled; the queue entry is deleted and put again.
    assert price(WriteCost("t"), update, before, after) == {"table": 4, "queue": 2}


def test_a_condition_check_is_billed_as_a_transactional_write_of_the_item() -> None:
    stored = referral(1500)
    [check] = write_targets(
        "TransactWriteItems", {"TransactItems": [{"ConditionCheck": {"TableName": "t", "Key": REFERRAL_KEY}}]}
    )
    assert check.condition_only
    assert price(WriteCost("t"), check, stored, stored) == {"table": 4}


def test_unprocessed_batch_requests_are_not_billed() -> None:
    answer = {"UnprocessedItems": {"t": [{"PutRequest": {"Item": CHILD}}]}}
    assert len(unprocessed("BatchWriteItem", answer)) == 1
    assert unprocessed("TransactWriteItems", {}) == set()


def test_items_are_labelled_by_kind() -> None:
    assert [item_kind(key) for key in (CHILD, REFERRAL_KEY, AUDIT)] == ["child-index", "referral", "audit"]
    assert item_kind({"pk": {"S": "RATE#x"}, "sk": {"S": "api#1"}}) == "rate-limit"
    assert item_kind({"pk": {"S": "MSG#0100"}, "sk": {"S": "NOTICE"}}) == "message-index"
    assert item_kind({"pk": {"S": "CONFIG"}, "sk": {"S": "BLIND_INDEX_KEY"}}) == "config"


def test_the_meter_prices_real_batch_and_transaction_calls_against_moto() -> None:
    import boto3
    from moto import mock_aws

    from chalicelib.adapters.table import table_definition

    with mock_aws():
        db = boto3.client("dynamodb", region_name="eu-west-2")
        db.create_table(**table_definition("t"))
        with counting_aws() as tally:
            db.batch_write_item(RequestItems={"t": [{"PutRequest": {"Item": CHILD}}]})
            db.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": "t", "Item": referral(1500)}},
                    {"Put": {"TableName": "t", "Item": AUDIT}},
                ]
            )
            db.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": "t",
                            "Key": REFERRAL_KEY,
                            "UpdateExpression": "SET audit_seq = :s",
                            "ExpressionAttributeValues": {":s": {"N": "1"}},
                        }
                    }
                ]
            )
    assert dict(tally.wcu) == {
        WriteLabel("BatchWriteItem", "child-index", "table"): 1,
        WriteLabel("TransactWriteItems", "referral", "table"): 4 + 4,  # the put, then the update (nothing projected)
        WriteLabel("TransactWriteItems", "referral", "queue"): 1,
        WriteLabel("TransactWriteItems", "audit", "table"): 2,
    }
    assert tally.calls == {"dynamodb.BatchWriteItem": 1, "dynamodb.TransactWriteItems": 2}


@pytest.mark.parametrize(
    ("label", "part"),
    [
        (WriteLabel("BatchWriteItem", "child-index", "table"), SUBMISSION),
        (WriteLabel("PutItem", "referral", "queue"), SUBMISSION),
        (WriteLabel("UpdateItem", "referral", "table"), ACKNOWLEDGEMENT),
        (WriteLabel("BatchWriteItem", "message-index", "table"), ACKNOWLEDGEMENT),
        (WriteLabel("UpdateItem", "rate-limit", "table"), RATE_LIMIT),
        (WriteLabel("PutItem", "config", "table"), OTHER),
    ],
)
def test_each_write_of_a_submission_is_counted_in_its_part(label: WriteLabel, part: str) -> None:
    assert part_of_submission(label) == part
