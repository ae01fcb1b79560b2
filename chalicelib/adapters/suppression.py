"""The suppression list: addresses the hub must not email again (a permanent bounce, a complaint).

Each entry is keyed by an HMAC of the normalised address under a key derived from the stage
secret, never the address in clear: a plain hash of an email address is easily guessed back.
The hub checks the list before every send; SES's own account-level list is a backstop only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from email.utils import parseaddr
from typing import Any

from chalicelib.adapters.dynamo_items import DynamoItems
from chalicelib.domain.suppression import SuppressionReason

SUPPRESSION_PREFIX = "SUPPRESS#"
SUPPRESSION_SK = "ADDRESS"


def normalised(address: str) -> str:
    """`"Sam" <Sam@School.Example>` and `sam@school.example` are one mailbox to the list."""
    return (parseaddr(address)[1] or address).strip().lower()


def suppression_key(secret: bytes, address: str) -> str:
    return hmac.new(secret, normalised(address).encode(), hashlib.sha256).hexdigest()


class SuppressionList:
    """Add and check addresses; subclasses store the keyed hashes only."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def add(self, address: str, reason: SuppressionReason, now: dt.datetime) -> str:
        """Suppress an address (idempotent); returns its key, which is safe to log."""
        key = suppression_key(self._key, address)
        self._put(key, reason, now)
        return key

    def is_suppressed(self, address: str) -> bool:
        return self._contains(suppression_key(self._key, address))

    def _put(self, key: str, reason: SuppressionReason, now: dt.datetime) -> None:
        raise NotImplementedError

    def _contains(self, key: str) -> bool:
        raise NotImplementedError


class InMemorySuppressionList(SuppressionList):
    def __init__(self, key: bytes) -> None:
        super().__init__(key)
        self.entries: dict[str, tuple[SuppressionReason, dt.datetime]] = {}

    def _put(self, key: str, reason: SuppressionReason, now: dt.datetime) -> None:
        self.entries.setdefault(key, (reason, now))

    def _contains(self, key: str) -> bool:
        return key in self.entries


class DynamoSuppressionList(SuppressionList):
    """One item per suppressed address in the hub's table: `SUPPRESS#<keyed hash>`."""

    def __init__(self, dynamodb_client: Any, table_name: str, key: bytes) -> None:
        super().__init__(key)
        self.items = DynamoItems(dynamodb_client, table_name)

    def _put(self, key: str, reason: SuppressionReason, now: dt.datetime) -> None:
        self.items.write_if(
            "put_item",
            Item={
                "pk": {"S": SUPPRESSION_PREFIX + key},
                "sk": {"S": SUPPRESSION_SK},
                "reason": {"S": reason.value},
                "suppressed_at": {"S": now.astimezone(dt.UTC).isoformat(timespec="seconds")},
            },
            # The first reason and time stand: a repeated event changes nothing.
            ConditionExpression="attribute_not_exists(pk)",
        )

    def _contains(self, key: str) -> bool:
        found = self.items.get(SUPPRESSION_PREFIX + key, SUPPRESSION_SK, consistent=False, ProjectionExpression="pk")
        return found is not None
