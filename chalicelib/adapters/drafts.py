"""Half-filled public forms, kept server-side, encrypted, and deleted by TTL when abandoned.

The browser holds only an opaque session id; the table holds only its SHA-256, so a table dump
gives neither the answers nor a usable session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from chalicelib.adapters.aws import translate
from chalicelib.adapters.envelope import FieldCipher
from chalicelib.adapters.table import TTL_ATTRIBUTE

DRAFT_SK = "DRAFT"
ANSWERS_FIELD = "answers"


def draft_id(session_id: str) -> str:
    return "DRAFT#" + hashlib.sha256(session_id.encode()).hexdigest()


class DraftStore:
    def __init__(self, cipher: FieldCipher, ttl: dt.timedelta, clock: Callable[[], dt.datetime]) -> None:
        self.cipher = cipher
        self.ttl = ttl
        self.clock = clock

    def save(self, session_id: str, answers: dict[str, Any]) -> None:
        record_id = draft_id(session_id)
        sealed = self.cipher.seal(record_id)
        expires = self.clock() + self.ttl
        self._put(
            {
                "pk": record_id,
                "sk": DRAFT_SK,
                "data_key": sealed.encrypted_key,
                ANSWERS_FIELD: sealed.encrypt(ANSWERS_FIELD, answers),
                TTL_ATTRIBUTE: int(expires.timestamp()),
            }
        )

    def load(self, session_id: str) -> dict[str, Any] | None:
        record_id = draft_id(session_id)
        item = self._get(record_id)
        # DynamoDB's TTL deletes lazily (up to days later): expiry is enforced on read too.
        if item is None or item[TTL_ATTRIBUTE] <= self.clock().timestamp():
            return None
        sealed = self.cipher.open(record_id, bytes(item["data_key"]))
        return sealed.decrypt(ANSWERS_FIELD, bytes(item[ANSWERS_FIELD]))

    def delete(self, session_id: str) -> None:
        self._delete(draft_id(session_id))

    def _put(self, item: dict[str, Any]) -> None:
        raise NotImplementedError

    def _get(self, record_id: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def _delete(self, record_id: str) -> None:
        raise NotImplementedError


class InMemoryDraftStore(DraftStore):
    def __init__(self, cipher: FieldCipher, ttl: dt.timedelta, clock: Callable[[], dt.datetime]) -> None:
        super().__init__(cipher, ttl, clock)
        self.items: dict[str, dict[str, Any]] = {}

    def _put(self, item: dict[str, Any]) -> None:
        self.items[item["pk"]] = dict(item)

    def _get(self, record_id: str) -> dict[str, Any] | None:
        return self.items.get(record_id)

    def _delete(self, record_id: str) -> None:
        self.items.pop(record_id, None)


class DynamoDraftStore(DraftStore):
    def __init__(
        self,
        dynamodb_client: Any,
        table_name: str,
        cipher: FieldCipher,
        ttl: dt.timedelta,
        clock: Callable[[], dt.datetime],
    ) -> None:
        super().__init__(cipher, ttl, clock)
        self._db = dynamodb_client
        self._table = table_name

    def _key(self, record_id: str) -> dict[str, Any]:
        return {"pk": {"S": record_id}, "sk": {"S": DRAFT_SK}}

    def _put(self, item: dict[str, Any]) -> None:
        encoded = {
            "pk": {"S": item["pk"]},
            "sk": {"S": item["sk"]},
            "data_key": {"B": item["data_key"]},
            ANSWERS_FIELD: {"B": item[ANSWERS_FIELD]},
            TTL_ATTRIBUTE: {"N": str(item[TTL_ATTRIBUTE])},
        }
        try:
            self._db.put_item(TableName=self._table, Item=encoded)
        except Exception as exc:
            raise translate("dynamodb", exc) from None

    def _get(self, record_id: str) -> dict[str, Any] | None:
        try:
            answer = self._db.get_item(TableName=self._table, Key=self._key(record_id), ConsistentRead=True)
        except Exception as exc:
            raise translate("dynamodb", exc) from None
        item = answer.get("Item")
        if item is None:
            return None
        return {
            "data_key": item["data_key"]["B"],
            ANSWERS_FIELD: item[ANSWERS_FIELD]["B"],
            TTL_ATTRIBUTE: int(item[TTL_ATTRIBUTE]["N"]),
        }

    def _delete(self, record_id: str) -> None:
        try:
            self._db.delete_item(TableName=self._table, Key=self._key(record_id))
        except Exception as exc:
            raise translate("dynamodb", exc) from None
