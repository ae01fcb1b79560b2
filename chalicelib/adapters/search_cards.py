"""Search cards: the little a search result shows to recognise a family, sealed for the index.

A card holds each child's first name and date of birth, AES-256-GCM under one key derived from
the blind-index key (unwrapped by KMS once per container) and bound to the referral's reference,
so a page of 50 results opens with no KMS call at all (one, on a cold container), instead of one
Decrypt per referral. A card is written once, with the referral, into each of its index entries,
and deleted with them by retention.
"""

from __future__ import annotations

import json
import os
from typing import Any

NONCE_BYTES = 12
CARD_PURPOSE = "search-cards"


class CardUnreadable(Exception):
    """A card that does not authenticate: moved from another referral, or tampered with."""


class SearchCards:
    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)

    def seal(self, reference: str, children: list[dict[str, Any]]) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        plain = json.dumps(children, separators=(",", ":")).encode()
        return nonce + self._aead.encrypt(nonce, plain, reference.encode())

    def open(self, reference: str, card: bytes) -> list[dict[str, Any]]:
        from cryptography.exceptions import InvalidTag

        try:
            plain = self._aead.decrypt(card[:NONCE_BYTES], card[NONCE_BYTES:], reference.encode())
        except InvalidTag:
            raise CardUnreadable(reference) from None
        return list(json.loads(plain))
