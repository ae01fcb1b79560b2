"""The few item moves the reply and triage stores need, in memory and in DynamoDB.

Put new items all or nothing, get, query a partition, append a read to an item, move a triage line
with a conditional decision, delete: both the in-memory twin and the DynamoDB version behave alike
(tests/test_triage_service.py and tests/test_inbound_replies.py run against both).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
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


# -- items: the few moves both stores need, in memory and in DynamoDB ----------------------------


class Items:
    def put_new(self, items: list[dict[str, Any]]) -> bool:
        """Put all or none; False (nothing written) when the first already exists."""
        raise NotImplementedError

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def query(
        self, pk: str, prefix: str, *, newest_first: bool = False, limit: int | None = None, start: dict | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        raise NotImplementedError

    def append_view(self, pk: str, sk: str, view: dict[str, str]) -> dict[str, Any] | None:
        """Add a view to the item and return it as now stored; None when there is no such item."""
        raise NotImplementedError

    def decide(
        self,
        key: tuple[str, str],
        expected_status: str,
        sets: dict[str, Any],
        removes: list[str],
        old_line: tuple[str, str],
        new_line: dict[str, Any],
    ) -> None:
        """Change the item (only while its status is `expected_status`) and move its list line; all at once."""
        raise NotImplementedError

    def delete(self, keys: list[tuple[str, str]]) -> None:
        raise NotImplementedError


class InMemoryItems(Items):
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def put_new(self, items: list[dict[str, Any]]) -> bool:
        if any((item["pk"], item["sk"]) in self.items for item in items):
            return False
        for item in items:
            self.items[(item["pk"], item["sk"])] = dict(item)
        return True

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self.items.get((pk, sk))
        return _copy(item) if item is not None else None

    def query(
        self, pk: str, prefix: str, *, newest_first: bool = False, limit: int | None = None, start: dict | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        keys = sorted((k for k in self.items if k[0] == pk and k[1].startswith(prefix)), reverse=newest_first)
        if start:
            keys = [k for k in keys if (k[1] < start["sk"] if newest_first else k[1] > start["sk"])]
        page = keys[:limit] if limit else keys
        last = page[-1] if limit and len(keys) > limit else None
        return [_copy(self.items[k]) for k in page], ({"pk": last[0], "sk": last[1]} if last else None)

    def append_view(self, pk: str, sk: str, view: dict[str, str]) -> dict[str, Any] | None:
        item = self.items.get((pk, sk))
        if item is None:
            return None
        item["views"] = [*item.get("views", []), dict(view)]
        return _copy(item)

    def decide(
        self,
        key: tuple[str, str],
        expected_status: str,
        sets: dict[str, Any],
        removes: list[str],
        old_line: tuple[str, str],
        new_line: dict[str, Any],
    ) -> None:
        item = self.items.get(key)
        if item is None or item.get("status") != expected_status:
            raise _ConditionFailed
        item.update(sets)
        for name in removes:
            item.pop(name, None)
        self.items.pop(old_line, None)
        self.items[(new_line["pk"], new_line["sk"])] = dict(new_line)

    def delete(self, keys: list[tuple[str, str]]) -> None:
        for key in keys:
            self.items.pop(key, None)


def _copy(item: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(item, default=_keep_bytes), object_hook=_bytes_back)


def _keep_bytes(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__b64__": base64.b64encode(value).decode()}
    raise TypeError(type(value).__name__)


def _bytes_back(data: dict[str, Any]) -> Any:
    return base64.b64decode(data["__b64__"]) if set(data) == {"__b64__"} else data


class DynamoItems(Items):
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


# -- attachments metadata ---------------------------------------------------------------------------
