"""The parent's consent page in headless Chromium against the local stack, axe-core on every page.

A practitioner asks (through the service, in this process: the stack shares its emulator), then
the parent opens the link from the email, makes a mistake, answers, and later changes their answer
by the same link (a mistake there too).
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


def consent_link_path() -> str:
    """A support referral without consent, and a consent request to its parent: the email's link."""
    from chalicelib.domain.notices import NoticeKind
    from chalicelib.domain.referral import ReferralSubmission
    from chalicelib.domain.staff import Role, StaffMember
    from chalicelib.mail.consent_request import CONSENT_PATH, consent_link
    from chalicelib.services.request_consent import request_consent
    from chalicelib.services.submit_referral import submit_referral
    from chalicelib.wiring import wiring

    receipt = submit_referral(ReferralSubmission.model_validate(example("referral-support-no-consent.json")))
    practitioner = StaffMember("local-practitioner", frozenset({Role.PRACTITIONER}))
    referral = request_consent(receipt.reference, parent=0, staff=practitioner, request_id=None)
    [notice] = [n for n in referral.notices if n.kind is NoticeKind.CONSENT_REQUEST]
    link = consent_link(referral, notice, wiring().settings)
    return CONSENT_PATH + link.rsplit(CONSENT_PATH, 1)[1]


@pytest.mark.parametrize("referrer", [True, False], indirect=True, ids=["javascript", "no-javascript"])
def test_a_parent_agrees_by_the_link_then_changes_their_answer(referrer: Referrer) -> None:
    parent, page = referrer, referrer.page
    path = consent_link_path()
    parent.open(path)
    assert page.title().startswith("Can we share information to help your child? – Multi Agency Safeguarding Hub")
    assert "Charlie" in page.locator("main").inner_text()
    assert "Testchild" not in page.content()

    parent.click("Send my answer")
    assert page.title().startswith("Error: ")
    assert parent.errors() == ["Select yes if you agree to agencies sharing information, or no if you do not"]
    parent.choose("Yes, I agree")
    parent.fill("Anything you want to tell us (optional)", "Please call me after 4pm.")
    parent.click("Send my answer")
    parent.at(path + "/answered", "We have your answer")
    assert "You agreed" in page.locator("main").inner_text()

    # Used for the first answer: the same link now offers to change it, while it lives (issue 11).
    parent.open(path)
    parent.at(path + "/change", "Change your answer")
    assert "You told us you agree" in page.locator("main").inner_text()
    parent.click("Change my answer")
    assert page.title().startswith("Error: ")
    assert parent.errors() == ["Select yes if you agree to agencies sharing information, or no if you do not"]
    parent.choose("No, I do not agree")
    parent.click("Change my answer")
    parent.at(path + "/answered", "We have your answer")
    assert "You did not agree" in page.locator("main").inner_text()


def test_a_tampered_link_gets_an_accessible_page(referrer: Referrer) -> None:
    referrer.open(consent_link_path()[:-3] + "AAA")
    assert "We do not recognise this link" in referrer.page.locator("h1").inner_text()
