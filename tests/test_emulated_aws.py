"""The tests' emulator (tests/emulated_aws.py) answers as moto does: DynamoDB reads written as JSON
straight away parse to what moto's own serializer gives, for every kind of attribute the hub stores
and some it does not; and a test's moto state starts as a fresh account's, whatever a test before wrote."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulated_aws import emulated_aws

TABLE = "emulated-reads"
ITEMS = [
    {
        "pk": {"S": "REF#K7Q-F3M-RW9"},
        "sk": {"S": "A"},
        "sealed": {"B": bytes(range(256))},  # ciphertext, as the hub stores it
        "count": {"N": "42"},
        "ratio": {"N": "0.125"},
        "flag": {"BOOL": False},
        "nothing": {"NULL": True},
        "names": {"SS": ["Łukasz", "Zoë"]},
        "numbers": {"NS": ["1", "2.5"]},
        "blobs": {"BS": [b"\x00\x01", b"\xff"]},
        "nested": {"M": {"list": {"L": [{"S": "a"}, {"N": "1"}, {"M": {"b": {"B": b"\x10"}}}]}}},
    },
    {"pk": {"S": "REF#K7Q-F3M-RW9"}, "sk": {"S": "B"}, "text": {"S": 'emoji 🙂 and "quotes" \\ and \n'}},
]


def _reads(db: Any) -> list[dict[str, Any]]:
    key = {"pk": {"S": "REF#K7Q-F3M-RW9"}, "sk": {"S": "A"}}
    answers = [
        db.get_item(TableName=TABLE, Key=key, ReturnConsumedCapacity="TOTAL"),
        db.get_item(TableName=TABLE, Key={"pk": {"S": "none"}, "sk": {"S": "none"}}),
        db.get_item(
            TableName=TABLE, Key=key, ProjectionExpression="#s, nested", ExpressionAttributeNames={"#s": "sealed"}
        ),
        db.query(TableName=TABLE, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": ITEMS[0]["pk"]}),
        db.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :p",
            Limit=1,
            Select="COUNT",
            ExpressionAttributeValues={":p": ITEMS[0]["pk"]},
        ),
        db.query(
            TableName=TABLE, KeyConditionExpression="pk = :p", Limit=1, ExpressionAttributeValues={":p": ITEMS[0]["pk"]}
        ),  # a LastEvaluatedKey
        db.scan(TableName=TABLE),
        db.batch_get_item(RequestItems={TABLE: {"Keys": [key, {"pk": ITEMS[1]["pk"], "sk": ITEMS[1]["sk"]}]}}),
    ]
    for answer in answers:
        answer.pop("ResponseMetadata")
    return answers


def test_dynamodb_reads_written_directly_parse_as_motos_serializer_writes_them(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto.dynamodb.responses import DynamoResult

    with emulated_aws():
        db = boto3.client("dynamodb", region_name="eu-west-2")
        db.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )  # fmt: skip
        for item in ITEMS:
            db.put_item(TableName=TABLE, Item=item)
        direct = _reads(db)
        assert getattr(DynamoResult.execute_result, "direct", False)  # the fast path was the one taken
        monkeypatch.setattr(DynamoResult, "execute_result", DynamoResult.execute_result.moto)
        assert _reads(db) == direct
    assert direct[0]["Item"]["sealed"]["B"] == bytes(range(256))
    assert direct[5]["LastEvaluatedKey"] and direct[4]["Count"] == 1


def test_each_test_starts_from_a_fresh_accounts_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resources are made once and copied: what one test writes is gone for the next."""
    from tests.emulated_aws import hub_with_resources

    for run in range(2):
        with hub_with_resources(monkeypatch) as hub:
            db, sqs = hub.aws_client("dynamodb"), hub.aws_client("sqs")
            assert db.scan(TableName=hub.settings.table_name)["Items"] == [], run
            queue = sqs.list_queues()["QueueUrls"][0]
            assert "Messages" not in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0), run
            db.put_item(TableName=hub.settings.table_name, Item={"pk": {"S": "LEFT#OVER"}, "sk": {"S": str(run)}})
            sqs.send_message(QueueUrl=queue, MessageBody="left over")


SINGLE_KEY_TABLE = "emulated-single-key"


