"""The hub's one DynamoDB table, item by item: the base every DynamoDB store moves its items through.

The client and the table's name, items encoded and decoded (boto3's TypeSerializer and
TypeDeserializer, numbers back as int and binary as bytes), get, put, a plain or conditional
call (`write_if`: None when the condition did not hold), transactions, Query page by page, and
batch writes and reads retried while DynamoDB leaves some unprocessed. Every call fails only as
AwsError (`aws.aws_errors` / `aws.write_if`, the one translation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from chalicelib.adapters.aws import AwsError, aws_errors, plain_values, write_if

# BatchWriteItem takes 25 requests at most; BatchGetItem 100 keys.
BATCH_WRITE_SIZE = 25
BATCH_GET_SIZE = 100
# Unprocessed requests are sent again this many times in all; then the caller says "try again".
BATCH_ATTEMPTS = 5


def utc_iso(moment: dt.datetime) -> str:
    """A stored time: UTC, to the microsecond, so keys made of it sort as the times do."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def parse_time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def compact(data: dict[str, Any]) -> dict[str, Any]:
    """Absent, not null: DynamoDB bills every byte, and a missing attribute reads back as None anyway."""
    return {key: value for key, value in data.items() if value is not None}


class DynamoItems:
    """The hub's table through one client: the moves every DynamoDB store shares."""

    def __init__(self, dynamodb_client: Any, table_name: str) -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self.db = dynamodb_client
        self.table = table_name
        self.serialize = TypeSerializer().serialize
        self._deserialize = TypeDeserializer().deserialize

    def encode(self, item: dict[str, Any]) -> dict[str, Any]:
        return {key: self.serialize(value) for key, value in item.items()}

    def decode(self, item: dict[str, Any]) -> dict[str, Any]:
        return plain_values({key: self._deserialize(value) for key, value in item.items()})

    @staticmethod
    def key(pk: str, sk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    # -- one call ---------------------------------------------------------------------------------

    def call(self, operation: str, **arguments: Any) -> dict[str, Any]:
        """One plain call on the table (`call("query", ...)`), its answer as DynamoDB gave it."""
        with aws_errors("dynamodb"):
            answer: dict[str, Any] = getattr(self.db, operation)(TableName=self.table, **arguments)
        return answer

    def write_if(self, operation: str, **arguments: Any) -> dict[str, Any] | None:
        """A conditional write on the table: its answer, or None if its condition did not hold."""
        return write_if(getattr(self.db, operation), TableName=self.table, **arguments)

    def transact(self, items: list[dict[str, Any]]) -> bool:
        """TransactWriteItems: False if any of its conditions did not hold (then nothing was written)."""
        return write_if(self.db.transact_write_items, TransactItems=items) is not None

    def get(self, pk: str, sk: str, *, consistent: bool = True, **arguments: Any) -> dict[str, Any] | None:
        extra = {"ConsistentRead": True, **arguments} if consistent else arguments
        answer = self.call("get_item", Key=self.key(pk, sk), **extra)
        return self.decode(answer["Item"]) if "Item" in answer else None

    def put(self, item: dict[str, Any]) -> None:
        """Store the item whole, over whatever was there."""
        self.call("put_item", Item=self.encode(item))

    def put_new(self, items: list[dict[str, Any]]) -> bool:
        """Store new items all or nothing: False if any of them is there already."""
        if len(items) == 1:
            written = self.write_if(
                "put_item", Item=self.encode(items[0]), ConditionExpression="attribute_not_exists(pk)"
            )
            return written is not None
        return self.transact([{"Put": self.new_put(item)} for item in items])

    def new_put(self, item: dict[str, Any]) -> dict[str, Any]:
        """A transaction's Put of an item that must not be there yet."""
        return {"TableName": self.table, "Item": self.encode(item), "ConditionExpression": "attribute_not_exists(pk)"}

    # -- many items -------------------------------------------------------------------------------

    def pages(self, *, limit: int | None = None, **arguments: Any) -> Iterator[dict[str, Any]]:
        """Each answer of a Query, following LastEvaluatedKey until the last page (or `limit` items:
        each page asks only for what is still wanted). Stop iterating to stop reading."""
        arguments = {"TableName": self.table, **arguments}
        read = 0
        while True:
            if limit:
                arguments["Limit"] = limit - read
            with aws_errors("dynamodb"):
                answer: dict[str, Any] = self.db.query(**arguments)
            read += len(answer.get("Items", []))
            yield answer
            last = answer.get("LastEvaluatedKey")
            if last is None or (limit and read >= limit):
                return
            arguments["ExclusiveStartKey"] = last

    def query(
        self, pk: str, prefix: str, *, newest_first: bool = False, limit: int | None = None, start: dict | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        """A partition's items (those whose sk starts with `prefix`), decoded, and where the next page
        starts (None when nothing follows)."""
        arguments: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)" if prefix else "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}, **({":prefix": {"S": prefix}} if prefix else {})},
            "ScanIndexForward": not newest_first,
            "ConsistentRead": True,
        }
        if start:
            arguments["ExclusiveStartKey"] = self.key(start["pk"], start["sk"])
        items: list[dict[str, Any]] = []
        last = None
        for answer in self.pages(limit=limit, **arguments):
            items.extend(self.decode(i) for i in answer.get("Items", []))
            last = answer.get("LastEvaluatedKey")
        # DynamoDB may hand back a key even when nothing follows: look once so no empty page is offered.
        if last is not None and limit and not self.more_after(arguments, last):
            last = None
        return items, ({"pk": last["pk"]["S"], "sk": last["sk"]["S"]} if last else None)

    def more_after(self, arguments: dict[str, Any], last: dict[str, Any]) -> bool:
        """Whether the Query has any item after `last` (one Query of one item)."""
        answer = self.call("query", **{**arguments, "ExclusiveStartKey": last, "Limit": 1})
        return bool(answer.get("Items"))

    def batch_write(self, requests: list[dict[str, Any]]) -> None:
        """BatchWriteItem's Put/DeleteRequests, 25 at a time; AwsError if some stay unprocessed."""
        for start in range(0, len(requests), BATCH_WRITE_SIZE):
            waiting = requests[start : start + BATCH_WRITE_SIZE]
            with aws_errors("dynamodb"):
                for _ in range(BATCH_ATTEMPTS):
                    answer = self.db.batch_write_item(RequestItems={self.table: waiting})
                    waiting = answer.get("UnprocessedItems", {}).get(self.table, [])
                    if not waiting:
                        break
            if waiting:
                # Throttled five times over: the caller stores nothing and says "try again".
                raise AwsError("dynamodb", "UnprocessedItems", retryable=True)

    def delete(self, keys: list[tuple[str, str]]) -> None:
        self.batch_write([{"DeleteRequest": {"Key": self.key(*key)}} for key in keys])

    def batch_get(self, keys: list[dict[str, Any]], projection: dict[str, Any]) -> list[dict[str, Any]]:
        """BatchGetItem of up to 100 keys, decoded, in no particular order; AwsError if some stay unread."""
        request: dict[str, Any] = {self.table: {"Keys": keys, **projection}}
        items: list[dict[str, Any]] = []
        with aws_errors("dynamodb"):
            for _ in range(BATCH_ATTEMPTS):
                answer = self.db.batch_get_item(RequestItems=request)
                items.extend(self.decode(i) for i in answer.get("Responses", {}).get(self.table, []))
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    return items
        raise AwsError("dynamodb", "UnprocessedKeys", retryable=True)
