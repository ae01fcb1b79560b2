"""The public form in headless Chromium against the whole local stack, with axe-core on every page.

Each journey runs as a referrer would: it reads the pages, makes mistakes, fixes them, and
sends. After every page load axe-core must find 0 violations, and the browser must report no
Content Security Policy violation (so the strict CSP does not break the GOV.UK components).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium: run `make chromium`"
    ),
]


# Per module, not per session: moto's state is process-wide, so a stack left running would share it
# with the in-process moto of the next module's tests (each of which wipes it).
@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    from local.stack import LocalStack

    running = LocalStack.active()
    if running is not None:  # moto's state is process-wide: share a stack another module started
        yield running
        return
    with LocalStack(pump_interval=None) as started:
        yield started


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class AxeCore:
    """axe-core in the pages: each context loads it into every page as the page opens (`prepare`),
    so a check only runs it; a page of a context not prepared gets it sent first. (Sending its
    500 KB source with every check was a quarter of axe's time.)"""

    def __init__(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.source = Axe().axe_script

    def prepare(self, context: Any) -> Any:
        context.add_init_script(script=self.source)
        return context

    def violations(self, page: Any) -> list[dict[str, Any]]:
        if not page.evaluate("typeof window.axe === 'object'"):
            page.evaluate(self.source)
        return list(page.evaluate("axe.run({resultTypes: ['violations']}).then(results => results.violations)"))


@pytest.fixture(scope="module")
def axe() -> AxeCore:
    return AxeCore()


# Pages axe has passed in this process, by their markup with the answers typed into them and the
# per-request tokens blanked (input values, textarea contents, nonces, exit and CSRF tokens: axe's
# rules read structure, labels, roles and colours, not what someone typed). A page seen again with
# the same markup passes again without a second run; any other difference (an error message, another
# heading, a reference on a page, a box ticked) is checked anew.
# axe was about half of the browser tests' time, most of it on the same pages journey after journey.
_AXE_PASSED: set[str] = set()
_TYPED = re.compile(
    r'(\b(?:value|nonce|data-exit-token)=")[^"]*(")|(=")[\w+/=-]{20,}(")|(<textarea\b[^>]*>).*?(</textarea>)', re.S
)


def markup_without_answers(html: str) -> str:
    """The page with what was typed into it and its per-request tokens left out (the key above)."""
    return _TYPED.sub(lambda m: next(m.group(i) + m.group(i + 1) for i in (1, 3, 5) if m.group(i) is not None), html)


class Referrer:
    """A person at the keyboard: every page they land on is checked by axe and for CSP errors."""

    def __init__(self, page: Any, axe: Any, base_url: str, checker: Any = None) -> None:
        self.page = page
        self.axe = axe
        # With JavaScript off, axe cannot run in the page itself (its timers never fire), so the
        # page's HTML, scripts removed, is replayed at the same URL in a page that runs axe.
        self.checker = checker
        self.base_url = base_url
        self.csp_errors: list[str] = []
        self.pages_checked: list[str] = []
        page.on("console", self._on_console)

    def _on_console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_errors.append(message.text)

    def check_page(self) -> None:
        page = self.page
        page.wait_for_load_state("load")
        markup = f"{bool(self.checker)} {page.url} {markup_without_answers(page.content())}"
        if markup not in _AXE_PASSED:
            violations = self.axe.violations(self._as_served_without_javascript() if self.checker else page)
            assert violations == [], f"axe on {page.url}:\n" + json.dumps(
                [{"id": v["id"], "help": v["help"], "nodes": [n["html"] for n in v["nodes"]][:3]} for v in violations],
                indent=2,
            )
            _AXE_PASSED.add(markup)
        assert self.csp_errors == [], f"CSP violations on {page.url}: {self.csp_errors}"
        self.pages_checked.append(page.url.removeprefix(self.base_url))

    def _as_served_without_javascript(self) -> Any:
        html = re.sub(r"<script\b.*?</script>", "", self.page.content(), flags=re.S)
        url = self.page.url

        def replay(route: Any) -> None:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

        self.checker.route(url, replay)
        self.checker.goto(url)
        self.checker.unroute(url, replay)
        return self.checker

    def open(self, path: str) -> None:
        self.page.goto(self.base_url + path)
        self.check_page()

    def at(self, path: str, heading: str) -> None:
        assert self.page.url.removeprefix(self.base_url) == path
        assert heading in self.page.locator("h1").first.inner_text()
        self.check_page()

    def click(self, name: str, role: str = "button") -> None:
        self.page.get_by_role(role, name=name, exact=True).first.click()
        self.check_page()

    def choose(self, label: str, group: str | None = None) -> None:
        scope = self.page.get_by_role("group", name=group) if group else self.page
        scope.get_by_label(label, exact=True).check()

    def fill(self, label: str, value: str) -> None:
        self.page.get_by_label(label, exact=True).fill(value)

    def fill_date(self, group: str, date: dt.date) -> None:
        for part, value in (("day", date.day), ("month", date.month), ("year", date.year)):
            self.page.locator(f"#{group}-{part}").fill(str(value))

    def errors(self) -> list[str]:
        return [text.strip() for text in self.page.locator(".govuk-error-summary__list a").all_inner_texts()]


@pytest.fixture
def referrer(chromium: Any, axe: Any, stack: Any, request: Any) -> Iterator[Referrer]:
    javascript = getattr(request, "param", True)
    context = axe.prepare(chromium.new_context(java_script_enabled=javascript))
    page = context.new_page()
    page.set_default_timeout(10_000)
    checker_context = None if javascript else axe.prepare(chromium.new_context())
    checker = checker_context.new_page() if checker_context else None
    yield Referrer(page, axe, stack.app_url, checker)
    context.close()
    if checker_context:
        checker_context.close()


def test_a_professional_sends_a_support_referral_recovering_from_errors(referrer: Referrer, stack: Any) -> None:
    page = referrer.page
    referrer.open("/")
    assert page.title().startswith("Refer a child to the Multi Agency Safeguarding Hub")
    referrer.click("Start now", role="button")

    referrer.at("/referral/immediate-risk", "Is a child at immediate risk of harm?")
    referrer.click("Continue")
    assert page.title().startswith("Error: ")
    assert referrer.errors() == ["Select yes if a child is at immediate risk of harm"]
    # The error summary takes focus, and its link moves focus to the first radio.
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    page.get_by_role("link", name="Select yes if a child is at immediate risk of harm").click()
    assert page.evaluate("document.activeElement.id") == "immediate_risk"
    referrer.choose("No")
    referrer.click("Continue")

    referrer.at("/referral/route", "What kind of referral are you making?")
    referrer.choose("A request for help and support")
    referrer.click("Continue")

    referrer.at("/referral/about-you", "About you")
    referrer.choose("Yes, as a professional")
    assert page.get_by_label("Your role", exact=True).is_visible()  # the conditional reveal works under the CSP
    referrer.fill("Full name", "Priya Example")
    referrer.fill("Email address", "priya.example")
    referrer.click("Continue")
    assert referrer.errors() == [
        "Enter your role, like designated safeguarding lead",
        "Enter the name of your organisation",
        "Select the kind of agency you work for",
        "Enter an email address in the correct format, like name@example.com",
        "Enter a phone number we can call you back on",
    ]
    referrer.fill("Your role", "Designated safeguarding lead")
    referrer.fill("Organisation", "Example Primary School")
    page.get_by_label("Kind of agency").select_option("education")
    referrer.fill("Email address", "priya.example@school.example")
    referrer.fill("Phone number", "020 7946 0000")
    referrer.click("Continue")

    referrer.at("/referral/child/1", "About the child")
    referrer.fill("First name", "Sam")
    referrer.fill("Last name", "Testchild")
    referrer.choose("Yes", group="Has the child been born?")
    referrer.fill_date("date_of_birth", dt.date(2017, 3, 14))
    page.locator("#date_of_birth-month").fill("")
    referrer.fill("Address line 1", "1 Example Road")
    referrer.fill("Town or city", "London")
    referrer.fill("Postcode", "E17 1AA")
    referrer.click("Continue")
    assert referrer.errors() == ["Date of birth must include a month"]
    page.locator("#date_of_birth-month").fill("3")
    referrer.click("Continue")

    referrer.at("/referral/children", "You have added 1 child")
    page.locator("#add_another-2").check()  # No
    referrer.click("Continue")

    referrer.at("/referral/parents", "Parents and carers")
    page.locator("#add_another").check()  # Yes
    referrer.click("Continue")
    referrer.at("/referral/parent/1", "About a parent or carer")
    referrer.fill("Full name", "Alex Testparent")
    referrer.fill("Relationship to the child", "mother")
    page.locator("#parental_responsibility").check()
    page.locator("#address_same_as_child").check()
    referrer.click("Continue")
    referrer.at("/referral/parents", "Parents and carers")
    page.locator("#add_another-2").check()
    referrer.click("Continue")
    no_one_else(referrer)

    referrer.at("/referral/concerns", "Your concerns")
    referrer.choose("Neglect")
    referrer.fill("What is happening to the child?", "Sam has arrived hungry most mornings this term.")
    referrer.fill(
        "What does the child say, and what is life like for them?", "Sam says there is often no food at home."
    )
    referrer.choose("Level 2: Early help")
    referrer.click("Continue")

    referrer.at("/referral/consent", "Parents’ consent")
    page.locator("#parents_aware").check()
    referrer.choose("Yes, consent was given")
    referrer.fill("Who gave consent?", "Alex Testparent")
    referrer.fill_date("given_on", dt.date.today() - dt.timedelta(days=3))
    referrer.fill("How was it given?", "in person at a school meeting")
    referrer.click("Continue")
    assert referrer.errors() == ["Select yes if you have discussed your concerns with the parents"]
    referrer.choose("Yes", group="Have you discussed your concerns with the parents?")
    referrer.fill("What did they say?", "The mother said money is tight and agreed to breakfast club.")
    referrer.click("Continue")

    referrer.at("/referral/check", "Check your answers before sending your referral")
    page.get_by_role("link", name="Change Your name").click()
    referrer.at("/referral/about-you", "About you")
    referrer.fill("Full name", "Priya Changed")
    referrer.click("Continue")
    referrer.at("/referral/check", "Check your answers")
    assert "Priya Changed" in page.locator("main").inner_text()
    referrer.click("Send referral")

    referrer.at("/referral/confirmation", "Referral sent")
    reference = page.locator(".govuk-panel__body strong").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{3}", reference)
    # The acknowledgement reached the emulated outbox (it names the reference, not the family).
    assert reference in json.dumps(page.request.get(stack.app_url + "/_local/outbox.json").json())


@pytest.mark.parametrize("referrer", [False], indirect=True, ids=["no-javascript"])
def test_a_member_of_the_public_rings_999_then_sends_a_protection_referral_without_javascript(
    referrer: Referrer, stack: Any
) -> None:
    page = referrer.page
    referrer.open("/referral/immediate-risk")
    referrer.choose("Yes")
    referrer.click("Continue")

    referrer.at("/referral/call-now", "Ring 999 now")
    body = page.locator("main").inner_text()
    for number in ("999", "101", "020 7946 0990", "020 7946 0991"):
        assert number in body
    referrer.click("I have rung – continue to a written referral")

    referrer.at("/referral/route", "What kind of referral are you making?")
    referrer.choose("A child protection referral")
    referrer.click("Continue")
    referrer.choose("No, as a member of the public")
    referrer.fill("Full name", "Jo Neighbour")
    referrer.fill("Email address", "jo@home.example")
    referrer.fill("Phone number", "07700 900123")
    referrer.click("Continue")

    referrer.at("/referral/child/1", "About the child")
    referrer.fill("First name", "Baby")
    referrer.fill("Last name", "Testchild")
    referrer.choose("No, this is an unborn baby")
    referrer.fill_date("expected_date", dt.date.today() + dt.timedelta(days=60))
    referrer.fill("Address line 1", "1 Example Road")
    referrer.fill("Town or city", "London")
    referrer.fill("Postcode", "E17 1AA")
    referrer.click("Continue")
    page.locator("#add_another-2").check()
    referrer.click("Continue")
    referrer.at("/referral/parents", "Parents and carers")
    page.locator("#add_another-2").check()
    referrer.click("Continue")
    no_one_else(referrer)

    referrer.at("/referral/concerns", "Your concerns")
    referrer.click("Continue")
    assert len(referrer.errors()) == 4
    referrer.choose("Domestic abuse")
    referrer.fill("What is happening to the child?", "Shouting and things breaking next door every night.")
    referrer.fill("What does the child say, and what is life like for them?", "Not yet born.")
    referrer.choose("Level 4: Specialist or acute")
    referrer.click("Continue")

    referrer.at("/referral/consent", "Have the parents been told about this referral?")
    referrer.choose("No")
    referrer.click("Continue")
    assert referrer.errors() == [
        "Say why the parents have not been told, like telling them could put the child at more risk"
    ]
    referrer.fill("Why have they not been told?", "Telling them could put the baby at more risk.")
    referrer.click("Continue")

    referrer.at("/referral/check", "Check your answers")
    assert "Child protection referral" in page.locator("main").inner_text()
    referrer.click("Send referral")
    referrer.at("/referral/confirmation", "Referral sent")


PRACTITIONER_NAME = "Pat Practitioner"


def no_one_else(referrer: Referrer) -> None:
    """No other adult in the household, and nobody known who may pose a risk."""
    referrer.at("/referral/household", "Other adults in the child's household")
    referrer.choose("No, or I do not know")
    referrer.click("Continue")
    referrer.at("/referral/risks", "People who may pose a risk to the child")
    referrer.choose("No, or I do not know")
    referrer.click("Continue")


def test_a_neighbour_names_a_household_adult_who_may_pose_a_risk_and_stays_unknown(
    referrer: Referrer, stack: Any
) -> None:
    """Issue 11: the protection route with the mother's partner in the household, who may pose a
    risk; the referrer does not want the family told who referred. Then the console shows the
    contact plan and a practitioner changes it."""
    from chalicelib.wiring import wiring
    from tests.browser.test_console_browser import sign_in

    page = referrer.page
    referrer.open("/referral/immediate-risk")
    referrer.choose("No")
    referrer.click("Continue")
    referrer.choose("A child protection referral")
    referrer.click("Continue")
    referrer.at("/referral/about-you", "About you")
    referrer.choose("No, as a member of the public")
    referrer.fill("Full name", "Casey Example")
    referrer.fill("Email address", "casey.example@neighbour.example")
    referrer.fill("Phone number", "07700 900123")
    referrer.choose("No, do not tell them")
    referrer.click("Continue")

    referrer.at("/referral/child/1", "About the child")
    referrer.fill("First name", "Rowan")
    referrer.fill("Last name", "Testchild")
    referrer.choose("Yes", group="Has the child been born?")
    referrer.fill_date("date_of_birth", dt.date(2019, 9, 9))
    referrer.fill("Address line 1", "12 Sample Close")
    referrer.fill("Town or city", "London")
    referrer.fill("Postcode", "E17 3CC")
    referrer.fill(
        "What has this child said about what is happening? (optional)", "He hides in his room when the man shouts."
    )
    referrer.click("Continue")
    page.locator("#add_another-2").check()
    referrer.click("Continue")

    referrer.at("/referral/parents", "Parents and carers")
    page.locator("#add_another").check()
    referrer.click("Continue")
    referrer.fill("Full name", "Dana Testparent")
    referrer.fill("Relationship to the child", "mother")
    page.locator("#parental_responsibility").check()
    referrer.choose("Yes", group="Is it safe for the MASH to contact them?")
    page.locator("#address_same_as_child").check()
    referrer.click("Continue")
    page.locator("#add_another-2").check()
    referrer.click("Continue")

    referrer.at("/referral/household", "Other adults in the child's household")
    referrer.choose("Yes")
    referrer.click("Continue")
    referrer.at("/referral/household/1", "About an adult in the household")
    referrer.fill("Full name", "Frankie Testadult")
    referrer.fill("Who they are to the child", "mother's partner")
    referrer.fill("If you do not know their date of birth, their approximate age (optional)", "about 35")
    referrer.choose("No", group="Do they have parental responsibility for the child?")
    referrer.choose("No", group="Is it safe for the MASH to contact them?")
    referrer.click("Continue")
    assert referrer.errors() == ["Enter their approximate age as a number of years, like 35"]
    referrer.fill("If you do not know their date of birth, their approximate age (optional)", "35")
    referrer.click("Continue")
    referrer.at("/referral/household", "Other adults in the child's household")
    assert "Frankie Testadult" in page.locator("main").inner_text()
    referrer.choose("No, or I do not know")
    referrer.click("Continue")

    referrer.at("/referral/risks", "People who may pose a risk to the child")
    referrer.choose("Yes")
    referrer.click("Continue")
    referrer.at("/referral/risk/1", "About a person who may pose a risk")
    referrer.click("Continue")
    assert set(referrer.errors()) == {
        "Enter who they are to the child or family, like mother's partner or a neighbour",
        "Tell us what you know about them and why they may pose a risk to the child",
    }
    referrer.fill("Their name (optional)", "Frankie Testadult")
    referrer.fill("Who they are to the child or the family", "mother's partner")
    referrer.choose("Yes", group="Do they live with the child?")
    referrer.fill("What do you know about them, and why may they pose a risk to the child?",
                  "I have seen him push the mother in the garden.")  # fmt: skip
    referrer.click("Continue")
    referrer.choose("No, or I do not know")
    referrer.click("Continue")

    referrer.at("/referral/concerns", "Your concerns")
    referrer.choose("Domestic abuse")
    referrer.fill("What is happening to the child?", "Shouting and things breaking most nights.")
    referrer.fill("What does the child say, and what is life like for them?", "Rowan says he is scared.")
    referrer.choose("Level 4: Specialist or acute")
    referrer.click("Continue")
    referrer.choose("No")
    referrer.fill("Why have they not been told?", "I am frightened of the mother's partner.")
    referrer.click("Continue")

    referrer.at("/referral/check", "Check your answers")
    main = page.locator("main").inner_text()
    for shown in ("Household member 1", "Person who may pose a risk 1", "I have seen him push the mother",
                  "He hides in his room"):  # fmt: skip
        assert shown in main
    referrer.click("Send referral")
    referrer.at("/referral/confirmation", "Referral sent")
    reference = page.locator(".govuk-panel__body strong").inner_text()

    stored = wiring().referrals.fetch(reference)
    assert [m.name for m in stored.submission.household_members] == ["Frankie Testadult"]
    assert [r.relationship for r in stored.submission.people_posing_risk] == ["mother's partner"]
    assert stored.submission.referrer.family_may_know is False
    assert [p.key for p in stored.told_people] == ["parent:0"]

    # The console: the plan as staff see it, changed by a practitioner, axe on every page.
    staff = referrer.page.context.new_page()
    staff_referrer = Referrer(staff, referrer.axe, referrer.base_url)
    sign_in(staff_referrer, PRACTITIONER_NAME)
    staff_referrer.open(f"/staff/referrals/{reference}")
    plan = staff.locator("table", has_text="Told").first.inner_text()
    assert "Frankie Testadult" in plan and "Not told" in plan and "may pose a risk" in plan
    staff.get_by_role("button", name="Change who in the family is contacted").click()
    staff_referrer.check_page()
    staff.get_by_label("Dana Testparent (mother)", exact=False).check()
    staff.get_by_role("group", name="Is it safe to contact them?").get_by_label("No, it is not safe").check()
    staff.get_by_label("Why you are changing their plan").fill("Synthetic: police advise no contact for now.")
    staff.get_by_role("button", name="Save the contact plan").click()
    staff_referrer.check_page()
    assert "The contact plan is changed" in staff.locator("main").inner_text()
    assert wiring().referrals.fetch(reference).told_people == []


def test_the_error_and_edge_pages_are_accessible(referrer: Referrer) -> None:
    referrer.open("/referral/concerns")  # no session yet
    assert "Your session has ended" in referrer.page.locator("h1").inner_text()
    referrer.open("/referral/child/99")
    assert "Page not found" in referrer.page.locator("h1").inner_text()


# --- save and come back later; exit this page --------------------------------------------------

NEUTRAL_SITE = "https://www.bbc.co.uk/weather"


def stand_in_for_the_neutral_site(context: Any) -> list[str]:
    """Answer for the neutral site in the browser itself: no real network, and a record of each visit."""
    visits: list[str] = []

    def fulfil(route: Any) -> None:
        visits.append(route.request.url)
        route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            body="<!DOCTYPE html><html lang='en'><title>Weather</title><h1>Weather</h1></html>",
        )

    context.route(NEUTRAL_SITE + "**", fulfil)
    return visits


def continue_to(referrer: Referrer, path: str, heading: str, button: str = "Continue") -> None:
    """Press a button and wait for the next page itself (a click returns before the navigation ends)."""
    with referrer.page.expect_navigation(url=referrer.base_url + path):
        referrer.page.get_by_role("button", name=button, exact=True).first.click()
    referrer.at(path, heading)


def start_a_support_referral(referrer: Referrer) -> None:
    referrer.open("/referral/immediate-risk")
    referrer.choose("No")
    continue_to(referrer, "/referral/route", "What kind of referral are you making?")
    referrer.choose("A request for help and support")
    continue_to(referrer, "/referral/about-you", "About you")


def test_exit_this_page_replaces_the_page_ends_the_session_and_back_finds_no_answers(referrer: Referrer) -> None:
    from chalicelib.wiring import wiring

    page = referrer.page
    visits = stand_in_for_the_neutral_site(page.context)
    start_a_support_referral(referrer)
    referrer.fill("Full name", "Priya Example")
    session_id = next(c["value"] for c in page.context.cookies() if c["name"] == "mash_session")
    assert wiring().drafts.load(session_id) is not None

    page.get_by_role("button", name="Emergency Exit this page").click()
    page.wait_for_url(NEUTRAL_SITE)
    assert visits == [NEUTRAL_SITE]
    # The beacon ended the form session (it goes as the page goes: Playwright does not see it end).
    deadline = time.monotonic() + 5
    while wiring().drafts.load(session_id) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert wiring().drafts.load(session_id) is None

    # location.replace: the form page the person was on is no longer in the tab's history. Back
    # goes to the page before it, which finds the session over and shows no answers.
    page.go_back()
    referrer.at("/referral/route", "Your session has ended")
    assert "Priya Example" not in page.content()
    page.go_forward()
    assert page.url == NEUTRAL_SITE


def test_exit_on_the_confirmation_page_forgets_the_receipt(referrer: Referrer) -> None:
    """A shared device: after sending, Exit leaves no way back to the reference or the documents."""
    from urllib.parse import urlparse

    from chalicelib.web.form_session import new_session_id, receipt_cookie

    page = referrer.page
    stand_in_for_the_neutral_site(page.context)
    # The receipt the form sets on sending (signed, tied to its session), for a synthetic reference.
    name, _, value = receipt_cookie("K7Q-F3M-RW9", new_session_id()).split(";")[0].partition("=")
    host = urlparse(referrer.base_url).hostname
    page.context.add_cookies([{"name": name, "value": value, "domain": host, "path": "/"}])
    referrer.open("/referral/confirmation")
    assert "K7Q-F3M-RW9" in page.content()

    page.get_by_role("button", name="Emergency Exit this page").click()
    page.wait_for_url(NEUTRAL_SITE)
    deadline = time.monotonic() + 5
    while any(c["name"] == "mash_receipt" for c in page.context.cookies()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [c["name"] for c in page.context.cookies() if c["name"] == "mash_receipt"] == []
    page.goto(referrer.base_url + "/referral/confirmation")
    assert "K7Q-F3M-RW9" not in page.content()
    assert page.url == referrer.base_url + "/"


def test_pressing_shift_three_times_exits_too(referrer: Referrer) -> None:
    page = referrer.page
    stand_in_for_the_neutral_site(page.context)
    start_a_support_referral(referrer)
    page.get_by_label("Full name", exact=True).focus()
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    assert "Shift, press 1 more time to exit." in page.locator(".govuk-exit-this-page [role=status]").inner_text()
    page.keyboard.press("Shift")
    page.wait_for_url(NEUTRAL_SITE)
    # Typing capitals (Shift held with a letter) never counts towards it. (A new form session:
    # first let the exit's beacon clear the old one's cookie, which it does in its own time.)
    deadline = time.monotonic() + 5
    while any(c["name"] == "mash_session" for c in page.context.cookies()) and time.monotonic() < deadline:
        time.sleep(0.05)
    start_a_support_referral(referrer)
    for _ in range(3):
        page.get_by_label("Full name", exact=True).press("Shift+P")
    assert page.url.endswith("/referral/about-you")


@pytest.mark.parametrize("referrer", [False], indirect=True, ids=["no-javascript"])
def test_without_javascript_exit_this_page_is_a_plain_link_to_the_neutral_site(referrer: Referrer) -> None:
    page = referrer.page
    visits = stand_in_for_the_neutral_site(page.context)
    start_a_support_referral(referrer)
    page.get_by_role("button", name="Emergency Exit this page").click()
    page.wait_for_url(NEUTRAL_SITE)
    assert visits == [NEUTRAL_SITE]


@pytest.mark.parametrize("referrer", [True, False], indirect=True, ids=["javascript", "no-javascript"])
def test_a_referrer_saves_part_way_and_comes_back_with_the_code_and_passphrase(
    referrer: Referrer, chromium: Any, axe: Any, stack: Any
) -> None:
    page = referrer.page
    referrer.open("/")
    referrer.click("Continue a saved referral", role="link")
    referrer.at("/referral/resume", "Continue a saved referral")
    referrer.open("/")
    start_a_support_referral(referrer)
    referrer.choose("No, as a member of the public")
    referrer.fill("Full name", "Jo Neighbour")
    referrer.fill("Email address", "jo@home")  # not finished: no error now, it is kept as typed
    referrer.click("Save and come back later")

    referrer.at("/referral/save", "Save your answers and come back later")
    referrer.click("Save and get a resume code")
    assert referrer.errors() == ["Enter a passphrase"]
    referrer.fill("Create a passphrase", "purple kettle morning")
    referrer.click("Save and get a resume code")
    referrer.at("/referral/save", "Your answers have been saved")  # the POST's own answer, shown once
    code = page.locator(".govuk-panel strong").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert "Do not write your passphrase next to the code" in page.locator("main").inner_text()

    # Another day: a new browser, nothing kept from before.
    context = axe.prepare(chromium.new_context(java_script_enabled=referrer.checker is None))
    later = Referrer(context.new_page(), axe, stack.app_url, referrer.checker)
    later.open("/referral/resume")
    later.fill("Resume code", code.lower().replace("-", " "))  # typed loosely
    later.fill("Passphrase", "purple kettle mornin")
    later.click("Continue")
    assert later.errors() == ["The resume code or passphrase is not right. Check both and try again"]
    later.fill("Passphrase", "purple kettle morning")
    later.click("Continue")
    later.at("/referral/about-you", "About you")
    assert later.page.get_by_label("Full name", exact=True).input_value() == "Jo Neighbour"
    assert later.page.get_by_label("Email address", exact=True).input_value() == "jo@home"
    assert later.errors() == []
    context.close()


def test_the_locked_and_expired_pages_are_accessible(referrer: Referrer) -> None:
    from chalicelib.domain import resume_codes
    from chalicelib.wiring import wiring

    hub = wiring()
    verifier = resume_codes.hash_passphrase("purple kettle morning")

    def saved(until: dt.datetime) -> tuple[str, str]:
        code = resume_codes.new_code()
        key = resume_codes.code_key(code, hub.settings.hmac_secret)
        assert hub.drafts.save_for_resume(key, {"immediate_risk": False}, verifier, until)
        return code, key

    locked, key = saved(hub.clock() + dt.timedelta(days=7))
    hub.drafts.lock(key, hub.clock() + dt.timedelta(minutes=60))
    expired, _ = saved(hub.clock() - dt.timedelta(seconds=1))
    for code, heading in ((locked, "This saved referral is locked"), (expired, "This saved referral has expired")):
        referrer.open("/referral/resume")
        referrer.fill("Resume code", code)
        referrer.fill("Passphrase", "purple kettle morning")
        continue_to(referrer, "/referral/resume", heading)


def test_the_axe_check_finds_a_violation_in_a_prepared_page_and_in_one_that_is_not(chromium: Any, axe: Any) -> None:
    """The check can fail: an image with no text alternative is found, whether axe-core was loaded
    as the page opened or is sent to it at the check."""
    unlabelled = '<!doctype html><html lang="en"><title>t</title><main><h1>t</h1><img src="a.png"></main></html>'
    for context in (axe.prepare(chromium.new_context()), chromium.new_context()):
        page = context.new_page()
        page.set_content(unlabelled)
        assert [v["id"] for v in axe.violations(page)] == ["image-alt"]
        context.close()
