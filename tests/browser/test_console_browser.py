"""The staff console in headless Chromium on the local stack, axe-core on every page visited.

A practitioner signs in, opens a referral from the queue, screens it (after a mistake), records a
decision that needs a manager, and signs out; a manager signs in and approves it.
"""

from __future__ import annotations

import pytest

from tests.browser.test_public_form_browser import CHROMIUM, Referrer
from tests.factories import example

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium: run `make chromium`"
    ),
]


def a_referral() -> str:
    """A support referral, sent through the service in this process (the stack shares its emulator)."""
    from chalicelib.domain.referral import ReferralSubmission
    from chalicelib.services.submit_referral import submit_referral

    return submit_referral(ReferralSubmission.model_validate(example("referral-support.json"))).reference


def sign_in(person: Referrer, name: str) -> None:
    person.open("/staff/sign-in")  # locally: the synthetic staff to choose from
    person.at("/staff/local-sign-in", "Sign in as a synthetic staff member")
    person.choose(name)
    person.click("Sign in")
    person.at("/staff/", "Work queue")


def test_a_practitioner_screens_and_decides_and_a_manager_approves(referrer: Referrer) -> None:
    person, page = referrer, referrer.page
    reference = a_referral()

    sign_in(person, "Pat Practitioner")
    person.click(reference, role="link")
    person.at(f"/staff/referrals/{reference}", f"Referral {reference}")
    assert "Sam Testchild" in page.locator("main").inner_text()

    person.click("Screen the referral")
    person.at(f"/staff/referrals/{reference}/screening", "Screen the referral")
    person.click("Save screening")
    assert page.title().startswith("Error: ")
    assert person.errors() == [
        "Select a RAG rating",
        "Select the level of need",
        "Enter why you chose this rating and level",
    ]
    person.choose("Red")
    person.choose("Level 3: Targeted or complex")
    person.fill("Rationale", "Hungry most mornings; nine days missed this term")
    person.click("Save screening")
    person.at(f"/staff/referrals/{reference}?done=screening", f"Referral {reference}")
    assert "Screening recorded" in page.locator(".govuk-notification-banner").inner_text()

    person.click("Record the decision")
    person.choose("Child and family assessment (child in need, section 17)")
    person.fill("Reasons", "Needs an assessment of the family's needs")
    person.click("Save decision")
    person.at(f"/staff/referrals/{reference}?done=decision", f"Referral {reference}")
    assert "Waiting for a manager" in page.locator("main").inner_text()
    person.click("Sign out")
    person.at("/staff/signed-out", "You have signed out")

    sign_in(person, "Morgan Manager")
    person.click(reference, role="link")
    person.click("Approve or return the decision")
    person.choose("Yes, approve it")
    person.click("Save")
    person.at(f"/staff/referrals/{reference}?done=approval", f"Referral {reference}")
    assert "Your answer on the decision is recorded" in page.locator(".govuk-notification-banner").inner_text()
    assert "Approved" in page.locator("main").inner_text()
    assert len(person.pages_checked) >= 14
