"""The census figures: the referral form's answers to the DfE source of referral codes, the standing
decision, and the 12 months that make a re-referral."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.census import (
    PUBLIC_SOURCE,
    SOURCE_BY_AGENCY,
    SOURCE_LABELS,
    is_re_referral,
    source_code,
    standing_decision,
)
from chalicelib.domain.decision import Decision, Outcome
from chalicelib.domain.referral import Agency, ReferrerKind

UTC = dt.UTC

# The mapping, written out once more so a change to it is a deliberate change to this table too.
EXPECTED_SOURCES = {
    Agency.CHILDRENS_SOCIAL_CARE: "5A",
    Agency.HEALTH: "3F",
    Agency.EDUCATION: "2A",
    Agency.POLICE: "6",
    Agency.PROBATION: "7",
    Agency.HOUSING: "4",
    Agency.EARLY_HELP: "5D",
    Agency.YOUTH_OFFENDING: "7",
    Agency.VICTIM_SUPPORT: "8",
    Agency.OTHER: "8",
}


@pytest.mark.parametrize(("agency", "code"), EXPECTED_SOURCES.items())
def test_a_professionals_agency_maps_to_its_census_code(agency: Agency, code: str) -> None:
    assert source_code(ReferrerKind.PROFESSIONAL, agency) == code


def test_every_agency_the_form_offers_has_a_census_code_from_the_census_list() -> None:
    assert set(SOURCE_BY_AGENCY) == set(Agency)
    assert set(SOURCE_BY_AGENCY.values()) <= set(SOURCE_LABELS)


def test_the_source_list_is_the_census_guides_codes_in_its_order_and_groups() -> None:
    """DfE, "Children in need census 2021 to 2022: guide for local authorities": 22 codes, 8 is Other,
    9 Anonymous, 10 Unknown; the LA services (5A to 5D) include early help."""
    assert list(SOURCE_LABELS) == [
        "1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F",
        "4", "5A", "5B", "5C", "5D", "6", "7", "8", "9", "10",
    ]  # fmt: skip
    groups = {"1": "Individual: ", "3": "Health services: ", "5": "LA services: "}
    for code, label in SOURCE_LABELS.items():
        if code[-1].isalpha() and code[0] in groups:
            assert label.startswith(groups[code[0]]), (code, label)
    assert (SOURCE_LABELS["2A"], SOURCE_LABELS["2B"], SOURCE_LABELS["4"], SOURCE_LABELS["6"]) == (
        "Schools", "Education services", "Housing", "Police",
    )  # fmt: skip
    assert (SOURCE_LABELS["7"], SOURCE_LABELS["8"], SOURCE_LABELS["9"], SOURCE_LABELS["10"]) == (
        "Other legal agency", "Other", "Anonymous", "Unknown",
    )  # fmt: skip
    assert SOURCE_LABELS["5D"] == "LA services: early help"


def test_a_member_of_the_public_is_individual_other_never_guessed_as_family() -> None:
    assert source_code(ReferrerKind.PUBLIC, None) == PUBLIC_SOURCE == "1D"


def test_a_professional_with_no_agency_recorded_is_unknown() -> None:
    assert source_code(ReferrerKind.PROFESSIONAL, None) == "10"


def _decision(outcome: Outcome, *, approval: bool, approved: bool = False, returned: bool = False) -> Decision:
    return Decision(
        outcome,
        "reasons",
        decided_by="p1",
        decided_at=dt.datetime(2026, 3, 2, 10, tzinfo=UTC),
        needs_approval=approval,
        approved_by="m1" if approved else None,
        approved_at=dt.datetime(2026, 3, 3, 9, tzinfo=UTC) if approved else None,
        returned_reason="not yet" if returned else None,
    )


def test_a_decision_stands_when_recorded_without_approval_or_once_approved() -> None:
    assert standing_decision(None) is None
    assert standing_decision(_decision(Outcome.EARLY_HELP, approval=False)) == (
        Outcome.EARLY_HELP,
        dt.datetime(2026, 3, 2, 10, tzinfo=UTC),
    )
    assert standing_decision(_decision(Outcome.STRATEGY_DISCUSSION, approval=True)) is None
    assert standing_decision(_decision(Outcome.STRATEGY_DISCUSSION, approval=True, approved=True)) == (
        Outcome.STRATEGY_DISCUSSION,
        dt.datetime(2026, 3, 3, 9, tzinfo=UTC),
    )
    assert standing_decision(_decision(Outcome.EARLY_HELP, approval=False, returned=True)) is None


def test_a_re_referral_is_a_referral_of_the_same_child_in_the_12_months_before() -> None:
    now = dt.datetime(2026, 6, 15, 12, tzinfo=UTC)
    assert is_re_referral(now, [dt.datetime(2025, 6, 15, 12, tzinfo=UTC)])  # exactly 12 months: in
    assert not is_re_referral(now, [dt.datetime(2025, 6, 15, 11, 59, tzinfo=UTC)])
    assert not is_re_referral(now, [])
    assert not is_re_referral(now, [now])  # not itself, nor a later one


def test_a_leap_day_receipt_looks_back_to_the_28th() -> None:
    leap = dt.datetime(2028, 2, 29, 9, tzinfo=UTC)
    assert is_re_referral(leap, [dt.datetime(2027, 2, 28, 9, tzinfo=UTC)])
