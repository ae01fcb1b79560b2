"""A practitioner's day from a phone call, in headless Chromium on the local stack, axe-core on every
page visited (issue 13's "done when"); it also holds what the search page's own journey checked.

A health visitor rings about Oliwia Łukasiewicz. Pat Practitioner searches for the surname typed
without its Ł, finds the family (and her brother's referral from last week), takes ownership, writes
down the call, asks the mother for consent (she reads Polish, so the email waits for a translation:
a task), marks the translation done, links the brother's referral as a sibling, screens and decides.
A manager then opens the performance report.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.test_console_browser import banner, main_text, sign_in
from tests.browser.test_public_form_browser import CHROMIUM, Referrer
from tests.factories import example, set_path

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium: run `make chromium`"
    ),
]

CALL = "Health visitor rang: Oliwia has a new bruise on her arm; mum says she fell at nursery."


def a_referral(first_name: str, born: str) -> str:
    """A support referral for one of the Łukasiewicz children, sent through the service in this
    process (the stack shares its emulator); their mother reads Polish and has an email address."""
    from chalicelib.domain.referral import ReferralSubmission
    from chalicelib.services.submit_referral import submit_referral

    referral = example("referral-support-no-consent.json")
    for path, value in {
        "children.0.first_name": first_name,
        "children.0.last_name": "Łukasiewicz",
        "children.0.date_of_birth": born,
        "parents_carers.0.name": "Anna Łukasiewicz",
        "parents_carers.0.first_language": "Polish",
        "parents_carers.0.email": "anna.lukasiewicz@family.example",
    }.items():
        set_path(referral, path, value)
    return submit_referral(ReferralSubmission.model_validate(referral)).reference


def test_a_practitioners_day_from_a_phone_call(referrer: Referrer, stack: Any) -> None:
    brother = a_referral("Kacper", "2016-06-02")
    reference = a_referral("Oliwia", "2019-03-14")
    here = f"/staff/referrals/{reference}"
    person = referrer

    # The phone rings: find the family by the surname as the caller spells it.
    sign_in(person, "Pat Practitioner")
    person.click("Search", role="link")
    person.at("/staff/search", "Search for a referral")
    person.click("Search")  # nothing typed yet: the page says what to enter
    assert person.errors() == ["Enter a name, a date of birth, a postcode or a reference"]
    person.fill("Name", "Lukasiewicz")
    person.click("Search")
    found = main_text(person)
    assert re.search(r"Oliwia, \d+ years old", found) and re.search(r"Kacper, \d+ years old", found)
    person.click(reference, role="link")
    person.at(here, f"Referral {reference}")
    assert "Oliwia Łukasiewicz" in main_text(person)

    # Take the work.
    person.click("Assign to me")
    assert "Owner: Pat Practitioner (you)" in main_text(person)

    # Write the call down.
    person.click("Add a note")
    person.at(f"{here}/note", "Add a note")
    person.choose("Phone call")
    person.fill("The note", CALL)
    person.click("Add the note")
    assert "Note added" in banner(person)
    assert CALL in main_text(person) and "by Pat Practitioner" in main_text(person)

    # Ask the mother for consent: she reads Polish, so the email waits for its translation (a task).
    person.click("Record consent")
    person.choose("Ask a parent or carer by email")
    person.choose("Anna Łukasiewicz (mother)")
    person.click("Save consent")
    to_do = person.page.locator("#to-do").locator("xpath=..").inner_text()
    assert "translation" in to_do.lower()

    # The interpreter is booked and the translation sent: the task is done, with a note.
    person.fill("Note (optional)", "Translated by the council's interpreting service")
    person.page.get_by_role("button", name=re.compile(r"^Mark as done")).first.click()
    person.check_page()
    assert "Mark as done" not in main_text(person)  # nothing left to do
    assert "Translated by the council's interpreting service" in main_text(person)

    # Her brother was referred last week: link the two referrals.
    person.click("Link another referral")
    person.fill("The other referral's reference", brother)
    person.choose("Siblings")
    person.fill("Why (a short reason)", "Same mother and address")
    person.click("Link the referrals")
    linked = main_text(person)
    assert brother in linked and "Siblings" in linked

    # Screen and decide.
    person.click("Screen the referral")
    person.choose("Amber")
    person.choose("Level 3: Targeted or complex")
    person.fill("Rationale", "A bruise explained by a fall; two referrals for the family in a week")
    person.click("Save screening")
    assert "Screening recorded" in banner(person)
    person.click("Record the decision")
    person.choose("Step to early help")
    person.fill("Reasons", "Family support through the early help team; the health visitor keeps in touch")
    person.click("Save decision")
    assert "Decision recorded" in banner(person)
    history = main_text(person)
    assert "Pat Practitioner screened it Amber, level 3" in history
    person.click("Sign out")

    # The manager's view of the month: the performance report.
    sign_in(person, "Morgan Manager")
    person.click("Performance report", role="link")
    person.at("/staff/reports/performance", "Performance report")
    # Counted from the daily figures (the stack may hold other tests' referrals too).
    early_help = re.search(r"Step to early help\n[\d.]+% \((\d+)\)", main_text(person))
    assert early_help and int(early_help.group(1)) >= 1
    assert person.csp_errors == []
    assert len(person.pages_checked) >= 15
