from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.child_identity import identity_text

BORN = dt.date(2017, 3, 14)


@pytest.mark.parametrize(
    ("first", "last"),
    [("Sam", "Testchild"), ("SAM", "testchild"), (" Sam ", "Test-child"), ("Sám", "Testchild"), ("S am", "Test'child")],
)
def test_case_spacing_punctuation_and_accents_are_one_child(first: str, last: str) -> None:
    assert identity_text(first, last, BORN) == identity_text("Sam", "Testchild", BORN)


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        (("Oliwia", "Łukasiewicz"), ("Oliwia", "Lukasiewicz")),
        (("Søren", "Ørsted"), ("Soren", "Orsted")),
        (("Çağlar", "Yıldız"), ("Caglar", "Yildiz")),
        (("Thị", "Nguyễn"), ("THI", "nguyen")),
        (("Liesl", "Straße"), ("Liesl", "Strasse")),
        (("Seán", "Ó Briain"), ("Sean", "O'Briain")),
    ],
)
def test_letters_without_a_decomposition_are_folded_as_people_type_them(
    stored: tuple[str, str], typed: tuple[str, str]
) -> None:
    assert identity_text(*stored, BORN) == identity_text(*typed, BORN)


def test_a_name_in_plain_letters_keeps_the_identity_it_had_before_folding() -> None:
    # Stored keys of such children still match: the text hashed is exactly what it was.
    assert identity_text("Mary-Ann", "O'Testchild", BORN) == "maryann|otestchild|2017-03-14"


@pytest.mark.parametrize(
    ("first", "last", "born"),
    [
        ("Samuel", "Testchild", BORN),  # a short form is not caught: documented
        ("Testchild", "Sam", BORN),  # swapped names are not caught: documented
        ("Sam", "Testchild", dt.date(2017, 3, 15)),
    ],
)
def test_what_normalisation_does_not_catch(first: str, last: str, born: dt.date) -> None:
    assert identity_text(first, last, born) != identity_text("Sam", "Testchild", BORN)


def test_an_unborn_baby_has_no_identity_to_match() -> None:
    assert identity_text("Baby", "Testchild", None) is None
