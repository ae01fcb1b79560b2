"""Half-filled public forms, kept server-side, encrypted, and deleted by TTL when abandoned.

The browser holds only an opaque session id; the table holds only its SHA-256, so a table dump
gives neither the answers nor a usable session.

Drafts saved with "Save and come back later" live in a partition of their own,
`RESUME#<HMAC of the resume code>` (chalicelib/domain/resume_codes.py), as two items:
- `SAVED`: the answers, sealed like a session draft; the table's TTL deletes it when it expires.
- `CODE`: no personal data: the passphrase's scrypt hash, the wrong tries in the current lock
  period, the lock, and when the draft expires. It outlives the draft by `EXPIRED_NOTICE_DAYS`,
  so someone who comes back late is told their draft has expired rather than that the code is wrong.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.dynamo_items import DynamoItems
from chalicelib.adapters.envelope import FieldCipher
from chalicelib.adapters.table import TTL_ATTRIBUTE

DRAFT_SK = "DRAFT"
ANSWERS_FIELD = "answers"
SAVED_SK = "SAVED"
CODE_SK = "CODE"
# How long after a saved draft expires its CODE item (no personal data) still says "expired".
EXPIRED_NOTICE_DAYS = 30


def draft_id(session_id: str) -> str:
    return "DRAFT#" + hashlib.sha256(session_id.encode()).hexdigest()


def saved_id(code_key: str) -> str:
    return "RESUME#" + code_key


@dataclass(frozen=True)
class ResumeAttempt:
    """One try at a saved draft, counted before the passphrase is checked (so racing tries count too)."""

    verifier: str
    saved_until: int  # epoch seconds
    attempts: int  # tries in this lock period, this one included


@dataclass(frozen=True)
class ResumeLocked:
    until: int  # epoch seconds


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

    # --- saved for later, under a resume code ----------------------------------------------------

    def save_for_resume(self, code_key: str, answers: dict[str, Any], verifier: str, until: dt.datetime) -> bool:
        """Store a saved draft and its code; False if that code is already taken (then make another)."""
        record_id = saved_id(code_key)
        sealed = self.cipher.seal(record_id)
        saved_until = int(until.timestamp())
        saved = {
            "pk": record_id,
            "sk": SAVED_SK,
            "data_key": sealed.encrypted_key,
            ANSWERS_FIELD: sealed.encrypt(ANSWERS_FIELD, answers),
            TTL_ATTRIBUTE: saved_until,
        }
        code = {
            "pk": record_id,
            "sk": CODE_SK,
            "verifier": verifier,
            "attempts": 0,
            "locked_until": 0,
            "saved_until": saved_until,
            TTL_ATTRIBUTE: saved_until + EXPIRED_NOTICE_DAYS * 86400,
        }
        return self._put_saved(saved, code)

    def reserve_attempt(
        self, code_key: str, now: dt.datetime, max_attempts: int
    ) -> ResumeAttempt | ResumeLocked | None:
        """Count a try at the code: the code's record, or that it is locked, or None if no such code."""
        return self._reserve(saved_id(code_key), int(now.timestamp()), max_attempts)

    def lock(self, code_key: str, until: dt.datetime) -> None:
        """Lock the code until then, and start counting wrong tries afresh after it."""
        self._lock(saved_id(code_key), int(until.timestamp()))

    def reset_tries(self, code_key: str) -> None:
        """Start counting wrong tries afresh (the right passphrase was given), with no lock."""
        self._lock(saved_id(code_key), 0)

    def open_saved(self, code_key: str) -> dict[str, Any] | None:
        record_id = saved_id(code_key)
        item = self._get_saved(record_id)
        if item is None:
            return None
        sealed = self.cipher.open(record_id, bytes(item["data_key"]))
        return sealed.decrypt(ANSWERS_FIELD, bytes(item[ANSWERS_FIELD]))

    def consume(self, code_key: str) -> bool:
        """Use the code up (once only: False if another request already did), and delete the draft."""
        record_id = saved_id(code_key)
        if not self._delete_code(record_id):
            return False
        self._delete_saved(record_id)
        return True

    # --- storage ---------------------------------------------------------------------------------

    def _put(self, item: dict[str, Any]) -> None:
        raise NotImplementedError

    def _get(self, record_id: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def _delete(self, record_id: str) -> None:
        raise NotImplementedError

    def _put_saved(self, saved: dict[str, Any], code: dict[str, Any]) -> bool:
        raise NotImplementedError

    def _reserve(self, record_id: str, now: int, max_attempts: int) -> ResumeAttempt | ResumeLocked | None:
        raise NotImplementedError

    def _lock(self, record_id: str, until: int) -> None:
        raise NotImplementedError

    def _get_saved(self, record_id: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def _delete_code(self, record_id: str) -> bool:
        raise NotImplementedError

    def _delete_saved(self, record_id: str) -> None:
        raise NotImplementedError


def _refusal(code: dict[str, Any] | None, now: int) -> ResumeLocked | None:
    """Why a try was not counted: no such code (None), or locked. At the limit with no lock yet,
    another request is checking the last allowed try and is about to lock it: locked too."""
    if code is None:
        return None
    if code["locked_until"] > now:
        return ResumeLocked(until=code["locked_until"])
    return ResumeLocked(until=now)


class InMemoryDraftStore(DraftStore):
    def __init__(self, cipher: FieldCipher, ttl: dt.timedelta, clock: Callable[[], dt.datetime]) -> None:
        super().__init__(cipher, ttl, clock)
        self.items: dict[str, dict[str, Any]] = {}
        self.saved: dict[tuple[str, str], dict[str, Any]] = {}

    def _put(self, item: dict[str, Any]) -> None:
        self.items[item["pk"]] = dict(item)

    def _get(self, record_id: str) -> dict[str, Any] | None:
        return self.items.get(record_id)

    def _delete(self, record_id: str) -> None:
        self.items.pop(record_id, None)

    def _put_saved(self, saved: dict[str, Any], code: dict[str, Any]) -> bool:
        if (code["pk"], CODE_SK) in self.saved:
            return False
        self.saved[(saved["pk"], SAVED_SK)] = dict(saved)
        self.saved[(code["pk"], CODE_SK)] = dict(code)
        return True

    def _reserve(self, record_id: str, now: int, max_attempts: int) -> ResumeAttempt | ResumeLocked | None:
        code = self.saved.get((record_id, CODE_SK))
        if code is None or code["attempts"] >= max_attempts or code["locked_until"] > now:
            return _refusal(code, now)
        code["attempts"] += 1
        return ResumeAttempt(code["verifier"], code["saved_until"], code["attempts"])

    def _lock(self, record_id: str, until: int) -> None:
        code = self.saved.get((record_id, CODE_SK))
        if code is not None:
            code.update(locked_until=until, attempts=0)

    def _get_saved(self, record_id: str) -> dict[str, Any] | None:
        return self.saved.get((record_id, SAVED_SK))

    def _delete_code(self, record_id: str) -> bool:
        return self.saved.pop((record_id, CODE_SK), None) is not None

    def _delete_saved(self, record_id: str) -> None:
        self.saved.pop((record_id, SAVED_SK), None)


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
        self.items = DynamoItems(dynamodb_client, table_name)

    def _put(self, item: dict[str, Any]) -> None:
        self.items.put(item)

    def _get(self, record_id: str) -> dict[str, Any] | None:
        return self.items.get(record_id, DRAFT_SK)

    def _delete(self, record_id: str) -> None:
        self.items.call("delete_item", Key=self.items.key(record_id, DRAFT_SK))

    def _put_saved(self, saved: dict[str, Any], code: dict[str, Any]) -> bool:
        # Both or neither; the condition refuses a code already taken (60 bits: never in practice).
        return self.items.transact(
            [
                {"Put": self.items.new_put(code)},
                {"Put": {"TableName": self.items.table, "Item": self.items.encode(saved)}},
            ]
        )

    def _reserve(self, record_id: str, now: int, max_attempts: int) -> ResumeAttempt | ResumeLocked | None:
        answer = self.items.write_if(
            "update_item",
            Key=self.items.key(record_id, CODE_SK),
            UpdateExpression="ADD attempts :one",
            # One atomic count before the passphrase is checked: however many tries race, at
            # most `max_attempts` are ever checked in one lock period.
            ConditionExpression="attribute_exists(pk) AND attempts < :max AND locked_until <= :now",
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":max": {"N": str(max_attempts)},
                ":now": {"N": str(now)},
            },
            ReturnValues="ALL_NEW",
        )
        if answer is None:
            return _refusal(self.items.get(record_id, CODE_SK), now)
        item = self.items.decode(answer["Attributes"])
        return ResumeAttempt(item["verifier"], item["saved_until"], item["attempts"])

    def _lock(self, record_id: str, until: int) -> None:
        self.items.write_if(
            "update_item",
            Key=self.items.key(record_id, CODE_SK),
            UpdateExpression="SET locked_until = :until, attempts = :zero",
            ConditionExpression="attribute_exists(pk)",  # never recreate a used code
            ExpressionAttributeValues={":until": {"N": str(until)}, ":zero": {"N": "0"}},
        )

    def _get_saved(self, record_id: str) -> dict[str, Any] | None:
        return self.items.get(record_id, SAVED_SK)

    def _delete_code(self, record_id: str) -> bool:
        # Conditional: of two requests resuming with the same code at once, exactly one wins.
        deleted = self.items.write_if(
            "delete_item", Key=self.items.key(record_id, CODE_SK), ConditionExpression="attribute_exists(pk)"
        )
        return deleted is not None

    def _delete_saved(self, record_id: str) -> None:
        self.items.call("delete_item", Key=self.items.key(record_id, SAVED_SK))
