"""Search in headless Chromium on the local stack, axe-core on every page visited: a health visitor
rings about Oliwia Łukasiewicz; the practitioner types the surname without its Ł, finds the family
and opens the referral."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.test_console_browser import main_text, sign_in
from tests.browser.test_public_form_browser import CHROMIUM, Referrer
from tests.factories import support_referral

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium: run `make chromium`"
    ),
]


def test_a_practitioner_finds_a_family_by_a_surname_typed_without_its_accent(referrer: Referrer, stack: Any) -> None:
    from chalicelib.domain.referral import ReferralSubmission
    from chalicelib.services.submit_referral import submit_referral

    referral = support_referral(
        **{
            "children.0.first_name": "Oliwia",
            "children.0.last_name": "Łukasiewicz",
            "children.0.date_of_birth": "2019-03-14",
        }
    )
    reference = submit_referral(ReferralSubmission.model_validate(referral)).reference
    person = referrer

    sign_in(person, "Pat Practitioner")
    person.click("Search", role="link")  # in the header
    person.at("/staff/search", "Search for a referral")
    person.click("Search")
    assert person.page.title().startswith("Error: ")
    assert person.errors() == ["Enter a name, a date of birth, a postcode or a reference"]

    person.fill("Name", "lukasiewicz")
    person.click("Search")
    person.at("/staff/search", "Search for a referral")
    assert re.search(r"Oliwia, \d+ years old", main_text(person))
    person.click(reference, role="link")
    person.at(f"/staff/referrals/{reference}", f"Referral {reference}")
    assert "Oliwia Łukasiewicz" in main_text(person)
    assert len(person.pages_checked) >= 5
