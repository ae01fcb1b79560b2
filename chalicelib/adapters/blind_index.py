"""The blind index key: a random HMAC key, stored in the table wrapped by KMS, unwrapped once per
Lambda container. A table dump gives only the wrapped key, useless without KMS."""

from __future__ import annotations

import hashlib
import hmac
import threading
from typing import Any

from chalicelib.adapters.aws import aws_errors
from chalicelib.adapters.dynamo_items import DynamoItems

KEY_PK = "CONFIG"
KEY_SK = "BLIND_INDEX_KEY"
CONTEXT = {"service": "mash-hub", "purpose": "blind-index"}


class BlindIndex:
    """Keyed hashes of normalised identities (see chalicelib.domain.child_identity)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def hash(self, identity: str) -> str:
        # 128 bits: collisions between two children are out of reach, and half the bytes to store.
        return hmac.new(self._key, identity.encode(), hashlib.sha256).hexdigest()[:32]

    def derived_key(self, purpose: str) -> bytes:
        """A separate 256-bit key for another use (HKDF-SHA256), so search cards open with no
        KMS call beyond the one that unwrapped this key for the container."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"mash-hub:{purpose}".encode()).derive(
            self._key
        )


class KmsBlindIndexKey:
    """Fetches (or on first ever use, creates) the wrapped key; unwraps it once and keeps it."""

    def __init__(self, dynamodb_client: Any, kms_client: Any, table_name: str, kms_key_id: str) -> None:
        self.items = DynamoItems(dynamodb_client, table_name)
        self._kms = kms_client
        self._kms_key_id = kms_key_id
        self._index: BlindIndex | None = None
        self._lock = threading.Lock()

    def index(self) -> BlindIndex:
        with self._lock:
            if self._index is None:
                self._index = BlindIndex(self._unwrap(self._wrapped_key()))
            return self._index

    def _wrapped_key(self) -> bytes:
        stored = self._stored_key()
        if stored is not None:
            return stored
        with aws_errors("kms"):
            wrapped = self._kms.generate_data_key(KeyId=self._kms_key_id, KeySpec="AES_256", EncryptionContext=CONTEXT)[
                "CiphertextBlob"
            ]
        # Only the first writer's key counts: every container must hash with the same key.
        written = self.items.put_new([{"pk": KEY_PK, "sk": KEY_SK, "wrapped": wrapped}])
        return wrapped if written else self._stored_key() or wrapped

    def _stored_key(self) -> bytes | None:
        found = self.items.get(KEY_PK, KEY_SK)
        return bytes(found["wrapped"]) if found else None

    def _unwrap(self, wrapped: bytes) -> bytes:
        with aws_errors("kms"):
            return self._kms.decrypt(CiphertextBlob=wrapped, KeyId=self._kms_key_id, EncryptionContext=CONTEXT)[
                "Plaintext"
            ]
