"""What a referral is found by, and how a search is read: expected terms written out by hand."""

from __future__ import annotations

import pytest

from chalicelib.domain.referral import ReferralSubmission
from chalicelib.domain.search_terms import (
    MAX_TERMS_PER_REFERRAL,
    SearchRefused,
    SearchTooBroad,
    referral_terms,
    search_query,
)
from tests.factories import example, protection_referral

S = "\x1f"


def submission(**changes: object) -> ReferralSubmission:
    return ReferralSubmission.model_validate(protection_referral(**changes))


def test_a_child_is_found_by_whole_name_either_part_date_month_and_postcode() -> None:
    terms = referral_terms(
        "K7Q-F3M-RW9",
        submission(
            **{
                "children.0.first_name": "Oliwia",
                "children.0.last_name": "Łukasiewicz-Nowak",
                "children.0.date_of_birth": "2019-03-14",
                "children.0.address.postcode": "e17 1aa",
            }
        ),
    )
    for expected in [
        f"ref{S}K7Q-F3M-RW9",
        f"name{S}oliwialukasiewicznowak",
        f"name{S}oliwia",
        f"name{S}lukasiewicznowak",
        f"name{S}lukasiewicznowakoliwia",
        f"name{S}lukasiewicz",
        f"name{S}nowak",
        f"dob{S}2019-03-14",
        f"month{S}2019-03",
        f"postcode{S}E171AA",
    ]:
        assert expected in terms
    assert len(terms) == len(set(terms))


def test_every_named_adult_is_found_by_name_and_surname() -> None:
    data = example("referral-protection-household.json")
    terms = referral_terms("K7Q-F3M-RW9", ReferralSubmission.model_validate(data))
    # Dana Testparent and Eli Testparent (parents), Frankie Testadult (household and risk)
    for whole in ["danatestparent", "elitestparent", "frankietestadult", "testparent", "testadult", "testadultfrankie"]:
        assert f"name{S}{whole}" in terms


def test_terms_per_referral_are_capped_children_first() -> None:
    many = {f"household_members.{n}": {"name": f"Adult{chr(65 + n)} Person{chr(65 + n)}x"} for n in range(10)}
    data = protection_referral()
    data["household_members"] = [
        {**example("referral-protection-household.json")["household_members"][0], **v} for v in many.values()
    ]
    data["parents_carers"] = data["parents_carers"] * 5
    terms = referral_terms("K7Q-F3M-RW9", ReferralSubmission.model_validate(data))
    assert len(terms) <= MAX_TERMS_PER_REFERRAL
    assert terms[0] == f"ref{S}K7Q-F3M-RW9"


@pytest.mark.parametrize(
    ("asked", "kinds"),
    [
        ({"name": "Łukasiewicz"}, ("name",)),
        ({"name": "Oliwia", "dob": "2019-03"}, ("name", "dob")),
        ({"dob": "2019-03-14"}, ("dob",)),
        ({"postcode": "e17 1aa"}, ("postcode",)),
        ({"postcode": "E171AA", "dob": "2019-03"}, ("dob", "postcode")),
        ({"reference": "k7q f3m rw9"}, ("reference",)),
    ],
)
def test_a_search_reads_what_people_type(asked: dict[str, str], kinds: tuple[str, ...]) -> None:
    assert search_query(**asked).kinds == kinds


def test_a_search_finds_the_terms_the_referral_was_indexed_under() -> None:
    indexed = referral_terms(
        "K7Q-F3M-RW9",
        submission(
            **{
                "children.0.first_name": "Oliwia",
                "children.0.last_name": "Łukasiewicz",
                "children.0.date_of_birth": "2019-03-14",
                "children.0.address.postcode": "E17 1AA",
            }
        ),
    )
    for asked in [
        {"name": "oliwia lukasiewicz"},
        {"name": "LUKASIEWICZ"},
        {"name": "Lukasiewicz Oliwia"},
        {"name": "Oliwia", "dob": "2019-03"},
        {"dob": "2019-03-14", "postcode": "e171aa"},
        {"reference": "K7QF3MRW9"},
    ]:
        assert set(search_query(**asked).terms) <= set(indexed), asked


@pytest.mark.parametrize(
    ("asked", "code", "says"),
    [
        ({"name": "Ł"}, "name_too_short", "at least 2 letters"),
        ({"dob": "2019"}, "search_too_broad", "add the month"),
        ({"dob": "2019-03"}, "search_too_broad", "add a name or a postcode"),
    ],
)
def test_a_search_too_broad_says_what_to_add(asked: dict[str, str], code: str, says: str) -> None:
    with pytest.raises(SearchTooBroad) as refused:
        search_query(**asked)
    assert refused.value.code == code
    assert says in refused.value.message


@pytest.mark.parametrize(
    ("asked", "code"),
    [
        ({}, "search_empty"),
        ({"name": "  "}, "search_empty"),
        ({"dob": "14/03/2019"}, "invalid_dob"),
        ({"dob": "2019-13"}, "invalid_dob"),
        ({"postcode": "SW1"}, "invalid_postcode"),
        ({"reference": "nope"}, "invalid_reference"),
    ],
)
def test_a_search_that_cannot_be_read_is_refused_without_echoing_it(asked: dict[str, str], code: str) -> None:
    with pytest.raises(SearchRefused) as refused:
        search_query(**asked)
    assert refused.value.code == code
    for value in asked.values():
        if value.strip():
            assert value not in refused.value.message
