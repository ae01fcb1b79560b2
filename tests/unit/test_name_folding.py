"""Names folded the way people type them: the expected answers are written out by hand."""

from __future__ import annotations

import pytest

from chalicelib.domain.name_folding import fold_name


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        # Case, spaces, hyphens and apostrophes
        ("Sam", "sam"),
        ("  SAM  ", "sam"),
        ("Mary-Ann", "maryann"),
        ("Mary Ann", "maryann"),
        ("MaryAnn", "maryann"),
        ("O'Brien", "obrien"),
        ("O’Brien", "obrien"),  # a typographic apostrophe
        ("OBrien", "obrien"),
        ("Smith-Jones", "smithjones"),
        ("Smith – Jones", "smithjones"),  # an en dash typed by a word processor
        # Irish: the fada, and the Irish form with a space
        ("Ó Briain", "obriain"),
        ("Seán Ó Súilleabháin", "seanosuilleabhain"),
        # Polish: Ł has no decomposition
        ("Łukasiewicz", "lukasiewicz"),
        ("Oliwia Wójcik-Łęcka", "oliwiawojciklecka"),
        ("Żaneta Szczęsna", "zanetaszczesna"),
        # Turkish: dotted and dotless i, soft g, cedilla
        ("İbrahim", "ibrahim"),
        ("Yıldız", "yildiz"),
        ("Çağlar Öztürk", "caglarozturk"),
        # Vietnamese: stacked tone marks and Đ
        ("Nguyễn Thị Minh Khai", "nguyenthiminhkhai"),
        ("Đặng", "dang"),
        # Nordic: Ø, Æ, Å, Þ, Ð
        ("Søren Ørsted", "sorenorsted"),
        ("Æsa", "aesa"),
        ("Åse", "ase"),
        ("Þórunn", "thorunn"),
        ("Guðrún", "gudrun"),
        # German: ß and the umlaut (as the letter without its dots)
        ("Straße", "strasse"),
        ("Müller", "muller"),
        # French, Spanish, Czech
        ("Zoë", "zoe"),
        ("Nuñez", "nunez"),
        ("Dvořák", "dvorak"),
        # Other scripts are transliterated, so a name typed in Latin letters can still match
        ("Владимир", "vladimir"),
        # Compatibility forms a phone keyboard may produce
        ("ﬁona", "fiona"),
    ],
)
def test_a_name_folds_to_the_letters_people_type(typed: str, folded: str) -> None:
    assert fold_name(typed) == folded


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Łukasiewicz", "Lukasiewicz"),
        ("Ó Briain", "O'Briain"),
        ("Smith-Jones", "smith jones"),
        ("İbrahim Yıldız", "Ibrahim Yildiz"),
        ("Nguyễn", "NGUYEN"),
        ("Straße", "Strasse"),
    ],
)
def test_variants_typed_on_a_plain_keyboard_fold_together(one: str, other: str) -> None:
    assert fold_name(one) == fold_name(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Müller", "Mueller"),  # the German "ue" spelling is not caught: documented
        ("Mohammed", "Muhammad"),  # spelling variants are not caught
        ("Sam", "Samuel"),  # nor short forms
    ],
)
def test_what_folding_does_not_catch(one: str, other: str) -> None:
    assert fold_name(one) != fold_name(other)


@pytest.mark.parametrize("typed", ["", "   ", "-", "'", "123", "!!"])
def test_nothing_to_fold_is_empty(typed: str) -> None:
    assert fold_name(typed) == ""
