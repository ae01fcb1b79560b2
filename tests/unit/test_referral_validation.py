"""The referral model refuses what it must, with the message a person sees (no AWS here)."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.referral import ReferralSubmission
from chalicelib.domain.validation import InvalidReferral, validate
from tests.factories import EXAMPLE_NAMES, example, protection_referral, support_referral

TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_shared_example_is_accepted_as_it_is(name: str) -> None:
    submission = validate(ReferralSubmission, example(name))
    assert submission.children[0].first_name
    assert submission.model_dump(mode="json")["route"] == example(name)["route"]


def problems(data: dict) -> dict[str, str]:
    with pytest.raises(InvalidReferral) as caught:
        validate(ReferralSubmission, data)
    return {error.field: error.message for error in caught.value.errors}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"route": "urgent"}, "route", "Route (support or protection) must be one of: 'support' or 'protection'"),
        ({"route": ...}, "route", "Select whether this is a request for support or a child protection referral"),
        ({"immediate_risk": ...}, "immediate_risk", "Say whether a child is at immediate risk of harm"),
        (
            {"referrer.email": "priya.example"},
            "referrer.email",
            "Enter an email address in the correct format, like name@example.com",
        ),
        ({"referrer.phone": "12345"}, "referrer.phone", "Enter a phone number, like 020 7946 0000 or 07700 900 982"),
        (
            {"referrer.phone": "call me maybe"},
            "referrer.phone",
            "Enter a phone number, like 020 7946 0000 or 07700 900 982",
        ),
        ({"referrer.name": "  "}, "referrer.name", "Enter name"),
        ({"referrer.role": None}, "referrer.role", "Enter your role, like designated safeguarding lead"),
        (
            {"referrer.agency": "mi5"},
            "referrer.agency",
            "Agency must be one of: 'childrens_social_care', 'health', 'education', 'police', 'probation', 'housing', 'early_help', 'youth_offending', 'victim_support' or 'other'",
        ),
        ({"children": []}, "children", "Add at least one child"),
        ({"children.0.first_name": ""}, "children.0.first_name", "Enter first name"),
        (
            {"children.0.date_of_birth": TOMORROW},
            "children.0.date_of_birth",
            "Date of birth must be today or in the past; for an unborn baby, give the due date instead",
        ),
        (
            {"children.0.date_of_birth": "2017-02-30"},
            "children.0.date_of_birth",
            "Date of birth must be a real date in the form YYYY-MM-DD, like 2017-03-14",
        ),
        ({"children.0.date_of_birth": None}, "children.0.date_of_birth", "Enter the child's date of birth"),
        (
            {"children.0.date_of_birth": "1990-01-01"},
            "children.0.date_of_birth",
            "The MASH takes referrals for children and young people under 19; check the date of birth",
        ),
        (
            {"children.0.unborn": True, "children.0.date_of_birth": None},
            "children.0.expected_date",
            "Enter the date the baby is due",
        ),
        (
            {"children.0.address.postcode": "NOT A CODE"},
            "children.0.address.postcode",
            "Enter a real postcode, like E17 1AA",
        ),
        (
            {"children.0.address.line1": "x" * 201},
            "children.0.address.line1",
            "Address line 1 must be 200 characters or fewer",
        ),
        (
            {"parents_carers.0.email": "alex@"},
            "parents_carers.0.email",
            "Enter an email address in the correct format, like name@example.com",
        ),
        (
            {"parents_carers.0.address_same_as_child": False},
            "parents_carers.0.address",
            "Enter the parent or carer's address, or say it is the same as the child's",
        ),
        ({"concerns.categories": []}, "concerns.categories", "Select at least one kind of concern"),
        (
            {"concerns.categories": ["witchcraft"]},
            "concerns.categories.0",
            "Kinds of concern must be one of: 'physical_abuse', 'emotional_abuse', 'sexual_abuse', 'neglect', 'domestic_abuse', 'child_sexual_exploitation', 'child_criminal_exploitation', 'mental_health', 'parental_substance_misuse', 'radicalisation', 'missing_from_home_or_education', 'female_genital_mutilation', 'disability_or_additional_needs' or 'other'",
        ),
        (
            {"concerns.description": "x" * 5001},
            "concerns.description",
            "What is happening must be 5000 characters or fewer",
        ),
        ({"concerns.childs_views": ""}, "concerns.childs_views", "Enter the child's views and experience"),
        (
            {"concerns.proposed_level": 5},
            "concerns.proposed_level",
            "Proposed level of need must be a whole number from 1 to 4",
        ),
        (
            {"concerns.proposed_level": "high"},
            "concerns.proposed_level",
            "Proposed level of need must be a whole number from 1 to 4",
        ),
        (
            {"consent": ...},
            "consent",
            "A support referral needs the consent section: are the parents aware, and have they given consent",
        ),
        ({"consent.given_by": None}, "consent.given_by", "Enter the name of the parent or carer who gave consent"),
        ({"consent.given_on": TOMORROW}, "consent.given_on", "The date consent was given must be today or in the past"),
        ({"consent.status": "not_sought"}, "consent.reason_not_sought", "Say why consent was not asked for"),
        (
            {"consent.surprise": 1},
            "consent.surprise",
            "'surprise' is not a field of a referral: check its spelling against the API document",
        ),
    ],
)
def test_support_referral_problem_is_named_with_what_to_fix(changes: dict, field: str, message: str) -> None:
    assert problems(support_referral(**changes))[field] == message


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"parents_informed": ...},
            "parents_informed",
            "A protection referral needs the parents_informed section: have the parents been told, and if not, why",
        ),
        (
            {"parents_informed.reason_not_informed": None},
            "parents_informed.reason_not_informed",
            "Say why the parents have not been told, like telling them could put the child at more risk",
        ),
        (
            {"parents_informed.informed": "perhaps"},
            "parents_informed.informed",
            "Whether the parents have been told must be true or false",
        ),
    ],
)
def test_protection_referral_problem_is_named_with_what_to_fix(changes: dict, field: str, message: str) -> None:
    assert problems(protection_referral(**changes))[field] == message


def test_protection_referral_needs_no_consent_section() -> None:
    submission = validate(ReferralSubmission, protection_referral())
    assert submission.consent is None
    assert submission.parents_informed is not None and submission.parents_informed.informed is False


def test_unborn_baby_is_referred_with_a_due_date() -> None:
    due = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    submission = validate(
        ReferralSubmission,
        support_referral(
            **{"children.0.unborn": True, "children.0.date_of_birth": None, "children.0.expected_date": due}
        ),
    )
    assert submission.children[0].expected_date == dt.date.fromisoformat(due)


def test_postcode_is_tidied_to_the_royal_mail_shape() -> None:
    submission = validate(ReferralSubmission, support_referral(**{"children.0.address.postcode": "e171aa"}))
    assert submission.children[0].address.postcode == "E17 1AA"


def test_error_messages_never_echo_the_value_sent() -> None:
    secret = "Sam-Private-Value@nowhere"
    found = problems(support_referral(**{"referrer.email": secret, "children.0.date_of_birth": secret}))
    assert all(secret not in message for message in found.values())
