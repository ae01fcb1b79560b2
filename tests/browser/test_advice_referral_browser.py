"""An advice call made into a referral, in headless Chromium on the local stack, axe-core on every page.

A teacher rings for advice about a child; Pat Practitioner records the call, then makes it a
referral: the form starts with what the call gave (the teacher as referrer, what was said as the
concerns), says every missing answer at once (Enter in a field makes the referral, never "Add
another"), takes a second child with "Add another child" (the page posted back, nothing typed lost)
living at the first child's address (nothing typed twice), and a parent who reads Polish, and lands on
the new referral's page, which the call then links to.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from tests.browser.test_console_browser import banner, main_text, sign_in
from tests.browser.test_public_form_browser import CHROMIUM, Referrer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium: run `make chromium`"
    ),
]

ABOUT = "Synthetic: a girl of 7 in Year 2 came in with a burn on her hand and would not say how."


def test_an_advice_call_is_made_into_a_referral(referrer: Referrer, stack: Any) -> None:
    person = referrer
    sign_in(person, "Pat Practitioner")

    # The call, as it happened.
    person.click("Advice calls", role="link")
    person.click("Record an advice call")
    person.at("/staff/advice/new", "Record an advice call")
    person.choose("A professional", group="Who called?")
    person.page.get_by_label("The professional's agency").select_option("education")
    person.fill("Caller's name (optional)", "Jo Testteacher")
    person.fill("Their organisation (optional)", "Testfield Primary")
    person.fill("Their phone number (optional)", "020 7946 0000")
    person.fill("Who was the call about?", ABOUT)
    person.fill("Advice given", "Synthetic: this needs a referral; we will make it with you now")
    person.choose("The caller was asked to make a referral")
    person.click("Record the call")
    assert "Advice call recorded" in banner(person)
    call = person.page.url.removeprefix(stack.app_url).split("?")[0]

    # Make it a referral: the call's answers are there already.
    person.click("Make it a referral")
    person.at(f"{call}/referral", "Make the advice call a referral")
    assert person.page.locator("#referrer-name").input_value() == "Jo Testteacher"
    assert ABOUT in person.page.locator("#concerns-description").input_value()
    with person.page.expect_navigation():  # Enter makes the referral: the rest not yet given, every problem at once
        person.page.locator("#referrer-name").press("Enter")
    person.check_page()
    assert len(person.errors()) >= 6
    assert "Enter the child's first name" in person.errors()
    assert person.page.locator("#referrer-organisation").input_value() == "Testfield Primary"  # nothing lost

    person.choose("No", group="Is a child at immediate risk of harm?")
    person.choose("A child protection referral")
    person.fill("Role (a professional's)", "Class teacher")
    person.fill("Email address", "jo.testteacher@school.example")
    for number, (first_name, born) in enumerate((("Mia", dt.date(2019, 4, 3)), ("Leo", dt.date(2022, 1, 9))), 1):
        if number == 2:  # a sibling: the blank set after Mia, kept by "Add another child"
            person.click("Add another child")
            assert person.page.locator("#child-1-first_name").input_value() == "Mia"
        child = f"#child-{number}"
        person.page.locator(f"{child}-first_name").fill(first_name)
        person.page.locator(f"{child}-last_name").fill("Testchild")
        person.page.locator(f"{child}-born").check()
        person.fill_date(f"child-{number}-date_of_birth", born)
        if number == 1:
            person.page.locator(f"{child}-address-line1").fill("1 Test Road")
            person.page.locator(f"{child}-address-town").fill("Testtown")
            person.page.locator(f"{child}-address-postcode").fill("E17 1AA")
        else:  # a sibling at the same address: one answer, nothing typed twice
            assert not person.page.locator(f"{child}-address-line1").is_visible()  # revealed only by "No"
            person.choose("Yes", group="Does child 2 live at the same address as child 1?")
    person.page.locator("#child-1-gender").check()  # Female: the public form's questions about each child
    person.page.locator("#child-1-first_language").fill("English")
    person.click("Add another child")  # Leo is an entry now, with a blank set after him
    assert person.page.locator("#child-2-date_of_birth-year").input_value() == "2022"
    assert person.page.locator("#child-3-first_name").input_value() == ""
    assert person.page.get_by_role("button", name="Remove child 2").count() == 1
    assert person.page.locator("#referrer-role").input_value() == "Class teacher"  # nothing typed lost
    # A parent who reads Polish: the referral holds it, and emails to her wait for a translation.
    person.page.locator("#parent-1-name").fill("Alex Testparent")
    person.page.locator("#parent-1-relationship").fill("mother")
    person.page.locator("#parent-1-parental_responsibility").check()  # Yes
    person.choose("Yes", group="Do they live at the child's address?")
    person.page.locator("#parent-1-first_language").fill("Polish")
    person.choose("Physical abuse")
    person.fill("The child's views", "Synthetic: she said she did not want to go home")
    person.choose("Level 4: Specialist or acute")
    person.choose("No", group="Have the parents been told about this referral?")
    person.fill("Why have they not been told?", "Synthetic: telling them may put her at more risk")
    person.click("Make the referral")

    # The new referral's page and the call link to each other.
    match = re.fullmatch(r"/staff/referrals/([A-Z0-9-]+)", person.page.url.removeprefix(stack.app_url))
    assert match, person.page.url
    reference = match.group(1)
    person.at(f"/staff/referrals/{reference}", f"Referral {reference}")
    shown = main_text(person)
    assert "Mia Testchild" in shown and "Leo Testchild" in shown and "Alex Testparent" in shown
    assert "Polish" in shown
    assert "by a member of staff, made from an advice call" in shown
    person.click("an advice call", role="link")  # the referral links back to the call
    person.at(call, "Advice call")
    made = main_text(person)
    assert f"Made into a referral: {reference}" in made and "Make it a referral" not in made
    assert person.csp_errors == []
