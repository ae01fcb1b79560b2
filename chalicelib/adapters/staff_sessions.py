"""The staff console's session store: DynamoDB, with an in-memory twin that keeps the same items.

A session is one item under its own key prefix: `STAFFSESSION#<SHA-256 of the session id>` /
`SESSION`. The browser's session id itself is never stored, so a table dump gives no usable
session. The staff tokens (ID and refresh) are one field sealed with `FieldCipher` under a data
key of the session's own; the item's TTL is the ID token's expiry, enforced on read too.

Signing in and out is `chalicelib/services/staff_sign_in.py`; the cookies and CSRF are
`chalicelib/web/console_session.py`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.dynamo_items import DynamoItems
from chalicelib.adapters.envelope import DecryptionFailed
from chalicelib.adapters.table import TTL_ATTRIBUTE

SESSION_PREFIX = "STAFFSESSION#"
SESSION_SK = "SESSION"
TOKEN_FIELD = "tokens"  # noqa: S105 - the sealed field's name, not a secret


@dataclass(frozen=True)
class StoredSession:
    id_token: str
    refresh_token: str | None
    last_seen: float
    expires_at: int


def session_key(session_id: str) -> str:
    return SESSION_PREFIX + hashlib.sha256(session_id.encode()).hexdigest()


class StaffSessionStore:
    """Sessions under their own key prefix; the tokens sealed per session (one data key each)."""

    def __init__(self, cipher: Any) -> None:
        self.cipher = cipher

    def save(self, session_id: str, *, id_token: str, refresh_token: str | None, expires_at: int, now: float) -> None:
        record_id = session_key(session_id)
        sealed = self.cipher.seal(record_id)
        self._put(
            {
                "pk": record_id,
                "sk": SESSION_SK,
                "data_key": sealed.encrypted_key,
                TOKEN_FIELD: sealed.encrypt(TOKEN_FIELD, {"id": id_token, "refresh": refresh_token}),
                "last_seen": int(now),
                TTL_ATTRIBUTE: int(expires_at),
            }
        )

    def load(self, session_id: str, now: float) -> StoredSession | None:
        record_id = session_key(session_id)
        item = self._get(record_id)
        # DynamoDB's TTL deletes lazily (up to days later): expiry is enforced on read too.
        if item is None or int(item[TTL_ATTRIBUTE]) <= now:
            return None
        try:
            sealed = self.cipher.open(record_id, bytes(item["data_key"]))
            tokens = sealed.decrypt(TOKEN_FIELD, bytes(item[TOKEN_FIELD]))
        except DecryptionFailed:
            return None  # moved or tampered with: no session, rather than someone else's
        return StoredSession(tokens["id"], tokens.get("refresh"), float(item["last_seen"]), int(item[TTL_ATTRIBUTE]))

    def touch(self, session_id: str, now: float) -> None:
        self._touch(session_key(session_id), int(now))

    def delete(self, session_id: str) -> None:
        self._delete(session_key(session_id))

    def _put(self, item: dict[str, Any]) -> None:
        raise NotImplementedError

    def _get(self, record_id: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def _touch(self, record_id: str, now: int) -> None:
        raise NotImplementedError

    def _delete(self, record_id: str) -> None:
        raise NotImplementedError


class InMemoryStaffSessionStore(StaffSessionStore):
    def __init__(self, cipher: Any) -> None:
        super().__init__(cipher)
        self.items: dict[str, dict[str, Any]] = {}

    def _put(self, item: dict[str, Any]) -> None:
        self.items[item["pk"]] = dict(item)

    def _get(self, record_id: str) -> dict[str, Any] | None:
        return self.items.get(record_id)

    def _touch(self, record_id: str, now: int) -> None:
        if record_id in self.items:
            self.items[record_id]["last_seen"] = now

    def _delete(self, record_id: str) -> None:
        self.items.pop(record_id, None)


class DynamoStaffSessionStore(StaffSessionStore):
    def __init__(self, dynamodb_client: Any, table_name: str, cipher: Any) -> None:
        super().__init__(cipher)
        self.items = DynamoItems(dynamodb_client, table_name)

    def _put(self, item: dict[str, Any]) -> None:
        self.items.put(item)

    def _get(self, record_id: str) -> dict[str, Any] | None:
        return self.items.get(record_id, SESSION_SK)

    def _touch(self, record_id: str, now: int) -> None:
        # Only an existing session: a touch racing a sign-out must not bring back a bare item.
        self.items.write_if(
            "update_item",
            Key=self.items.key(record_id, SESSION_SK),
            UpdateExpression="SET last_seen = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":now": {"N": str(now)}},
        )

    def _delete(self, record_id: str) -> None:
        self.items.call("delete_item", Key=self.items.key(record_id, SESSION_SK))
