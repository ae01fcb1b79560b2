"""Recognising the same child across referrals without reading any of them.

A child's name and date of birth are normalised, then hashed with a secret key (an HMAC
"blind index"); referrals store only that keyed hash, so "has this child been referred before?"
is one index lookup, never a decryption of other referrals.

What normalisation catches: letter case, spaces, hyphens and apostrophes (Mary-Ann, Mary Ann and
MaryAnn are one), and accents (Zoë and Zoe are one). What it does not catch, so staff must still
search by other means: nicknames and short forms (Sam / Samuel), spelling variants and typos
(Mohammed / Muhammad), first and last names swapped, a changed surname, a wrong date of birth,
and unborn babies (a due date is not stable enough to match on).
"""

from __future__ import annotations

import datetime as dt
import unicodedata


def identity_text(first_name: str, last_name: str, date_of_birth: dt.date | None) -> str | None:
    """The normalised identity of a child, or None where there is nothing stable to match on."""
    if date_of_birth is None:
        return None
    name = _letters(first_name) + "|" + _letters(last_name)
    return f"{name}|{date_of_birth.isoformat()}"


def _letters(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    # Drop the accents (combining marks), then everything that is not a letter.
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch) and ch.isalpha()).casefold()
