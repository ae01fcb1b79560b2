"""Resume codes and passphrases for "Save and come back later" on the public form.

A person who stops part-way is given a **resume code** to note down and sets a **passphrase**;
both are needed to continue. No email is sent: a link in a shared inbox could be found by the
very person the referral is about.

The code is 12 symbols of Crockford's base32 (0-9 and A-Z without I, L, O, U): 5 bits each,
60 bits in all, from `secrets`. It is shown in groups of four (`K7QF-3MRW-9XZT`). Typing is
forgiving: case, spaces and hyphens are ignored, and the letters people mistake for digits are
read as those digits (O as 0, I and L as 1), so a code read aloud or copied by hand still works.
It holds nothing about the person or the referral.

Neither is ever stored in clear. The draft is found by an HMAC of the code under the stage
secret (a keyed hash: a plain hash of a 60-bit code could be searched offline by whoever holds
a table dump); the passphrase is kept as a salted scrypt hash (`hashlib.scrypt`, OpenSSL) and
compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import unicodedata
from functools import lru_cache

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
CODE_LENGTH = 12
GROUP = 4
ENTROPY_BITS = int(CODE_LENGTH * math.log2(len(ALPHABET)))  # 60
# Read as the digit people meant; U is not in the alphabet (so no code spells a rude word) and is refused.
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = str.maketrans("", "", " -\u2010\u2011\u2012\u2013\u2014\u2212\t")
EXAMPLE_CODE = "K7QF-3MRW-9XZT"

PASSPHRASE_MIN = 8
PASSPHRASE_MAX = 64
# Five wrong passphrases lock a saved draft for a while (settings.resume_lock_minutes).
MAX_WRONG_PASSPHRASES = 5

# scrypt: N=2^15, r=8, p=1 takes 32 MiB and about 0.1 s on one core (see README "Save and resume").
# The passphrase is the second factor behind a 60-bit code and a five-try lock, so this guards a
# stolen table, not online guessing; it stays well inside the Lambda's 1 GiB.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_SALT_BYTES = 16
SCRYPT_KEY_BYTES = 32
_SCRYPT_MAXMEM = 64 * 1024 * 1024
_SCHEME = "scrypt"


def new_code() -> str:
    """A fresh code, formatted for reading: `K7QF-3MRW-9XZT`."""
    return formatted("".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)))


def formatted(canonical: str) -> str:
    return "-".join(canonical[i : i + GROUP] for i in range(0, len(canonical), GROUP))


def normalise(typed: str) -> str | None:
    """The code's 12 canonical symbols from what a person typed, or None if it cannot be a code."""
    canonical = unicodedata.normalize("NFKC", typed).upper().translate(_SEPARATORS).translate(_CONFUSABLE)
    if len(canonical) != CODE_LENGTH or any(symbol not in ALPHABET for symbol in canonical):
        return None
    return canonical


def code_key(code: str, secret: str) -> str:
    """What the table is keyed by: an HMAC of the canonical code, never the code itself."""
    canonical = normalise(code)
    if canonical is None:
        raise ValueError("not a resume code")
    return hmac.new(secret.encode(), f"resume-code:{canonical}".encode(), hashlib.sha256).hexdigest()


def passphrase_problem(passphrase: str) -> str | None:
    """The one thing to fix about a new passphrase, or None. Length only: no composition rules."""
    length = len(_passphrase_text(passphrase))
    if length == 0:
        return "Enter a passphrase"
    if not any(_visible(char) for char in passphrase):
        # Eight spaces or zero-width characters would pass the length rule and protect nothing.
        return "Passphrase must include letters, numbers or symbols, not only spaces"
    if length < PASSPHRASE_MIN:
        return f"Passphrase must be {PASSPHRASE_MIN} characters or more"
    if length > PASSPHRASE_MAX:
        return f"Passphrase must be {PASSPHRASE_MAX} characters or fewer"
    return None


def _visible(char: str) -> bool:
    # Not a separator (Z*: spaces of every width) and not a control, format (zero-width, bidi) or
    # unassigned character (C*).
    return unicodedata.category(char)[0] not in "ZC"


def _passphrase_text(passphrase: str) -> str:
    # NFC: the same passphrase typed on another keyboard (composed or not) gives the same bytes.
    return unicodedata.normalize("NFC", passphrase)


def _scrypt(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        _passphrase_text(passphrase).encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=_SCRYPT_MAXMEM,
        dklen=SCRYPT_KEY_BYTES,
    )


def hash_passphrase(passphrase: str) -> str:
    """`scrypt$<log2 N>$<r>$<p>$<salt>$<hash>`: the parameters travel with the hash, so they can be raised later."""
    salt = secrets.token_bytes(SCRYPT_SALT_BYTES)
    digest = _scrypt(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join([_SCHEME, str(SCRYPT_N.bit_length() - 1), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest)])


def passphrase_matches(passphrase: str, stored: str) -> bool:
    """Whether `passphrase` is the one `stored` was made from; the comparison takes constant time."""
    try:
        scheme, log_n, r, p, salt, digest = stored.split("$")
        if scheme != _SCHEME:
            return False
        computed = _scrypt(passphrase, _unb64(salt), 2 ** int(log_n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, _unb64(digest))


def spend_equal_time(passphrase: str) -> None:
    """Check against a decoy, so an unknown code answers as slowly as a known one (no timing oracle)."""
    passphrase_matches(passphrase, _decoy())


@lru_cache(maxsize=1)
def _decoy() -> str:
    return hash_passphrase(secrets.token_urlsafe(16))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
