"""Rate-limit counters: one small DynamoDB item per client per window, with an in-memory twin.

Item: pk `RATE#<client key>`, sk `<scope>#<window start>`, a `count`, and `expires_at` so the
table's TTL deletes it once the window is long over. No address, no request detail.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamo_items import DynamoItems
from chalicelib.adapters.table import TTL_ATTRIBUTE
from chalicelib.domain.rate_limit import Window

# Keep the counter a while after its window closes: TTL deletion is lazy, and the item is tiny.
EXPIRY_GRACE_SECONDS = 3600


class RateLimitStore:
    """The counters' rule and keys; the twins below differ only in where the count is kept."""

    def take(self, client: str, scope: str, window: Window, limit: int) -> bool:
        """Count one request in the client's window; False (and nothing counted) once `limit` is reached."""
        return self._count_if_under(
            f"RATE#{client}", f"{scope}#{window.start}", limit, expires_at=window.end + EXPIRY_GRACE_SECONDS
        )

    def _count_if_under(self, pk: str, sk: str, limit: int, *, expires_at: int) -> bool:
        raise NotImplementedError


class DynamoRateLimitStore(RateLimitStore):
    def __init__(self, dynamodb_client: Any, table_name: str) -> None:
        self.items = DynamoItems(dynamodb_client, table_name)

    def _count_if_under(self, pk: str, sk: str, limit: int, *, expires_at: int) -> bool:
        counted = self.items.write_if(
            "update_item",
            Key=self.items.key(pk, sk),
            UpdateExpression="ADD #count :one SET #expires = if_not_exists(#expires, :expires)",
            # Count only while under the limit: one atomic call, however many Lambdas race.
            ConditionExpression="attribute_not_exists(#count) OR #count < :limit",
            ExpressionAttributeNames={"#count": "count", "#expires": TTL_ATTRIBUTE},
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":limit": {"N": str(limit)},
                ":expires": {"N": str(expires_at)},
            },
        )
        return counted is not None


class InMemoryRateLimitStore(RateLimitStore):
    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}

    def _count_if_under(self, pk: str, sk: str, limit: int, *, expires_at: int) -> bool:
        if self.counts.get((pk, sk), 0) >= limit:
            return False
        self.counts[(pk, sk)] = self.counts.get((pk, sk), 0) + 1
        return True
