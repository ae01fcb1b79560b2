"""The staff console in headless Chromium on the local stack, axe-core on every page visited.

A practitioner's whole day: sign in, open a referral from the queue, screen it (after a mistake),
record the parent's consent, ask the police and health what they hold; the police answer through
the local outbox's "Reply as the agency" form (a real reply, through the inbound bucket), and the
answer is on the referral; a decision that needs a manager. A manager signs in, approves it, sees
the outcome notice go to the parent, and opens the timeliness report. No page has an axe violation.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.test_public_form_browser import CHROMIUM, Referrer
from tests.factories import support_referral

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium: run `make chromium`"
    ),
]

POLICE_ANSWER = "Two call-outs to the address in March; no charges. PC Sam Taylor"


def a_referral() -> str:
    """A support referral whose referrer did not ask for consent, sent through the service in this
    process (the stack shares its emulator)."""
    from chalicelib.domain.referral import ReferralSubmission
    from chalicelib.services.submit_referral import submit_referral

    referral = support_referral(**{"consent.status": "not_sought", "consent.reason_not_sought": "Not asked yet"})
    return submit_referral(ReferralSubmission.model_validate(referral)).reference


def settle(stack: Any, done: Callable[[], Any], seconds: float = 20) -> Any:
    """Hand queued events to their handlers (as the pump does) until `done()` is true."""
    deadline = time.monotonic() + seconds
    while not (answer := done()):
        assert time.monotonic() < deadline, "the events did not settle in time"
        stack.pump_once()
        time.sleep(0.05)
    return answer


def referral(reference: str) -> Any:
    from chalicelib.wiring import wiring

    return wiring().referrals.open(reference).referral


def requests(stack: Any, reference: str) -> int:
    """How many information requests for this referral the local outbox holds."""
    import json
    import urllib.request

    with urllib.request.urlopen(stack.app_url + "/_local/outbox.json", timeout=10) as answer:
        emails = json.loads(answer.read())["emails"]
    return sum(1 for e in emails if reference in e["subject"] and e["subject"].startswith("Information request"))


def sign_in(person: Referrer, name: str) -> None:
    person.open("/staff/sign-in")  # locally: the synthetic staff to choose from
    person.at("/staff/local-sign-in", "Sign in as a synthetic staff member")
    person.choose(name)
    person.click("Sign in")
    person.at("/staff/", "Work queue")


def main_text(person: Referrer) -> str:
    return person.page.locator("main").inner_text()


def banner(person: Referrer) -> str:
    return person.page.locator(".govuk-notification-banner").inner_text()


class OutboxCspReports(list[str]):
    """CSP reports while on the local outbox, less one known local-only kind: each email's HTML is
    shown in a sandboxed srcdoc iframe, which inherits the page's CSP, so the email's own inline
    styles are refused (the preview shows unstyled). That is the outbox's (templates/local/
    outbox.html), not the console's; any other report still fails the check."""

    def append(self, report: str) -> None:
        if not report.startswith("Applying inline style"):
            super().append(report)


def test_a_practitioners_whole_day(referrer: Referrer, stack: Any) -> None:
    person, page = referrer, referrer.page
    reference = a_referral()
    here = f"/staff/referrals/{reference}"

    sign_in(person, "Pat Practitioner")
    person.click(reference, role="link")
    person.at(here, f"Referral {reference}")
    assert "Sam Testchild" in main_text(person)

    person.click("Screen the referral")
    person.at(f"{here}/screening", "Screen the referral")
    person.click("Save screening")
    assert page.title().startswith("Error: ")
    assert person.errors() == [
        "Select a RAG rating",
        "Select the level of need",
        "Enter why you chose this rating and level",
    ]
    person.choose("Amber")
    person.choose("Level 3: Targeted or complex")
    person.fill("Rationale", "Hungry most mornings; nine days missed this term")
    person.click("Save screening")
    person.at(f"{here}?done=screening", f"Referral {reference}")
    assert "Screening recorded" in banner(person)
    assert "Ask agencies what they hold" not in main_text(person)  # consent first

    person.click("Record consent")
    person.at(f"{here}/consent", "Record consent")
    person.choose("Consent was given")
    person.fill("Who gave consent", "Alex Testparent, mother")
    person.fill_date("given_on", dt.date(2026, 11, 20))
    person.fill("How it was given", "By phone to the MASH")
    person.click("Save consent")
    person.at(f"{here}?done=consent", f"Referral {reference}")
    assert "Consent recorded" in banner(person)

    person.click("Ask agencies what they hold")
    person.at(f"{here}/enquiries", "Ask agencies what they hold")
    person.choose("Police")
    person.choose("Health")
    person.fill("What are you asking?", "Any contact with the family this year?")
    person.click("Send enquiries")
    person.at(f"{here}?done=enquiries", f"Referral {reference}")
    assert "Enquiries sent" in banner(person)

    # The police answer, as an officer would: through the local outbox's reply form.
    # The request emails are sent by each agency's queue handler: hand them the messages.
    emails = settle(
        stack,
        lambda: (
            len([e for e in referral(reference).enquiries if e.published_at]) == 2 and requests(stack, reference) >= 2
        ),
    )
    assert emails
    person.csp_errors = OutboxCspReports()
    person.open("/_local/outbox")
    request = page.locator("section").filter(has_text=reference).filter(has_text="mash-checks@police.example")
    assert request.count() == 1
    request.get_by_text("Reply as the agency", exact=True).click()
    request.get_by_label("Reply", exact=True).fill(POLICE_ANSWER)
    request.get_by_role("button", name="Send reply as the agency").click()
    person.check_page()
    assert "Reply sent as the agency" in banner(person)
    police = settle(stack, lambda: next((e for e in referral(reference).enquiries if e.answered_at), None))
    assert police.agency.value == "police"

    page.goto(stack.app_url + here)  # off the outbox: every CSP report counts again
    person.csp_errors = []
    person.check_page()
    assert POLICE_ANSWER in main_text(person)
    person.click("Record the decision")
    person.choose("Child and family assessment (child in need, section 17)")
    person.fill("Reasons", "Needs an assessment of the family's needs")
    person.click("Save decision")
    person.at(f"{here}?done=decision", f"Referral {reference}")
    assert "Waiting for a manager" in main_text(person)
    person.click("Sign out")
    person.at("/staff/signed-out", "You have signed out")

    sign_in(person, "Morgan Manager")
    person.click(reference, role="link")
    person.click("Approve or return the decision")
    person.choose("Yes, approve it")
    person.click("Save")
    person.at(f"{here}?done=approval", f"Referral {reference}")
    assert "Your answer on the decision is recorded" in banner(person)
    assert "Approved" in main_text(person)
    # The outcome notice to the parent went at once.
    outcome = page.locator("tr", has_text="Outcome").filter(has_text="Parent or carer: Alex Testparent")
    assert "Sent" in outcome.inner_text()

    person.click("Timeliness report", role="link")
    person.at("/staff/reports/timeliness", "Timeliness report")
    assert "Decisions by RAG rating" in main_text(person)
    assert person.csp_errors == []
    assert len(person.pages_checked) >= 20
