"""Recognising the same child across referrals without reading any of them.

A child's name and date of birth are normalised, then hashed with a secret key (an HMAC
"blind index"); referrals store only that keyed hash, so "has this child been referred before?"
is one index lookup, never a decryption of other referrals.

Names are folded as search folds them (`name_folding`): letter case, spaces, hyphens and apostrophes
(Mary-Ann, Mary Ann and MaryAnn are one), accents (Zoë and Zoe are one) and letters with no
decomposition (Łukasiewicz and Lukasiewicz, Søren and Soren, Straße and Strasse are one). What it
does not catch, so staff must still
search by other means: nicknames and short forms (Sam / Samuel), spelling variants and typos
(Mohammed / Muhammad), first and last names swapped, a changed surname, a wrong date of birth,
and unborn babies (a due date is not stable enough to match on).
"""

from __future__ import annotations

import datetime as dt

from chalicelib.domain.name_folding import fold_name


def identity_text(first_name: str, last_name: str, date_of_birth: dt.date | None) -> str | None:
    """The normalised identity of a child, or None where there is nothing stable to match on."""
    if date_of_birth is None:
        return None
    # The shape is unchanged from before folding used anyascii, so a name in plain letters keeps its key.
    return f"{fold_name(first_name)}|{fold_name(last_name)}|{date_of_birth.isoformat()}"
