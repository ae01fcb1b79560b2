"""Envelope encryption of personal fields: one KMS data key per write, AES-256-GCM per field.

Each field's ciphertext is bound (as GCM associated data) to the record id and the field name,
so a ciphertext copied into another referral or another field fails to decrypt. The data key is
also bound to the record id through the KMS encryption context, which CloudTrail records: an
auditor can see which referral each Decrypt was for.
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.adapters.aws import aws_errors, translate

NONCE_BYTES = 12
# 0x01: JSON; 0x02: zlib-compressed JSON. Compressing the sections keeps a referral item under
# 2 KB (DynamoDB bills writes per KB). Length-based attacks on compression (CRIME) need an
# attacker who mixes chosen text with a secret and watches many ciphertexts; nothing here does.
PLAIN_JSON = b"\x01"
COMPRESSED_JSON = b"\x02"


class DecryptionFailed(Exception):
    """A ciphertext did not authenticate: tampered, moved, or for another record."""


@dataclass(frozen=True)
class DataKey:
    plaintext: bytes
    encrypted: bytes


class KeyProvider(Protocol):
    def generate(self, context: dict[str, str]) -> DataKey: ...

    def unwrap(self, encrypted: bytes, context: dict[str, str]) -> bytes: ...


class KmsKeyProvider:
    """Data keys from AWS KMS."""

    def __init__(self, kms_client: Any, key_id: str) -> None:
        self._kms = kms_client
        self._key_id = key_id

    def generate(self, context: dict[str, str]) -> DataKey:
        with aws_errors("kms"):
            answer = self._kms.generate_data_key(KeyId=self._key_id, KeySpec="AES_256", EncryptionContext=context)
        return DataKey(plaintext=answer["Plaintext"], encrypted=answer["CiphertextBlob"])

    def unwrap(self, encrypted: bytes, context: dict[str, str]) -> bytes:
        try:
            answer = self._kms.decrypt(CiphertextBlob=encrypted, KeyId=self._key_id, EncryptionContext=context)
        except Exception as exc:
            error = translate("kms", exc)
            if error.code in {"InvalidCiphertextException", "IncorrectKeyException"}:
                raise DecryptionFailed("the data key does not belong to this record") from None
            raise error from None
        return answer["Plaintext"]


class LocalKeyProvider:
    """In-memory twin of KMS for unit tests: wraps data keys with a process-local master key.

    Counts calls so tests can assert the one-GenerateDataKey-per-write promise without AWS.
    """

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._master = AESGCM(AESGCM.generate_key(bit_length=256))
        self.generated = 0
        self.unwrapped = 0

    def generate(self, context: dict[str, str]) -> DataKey:
        self.generated += 1
        key = os.urandom(32)
        nonce = os.urandom(NONCE_BYTES)
        return DataKey(key, nonce + self._master.encrypt(nonce, key, _context_bytes(context)))

    def unwrap(self, encrypted: bytes, context: dict[str, str]) -> bytes:
        from cryptography.exceptions import InvalidTag

        self.unwrapped += 1
        try:
            return self._master.decrypt(encrypted[:NONCE_BYTES], encrypted[NONCE_BYTES:], _context_bytes(context))
        except InvalidTag:
            raise DecryptionFailed("the data key does not belong to this record") from None


def _context_bytes(context: dict[str, str]) -> bytes:
    return json.dumps(context, sort_keys=True).encode()


class SealedRecord:
    """Encrypts fields of one record under one data key; `sealed.encrypted_key` is stored beside them."""

    def __init__(self, record_id: str, key: DataKey) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.record_id = record_id
        self.encrypted_key = key.encrypted
        self._aead = AESGCM(key.plaintext)

    def encrypt(self, field: str, value: Any) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        plaintext = zlib.compress(json.dumps(value, separators=(",", ":"), default=str).encode(), 9)
        return COMPRESSED_JSON + nonce + self._aead.encrypt(nonce, plaintext, self._aad(field, COMPRESSED_JSON))

    def decrypt(self, field: str, blob: bytes) -> Any:
        from cryptography.exceptions import InvalidTag

        form = blob[:1]
        if form not in (PLAIN_JSON, COMPRESSED_JSON):
            raise DecryptionFailed(f"field {field} is not in a known format")
        nonce, ciphertext = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            plaintext = self._aead.decrypt(nonce, ciphertext, self._aad(field, form))
        except InvalidTag:
            raise DecryptionFailed(f"field {field} does not belong to this record") from None
        return json.loads(zlib.decompress(plaintext) if form == COMPRESSED_JSON else plaintext)

    def _aad(self, field: str, form: bytes) -> bytes:
        # The format byte is authenticated too, so it cannot be flipped to change how we parse.
        return form + f"{self.record_id}\x1f{field}".encode()


class FieldCipher:
    """Opens records for writing (one new data key) or reading (one unwrap of the stored key)."""

    def __init__(self, keys: KeyProvider) -> None:
        self._keys = keys

    def seal(self, record_id: str) -> SealedRecord:
        return SealedRecord(record_id, self._keys.generate(self._context(record_id)))

    def open(self, record_id: str, encrypted_key: bytes) -> SealedRecord:
        plaintext = self._keys.unwrap(encrypted_key, self._context(record_id))
        return SealedRecord(record_id, DataKey(plaintext, encrypted_key))

    @staticmethod
    def _context(record_id: str) -> dict[str, str]:
        return {"service": "mash-hub", "record": record_id}
