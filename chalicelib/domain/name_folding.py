"""Folding names the way people type them, so a search or "known before" finds the same person.

A name is transliterated to ASCII by `anyascii` (a maintained table, ISC licence), which covers
letters with no Unicode decomposition that NFKD alone leaves as they are: Ł as L, Ø as O, ß as
ss, Æ as AE, Đ as D, dotless ı as i, Þ as TH, and other scripts (Владимир as Vladimir). Then case,
spaces, hyphens, apostrophes and every other non-letter are dropped: Mary-Ann, Mary Ann and
MaryAnn are one; O'Brien and OBrien are one; Łukasiewicz and Lukasiewicz are one.

What it does not catch: the German "ue" for ü (Mueller / Müller), spelling variants and typos
(Mohammed / Muhammad), short forms (Sam / Samuel).
"""

from __future__ import annotations

import unicodedata

from anyascii import anyascii


def fold_name(text: str) -> str:
    """Lower-case ASCII letters only; "" when the text holds no letter at all."""
    # NFKC first joins a decomposed accent to its letter (and a ligature like "ﬁ" to "fi").
    ascii_text = anyascii(unicodedata.normalize("NFKC", text))
    return "".join(ch for ch in ascii_text if ch.isascii() and ch.isalpha()).lower()
