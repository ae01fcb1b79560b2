"""Rate-limit counters: one small DynamoDB item per client per window, with an in-memory twin.

Item: pk `RATE#<client key>`, sk `<scope>#<window start>`, a `count`, and `expires_at` so the
table's TTL deletes it once the window is long over. No address, no request detail.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.aws import write_if
from chalicelib.adapters.table import TTL_ATTRIBUTE
from chalicelib.domain.rate_limit import Window

# Keep the counter a while after its window closes: TTL deletion is lazy, and the item is tiny.
EXPIRY_GRACE_SECONDS = 3600


class RateLimitStore:
    def take(self, client: str, scope: str, window: Window, limit: int) -> bool:
        """Count one request in the client's window; False (and nothing counted) once `limit` is reached."""
        raise NotImplementedError


class DynamoRateLimitStore(RateLimitStore):
    def __init__(self, dynamodb_client: Any, table_name: str) -> None:
        self._db = dynamodb_client
        self._table = table_name

    def take(self, client: str, scope: str, window: Window, limit: int) -> bool:
        counted = write_if(
            self._db.update_item,
            TableName=self._table,
            Key={"pk": {"S": f"RATE#{client}"}, "sk": {"S": f"{scope}#{window.start}"}},
            UpdateExpression="ADD #count :one SET #expires = if_not_exists(#expires, :expires)",
            # Count only while under the limit: one atomic call, however many Lambdas race.
            ConditionExpression="attribute_not_exists(#count) OR #count < :limit",
            ExpressionAttributeNames={"#count": "count", "#expires": TTL_ATTRIBUTE},
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":limit": {"N": str(limit)},
                ":expires": {"N": str(window.end + EXPIRY_GRACE_SECONDS)},
            },
        )
        return counted is not None


class InMemoryRateLimitStore(RateLimitStore):
    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, int], int] = {}

    def take(self, client: str, scope: str, window: Window, limit: int) -> bool:
        key = (client, scope, window.start)
        if self.counts.get(key, 0) >= limit:
            return False
        self.counts[key] = self.counts.get(key, 0) + 1
        return True
