"""The few DynamoDB item moves the reply, triage and document-record stores need.

Put new items all or nothing, get, query a partition, append a read to an item, move a triage line
with a conditional decision, delete. Only the DynamoDB stores use them: their in-memory twins keep
domain objects (adapters/agency_replies_memory.py, referral_attachments.py), held to the same
contract by tests/test_reply_store.py, test_triage_store.py and test_attachment_records.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.aws import AwsError, aws_errors, plain_values, write_if


class _ConditionFailed(Exception):
    pass


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _parse(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Absent, not null: DynamoDB bills every byte, and a missing attribute reads back as None anyway."""
    return {key: value for key, value in data.items() if value is not None}


class DynamoItems:
    """The item moves of the reply, triage and document-record stores, in the hub's table."""

    def __init__(self, dynamodb_client: Any, table_name: str) -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._db = dynamodb_client
        self._table = table_name
        self._serialize = TypeSerializer().serialize
        self._deserialize = TypeDeserializer().deserialize

    def _encode(self, item: dict[str, Any]) -> dict[str, Any]:
        return {key: self._serialize(value) for key, value in item.items()}

    def _decode(self, item: dict[str, Any]) -> dict[str, Any]:
        return plain_values({key: self._deserialize(value) for key, value in item.items()})

    @staticmethod
    def _key(pk: str, sk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    def put_new(self, items: list[dict[str, Any]]) -> bool:
        if len(items) == 1:
            written = write_if(
                self._db.put_item,
                TableName=self._table,
                Item=self._encode(items[0]),
                ConditionExpression="attribute_not_exists(pk)",
            )
            return written is not None
        puts = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._encode(item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for item in items
        ]
        return write_if(self._db.transact_write_items, TransactItems=puts) is not None

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        with aws_errors("dynamodb"):
            answer = self._db.get_item(TableName=self._table, Key=self._key(pk, sk), ConsistentRead=True)
        return self._decode(answer["Item"]) if "Item" in answer else None

    def query(
        self, pk: str, prefix: str, *, newest_first: bool = False, limit: int | None = None, start: dict | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)" if prefix else "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}, **({":prefix": {"S": prefix}} if prefix else {})},
            "ScanIndexForward": not newest_first,
            "ConsistentRead": True,
        }
        if start:
            arguments["ExclusiveStartKey"] = self._key(start["pk"], start["sk"])
        items: list[dict[str, Any]] = []
        last = None
        with aws_errors("dynamodb"):
            while True:
                if limit:
                    arguments["Limit"] = limit - len(items)
                answer = self._db.query(**arguments)
                items.extend(self._decode(i) for i in answer.get("Items", []))
                last = answer.get("LastEvaluatedKey")
                if last is None or (limit and len(items) >= limit):
                    break
                arguments["ExclusiveStartKey"] = last
        # DynamoDB may hand back a key even when nothing follows: look once so no empty page is offered.
        if last is not None and limit and not self._more_after(arguments, last):
            last = None
        return items, ({"pk": last["pk"]["S"], "sk": last["sk"]["S"]} if last else None)

    def _more_after(self, arguments: dict[str, Any], last: dict[str, Any]) -> bool:
        with aws_errors("dynamodb"):
            answer = self._db.query(**{**arguments, "ExclusiveStartKey": last, "Limit": 1})
        return bool(answer.get("Items"))

    def append_view(self, pk: str, sk: str, view: dict[str, str]) -> dict[str, Any] | None:
        answer = write_if(
            self._db.update_item,
            TableName=self._table,
            Key=self._key(pk, sk),
            UpdateExpression="SET #views = list_append(if_not_exists(#views, :none), :view)",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#views": "views"},
            ExpressionAttributeValues={":none": {"L": []}, ":view": {"L": [self._serialize(view)]}},
            ReturnValues="ALL_NEW",
        )
        return None if answer is None else self._decode(answer["Attributes"])

    def decide(
        self,
        key: tuple[str, str],
        expected_status: str,
        sets: dict[str, Any],
        removes: list[str],
        old_line: tuple[str, str],
        new_line: dict[str, Any],
    ) -> None:
        names = {"#status": "status"}
        values: dict[str, Any] = {":expected": {"S": expected_status}}
        assignments = []
        for index, (name, value) in enumerate(sets.items()):
            names[f"#s{index}"] = name
            values[f":s{index}"] = self._serialize(value)
            assignments.append(f"#s{index} = :s{index}")
        for index, name in enumerate(removes):
            names[f"#r{index}"] = name
        update = "SET " + ", ".join(assignments)
        if removes:
            update += " REMOVE " + ", ".join(f"#r{index}" for index in range(len(removes)))
        written = write_if(
            self._db.transact_write_items,
            TransactItems=[
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": self._key(*key),
                        "UpdateExpression": update,
                        "ConditionExpression": "#status = :expected",
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values,
                    }
                },
                {"Delete": {"TableName": self._table, "Key": self._key(*old_line)}},
                {"Put": {"TableName": self._table, "Item": self._encode(new_line)}},
            ],
        )
        if written is None:
            raise _ConditionFailed

    def delete(self, keys: list[tuple[str, str]]) -> None:
        for start in range(0, len(keys), 25):
            requests = [{"DeleteRequest": {"Key": self._key(*key)}} for key in keys[start : start + 25]]
            with aws_errors("dynamodb"):
                for _ in range(5):
                    answer = self._db.batch_write_item(RequestItems={self._table: requests})
                    requests = answer.get("UnprocessedItems", {}).get(self._table, [])
                    if not requests:
                        break
            if requests:
                raise AwsError("dynamodb", "UnprocessedItems", retryable=True)
