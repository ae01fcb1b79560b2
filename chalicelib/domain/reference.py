"""Reference numbers a person can read aloud over the phone.

Nine characters in three groups (K7Q-F3M-RW9) from an alphabet without the look- and
sound-alikes 0/O, 1/I/L and U: about 2 x 10^13 values, drawn at random (or from
an HMAC of an idempotency key), so they are neither sequential nor guessable.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 9
GROUP = 3
_SHAPE = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")


def new_reference() -> str:
    return _format("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)))


def reference_for_key(secret: str, idempotency_key: str, attempt: int = 0) -> str:
    """The reference a repeated request with this key will get again (attempt > 0 on a clash)."""
    digest = hmac.new(secret.encode(), f"{attempt}:{idempotency_key}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(LENGTH):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return _format("".join(chars))


def normalise(text: str) -> str | None:
    """Accept what a person types (lower case, spaces, no hyphens); None if it can't be one."""
    compact = re.sub(r"[\s\-]", "", text).upper()
    return _format(compact) if _SHAPE.match(compact) else None


def _format(compact: str) -> str:
    return "-".join(compact[i : i + GROUP] for i in range(0, LENGTH, GROUP))