def _two_tables(*, with_index: bool) -> Any:
    """A client, the table with a partition and sort key (and a GSI by kind), and a single-key table
    holding one item."""
    import boto3

    db = boto3.client("dynamodb", region_name="eu-west-2")
    index = {"IndexName": "by-kind", "Projection": {"ProjectionType": "ALL"},
             "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]}  # fmt: skip
    db.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "kind")[: 3 if with_index else 2]],
        **({"GlobalSecondaryIndexes": [index]} if with_index else {}),
        BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    db.create_table(
        TableName=SINGLE_KEY_TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    db.put_item(TableName=SINGLE_KEY_TABLE, Item={"id": {"S": "kept"}, "v": {"S": "as it was"}})
    return db


def _transactions(db: Any) -> list[Any]:
    """Transactions refused part way (a condition, the same item twice, a bad expression), each after
    it has written, and accepted ones: what each answered, and both tables after each."""
    a, b = ({"pk": item["pk"], "sk": item["sk"]} for item in ITEMS)
    c = {"pk": {"S": "REF#K7Q-F3M-RW9"}, "sk": {"S": "C"}}
    other = {"pk": {"S": "REF#OTHER"}, "sk": {"S": "A"}}
    set_count = {"UpdateExpression": "SET #c = #c + :one", "ExpressionAttributeNames": {"#c": "count"}}
    one = {":one": {"N": "1"}}
    refused_by_condition = [
        {"Update": {"TableName": TABLE, "Key": a, **set_count, "ExpressionAttributeValues": one}},
        {"Put": {"TableName": TABLE, "Item": {**c, "text": {"S": "new"}}}},
        {"Delete": {"TableName": TABLE, "Key": b}},
        {"Put": {"TableName": SINGLE_KEY_TABLE, "Item": {"id": {"S": "new"}}}},
        {"Update": {"TableName": SINGLE_KEY_TABLE, "Key": {"id": {"S": "kept"}}, "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"S": "changed"}}}},
        {"ConditionCheck": {"TableName": TABLE, "Key": other, "ConditionExpression": "attribute_exists(pk)"}},
    ]  # fmt: skip
    the_same_item_twice = [
        {"Update": {"TableName": TABLE, "Key": a, **set_count, "ExpressionAttributeValues": one}},
        {"Put": {"TableName": TABLE, "Item": {**other, "text": {"S": "new"}}}},
        {"Delete": {"TableName": TABLE, "Key": a}},
    ]
    a_bad_expression = [
        {"Delete": {"TableName": TABLE, "Key": b}},
        {"Update": {"TableName": TABLE, "Key": a, "UpdateExpression": "SET #missing = :one",
                    "ExpressionAttributeValues": one}},
    ]  # fmt: skip
    accepted = [
        {"Update": {"TableName": TABLE, "Key": a, **set_count, "ExpressionAttributeValues": one}},
        {"Put": {"TableName": TABLE, "Item": {**c, "text": {"S": "new"}}}},
        {"Delete": {"TableName": SINGLE_KEY_TABLE, "Key": {"id": {"S": "kept"}}}},
    ]
    refused_after_it = [
        {"Put": {"TableName": TABLE, "Item": {**c, "text": {"S": "again"}}, "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": TABLE, "Key": a, **set_count, "ExpressionAttributeValues": one}},
    ]  # fmt: skip
    seen: list[Any] = []
    for transaction in (refused_by_condition, the_same_item_twice, a_bad_expression, accepted, refused_after_it):
        try:
            db.transact_write_items(TransactItems=transaction)
            seen.append("accepted")
        except db.exceptions.ClientError as error:
            seen.append((error.response["Error"]["Code"], error.response.get("CancellationReasons")))
        seen.append([sorted(db.scan(TableName=name)["Items"], key=repr) for name in (TABLE, SINGLE_KEY_TABLE)])
    return seen


def test_a_refused_transaction_leaves_the_tables_as_motos_own_backup_does(monkeypatch: pytest.MonkeyPatch) -> None:
    import copy

    from moto.dynamodb import models as dynamodb_models

    answers = []
    for backup in ("items named", "moto's whole tables"):
        with emulated_aws():
            if backup == "moto's whole tables":
                monkeypatch.setattr(
                    dynamodb_models.DynamoDBBackend,
                    "transact_write_items",
                    dynamodb_models.DynamoDBBackend.transact_write_items.moto,
                )
                monkeypatch.setattr(dynamodb_models, "copy", copy)
            else:
                assert getattr(dynamodb_models.DynamoDBBackend.transact_write_items, "item_backups", False)
            db = _two_tables(with_index=False)
            for item in ITEMS:
                db.put_item(TableName=TABLE, Item=item)
            answers.append(_transactions(db))
        monkeypatch.undo()
    assert answers[0] == answers[1]
    codes = [answer if answer == "accepted" else answer[0] for answer in answers[0][::2]]
    assert codes == ["TransactionCanceledException", "ValidationException", "TransactionCanceledException", "accepted",
                     "TransactionCanceledException"]  # fmt: skip
    before = answers[0][1]
    assert len(before[0]) == 2 and before[1] == [{"id": {"S": "kept"}, "v": {"S": "as it was"}}]
    assert answers[0][3] == answers[0][5] == before  # every refusal left both tables as they were
    after_accepted = answers[0][7]
    assert {item["sk"]["S"] for item in after_accepted[0]} == {"A", "B", "C"} and after_accepted[1] == []
    assert answers[0][9] == after_accepted


def _queries(db: Any) -> list[Any]:
    """Queries on the table's key (every page of each), and one on a GSI: what each answered."""
    p1, p2 = {"S": "REF#ONE"}, {"S": "REF#TWO"}
    asked: list[dict[str, Any]] = [
        {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": p1}},
        {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": p2}, "ScanIndexForward": False},
        {"KeyConditionExpression": "pk = :p AND begins_with(sk, :e)", "ExpressionAttributeValues": {":p": p1, ":e": {"S": "EV#"}}},
        {"KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b", "ExpressionAttributeValues": {":p": p1, ":a": {"S": "EV#03"}, ":b": {"S": "EV#07"}}},
        {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": p1}, "Limit": 3},
        {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": p1}, "Limit": 4, "ScanIndexForward": False},
        {"KeyConditionExpression": "pk = :p", "FilterExpression": "n > :n", "ExpressionAttributeValues": {":p": p1, ":n": {"N": "4"}}},
        {"KeyConditionExpression": "pk = :p", "ProjectionExpression": "sk, n", "ExpressionAttributeValues": {":p": p2}},
        {"KeyConditionExpression": "pk = :p", "Select": "COUNT", "ExpressionAttributeValues": {":p": p1}},
        {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "REF#NONE"}}},
        {"IndexName": "by-kind", "KeyConditionExpression": "kind = :k", "ExpressionAttributeValues": {":k": {"S": "event"}}},
    ]  # fmt: skip
    answers = []
    for query in asked:
        pages, start = [], None
        while True:
            page = db.query(TableName=TABLE, **query, **({"ExclusiveStartKey": start} if start else {}))
            page.pop("ResponseMetadata")
            pages.append(page)
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        answers.append(pages)
    answers.append(db.query(TableName=SINGLE_KEY_TABLE, KeyConditionExpression="id = :i",
                            ExpressionAttributeValues={":i": {"S": "kept"}})["Items"])  # fmt: skip
    answers.append(db.scan(TableName=TABLE)["Items"])  # the whole table still read by a Scan
    return answers


def test_a_query_on_the_tables_key_answers_as_moto_does(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models.table import Table

    answers = []
    for reading in ("the partition", "moto's every item"):
        with emulated_aws():
            if reading == "moto's every item":
                monkeypatch.setattr(Table, "query", Table.query.moto)
            else:
                assert getattr(Table.query, "by_partition", False)
            db = _two_tables(with_index=True)
            for n, (partition, sort_key) in enumerate(
                [(p, f"EV#{i:02d}") for p in ("REF#TWO", "REF#ONE", "REF#THREE") for i in (9, 1, 5, 3, 7, 2)]
                + [("REF#ONE", "A"), ("REF#ONE", "Z"), ("REF#TWO", "META")]
            ):
                kind = {"kind": {"S": "event"}} if sort_key.startswith("EV#") else {}
                db.put_item(
                    TableName=TABLE,
                    Item={"pk": {"S": partition}, "sk": {"S": sort_key}, "n": {"N": str(n % 9)}, **kind},
                )
            answers.append(_queries(db))
        monkeypatch.undo()
    assert answers[0] == answers[1]
    first = answers[0]
    assert [item["sk"]["S"] for page in first[0] for item in page["Items"]] == [
        "A",
        *(f"EV#{i:02d}" for i in (1, 2, 3, 5, 7, 9)),
        "Z",
    ]
    assert len(first[4]) == 3 and len(first[5]) == 2  # pages of 3 and of 4 (8 items)
    assert first[8][0]["Count"] == 8 and first[9][0]["Items"] == [] and len(first[10][0]["Items"]) == 18
