"""The emergency duty team in headless Chromium on the local stack, axe-core on every page visited.

Saturday 2am: a protection referral comes in; the EDT follows the alert's link, signs in, reads
the referral, writes a handover note and hands it over; on Monday the practitioner's queue shows it
first, flagged, and the note is on the referral page. No page has an axe violation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.test_console_browser import banner, main_text, sign_in
from tests.browser.test_public_form_browser import CHROMIUM, Referrer
from tests.factories import protection_referral

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium: run `make chromium`"
    ),
]

SATURDAY_2AM = dt.datetime(2026, 12, 5, 2, 0, tzinfo=dt.UTC)
MONDAY_9AM = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
NOTE = "Police attended at 3am; child staying with grandmother tonight. Strategy discussion needed."


@pytest.fixture
def hub_clock(stack: Any) -> Iterator[Any]:
    """The stack's hub clock (it runs in this process), put back afterwards for the other modules."""
    from chalicelib.wiring import wiring

    hub = wiring()
    before = hub.clock
    yield hub
    hub.clock = before


def test_the_emergency_duty_team_hands_over_and_the_morning_queue_shows_it_first(
    referrer: Referrer, stack: Any, hub_clock: Any
) -> None:
    from chalicelib.domain.referral import ReferralSubmission
    from chalicelib.services.submit_referral import submit_referral

    person, page = referrer, referrer.page
    hub_clock.clock = lambda: SATURDAY_2AM
    reference = submit_referral(ReferralSubmission.model_validate(protection_referral())).reference
    here = f"/staff/referrals/{reference}"

    person.open(here)  # the alert's link: sign in first, then back here
    person.at("/staff/local-sign-in", "Sign in as a synthetic staff member")
    person.choose("Eden Duty")
    person.click("Sign in")
    person.at(here, f"Referral {reference}")
    assert "Emergency duty team alerted" in main_text(person)
    assert "Riley Testchild" in main_text(person)
    assert "Screen the referral" not in main_text(person)

    hub_clock.clock = lambda: SATURDAY_2AM + dt.timedelta(minutes=10)  # within the 15-minute idle time
    person.click("Record the emergency duty team's handover", role="button")
    person.at(f"{here}/handover", "Record the emergency duty team's handover")
    person.click("Save handover note")
    assert person.errors() == ["Enter what the emergency duty team did, for the day team"]
    person.fill("Handover note", NOTE)
    person.choose("Hand this referral over to the MASH day team now")
    person.click("Save handover note")
    person.at(f"{here}?done=handover", f"Referral {reference}")
    assert "Handover note recorded" in banner(person)
    assert NOTE in main_text(person)
    person.click("Sign out")

    hub_clock.clock = lambda: MONDAY_9AM
    sign_in(person, "Pat Practitioner")
    first = page.locator("tbody tr").first
    assert reference in first.inner_text()
    assert "Handed over by the emergency duty team" in first.inner_text()
    person.click(reference, role="link")
    person.at(here, f"Referral {reference}")
    assert "Handed over by the emergency duty team" in main_text(person) and NOTE in main_text(person)
    assert person.csp_errors == []
