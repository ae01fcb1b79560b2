"""The public form through chalice.test with AWS under moto: what the referrer sees, and what is stored."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.web.security import GOVUK_INLINE_SCRIPT, script_hash
from tests.conftest import sent_emails, table_items

FORM = "application/x-www-form-urlencoded"
LAST_YEAR = dt.date.today().year - 1

# --- synthetic answers, page by page ---------------------------------------------------------

REFERRER = {
    "kind": "professional",
    "name": "Priya Example",
    "role": "Designated safeguarding lead",
    "organisation": "Example Primary School",
    "agency": "education",
    "email": "priya.example@school.example",
    "phone": "020 7946 0000",
}
CHILD = {
    "first_name": "Sam",
    "last_name": "Testchild",
    "born": "yes",
    "date_of_birth-day": "14",
    "date_of_birth-month": "3",
    "date_of_birth-year": "2017",
    "gender": "male",
    "address-line1": "1 Example Road",
    "address-town": "London",
    "address-postcode": "e17 1aa",
    "school_or_setting": "Example Primary School",
    "first_language": "English",
    "interpreter_needed": "no",
}
PARENT = {
    "name": "Alex Testparent",
    "relationship": "mother",
    "parental_responsibility": "yes",
    "phone": "07700 900000",
    "email": "alex.testparent@family.example",
    "address_same_as_child": "yes",
    "first_language": "English",
}
HOUSEHOLD_MEMBER = {
    "name": "Frankie Testadult",
    "relationship": "mother's partner",
    "approximate_age": "35",
    "parental_responsibility": "no",
    "safe_to_contact": "no",
    "phone": "",
    "email": "",
    "first_language": "English",
}
PERSON_POSING_RISK = {
    "name": "Frankie Testadult",
    "relationship": "mother's partner",
    "approximate_age": "35",
    "address_same_as_child": "yes",
    "what_is_known": "Shouting most nights; seen pushing the mother.",
}
CONCERNS = {
    "categories": ["neglect", "domestic_abuse"],
    "description": "Sam has arrived hungry most mornings this term.",
    "childs_views": "Sam says there is often no food at home in the morning.",
    "what_has_been_tried": "Breakfast club offered.",
    "proposed_level": "2",
}
CONSENT = {
    "parents_aware": "yes",
    "status": "given",
    "given_by": "Alex Testparent",
    "given_on-day": "20",
    "given_on-month": "11",
    "given_on-year": str(LAST_YEAR),
    "how": "in person at a school meeting",
    "discussed_with_parents": "no",
}


class Browser:
    """A tiny browser over chalice.test: keeps cookies, reads CSRF tokens, follows nothing by itself."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.cookies: dict[str, str] = {}
        self.locations: list[str] = []

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items() if value)
        return {**({"cookie": cookie} if cookie else {}), **(extra or {})}

    def _keep_cookies(self, response: Any) -> Any:
        set_cookie = response.headers.get("Set-Cookie") or []
        for line in [set_cookie] if isinstance(set_cookie, str) else set_cookie:
            name, _, value = line.split(";")[0].partition("=")
            self.cookies[name] = value
        if "Location" in response.headers:
            self.locations.append(response.headers["Location"])
        return response

    def get(self, path: str) -> Any:
        self.locations.append(path)
        return self._keep_cookies(self.client.http.get(path, headers=self._headers()))

    def post(self, path: str, data: dict[str, Any], token: str | None = None, body: str | None = None) -> Any:
        if token is None:
            token = csrf_token(self.get(path))
        payload = body if body is not None else urlencode({**data, "csrf_token": token}, doseq=True)
        response = self._keep_cookies(
            self.client.http.post(path, body=payload, headers=self._headers({"content-type": FORM}))
        )
        if response.status_code == 303 and response.headers.get("Location") == path:
            # A page posted with problems sends the browser back to it (Post/Redirect/Get): follow,
            # as a browser does, to the page that shows the errors.
            return self.get(path)
        return response

    def answer(self, path: str, data: dict[str, Any]) -> str:
        """Post a page that should be accepted; return where it sends the referrer next."""
        response = self.post(path, data)
        assert response.status_code == 303, error_messages(response)
        return response.headers["Location"]


def text_of(response: Any) -> str:
    return unescape(response.body.decode("utf-8"))


def csrf_token(response: Any) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.body.decode())
    assert match, "page has no CSRF token"
    return match.group(1)


def h1(response: Any) -> str:
    body = text_of(response)
    match = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S) or re.search(
        r"<legend[^>]*>\s*<h1[^>]*>(.*?)</h1>", body, re.S
    )
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1) if match else "")).strip()


def error_messages(response: Any) -> list[str]:
    """The messages beside fields (the error summary repeats them as links)."""
    found = re.findall(r'class="govuk-error-message">(.*?)</p>', response.body.decode(), re.S)
    return [re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", m))).replace("Error: ", "").strip() for m in found]


def summary_links(response: Any) -> list[tuple[str, str]]:
    body = response.body.decode()
    summary = body[body.find("govuk-error-summary") :]
    return [(unescape(text).strip(), href) for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', summary)][:20]


def fill_support_referral(browser: Browser) -> str:
    browser.get("/referral/immediate-risk")
    assert browser.answer("/referral/immediate-risk", {"immediate_risk": "no"}) == "/referral/route"
    assert browser.answer("/referral/route", {"route": "support"}) == "/referral/about-you"
    assert browser.answer("/referral/about-you", REFERRER) == "/referral/child/1"
    assert browser.answer("/referral/child/1", CHILD) == "/referral/children"
    assert browser.answer("/referral/children", {"add_another": "yes"}) == "/referral/child/2"
    unborn = {
        "first_name": "Baby",
        "last_name": "Testchild",
        "born": "no",
        "address-line1": "1 Example Road",
        "address-town": "London",
        "address-postcode": "E17 1AA",
        **_due_in(days=60),
    }
    assert browser.answer("/referral/child/2", unborn) == "/referral/children"
    assert browser.answer("/referral/children", {"add_another": "no"}) == "/referral/parents"
    assert browser.answer("/referral/parents", {"add_another": "yes"}) == "/referral/parent/1"
    assert browser.answer("/referral/parent/1", PARENT) == "/referral/parents"
    assert browser.answer("/referral/parents", {"add_another": "no"}) == "/referral/household"
    assert browser.answer("/referral/household", {"add_another": "no"}) == "/referral/risks"
    assert browser.answer("/referral/risks", {"add_another": "no"}) == "/referral/concerns"
    assert browser.answer("/referral/concerns", CONCERNS) == "/referral/consent"
    assert browser.answer("/referral/consent", CONSENT) == "/referral/check"
    return "/referral/check"


def _due_in(days: int) -> dict[str, str]:
    # From the hub's own clock (tests move it), in London: the form judges dates against it.
    from chalicelib.domain.london_time import london_date
    from chalicelib.wiring import wiring

    due = london_date(wiring().clock()) + dt.timedelta(days=days)
    return {
        "expected_date-day": str(due.day),
        "expected_date-month": str(due.month),
        "expected_date-year": str(due.year),
    }


def drafts(aws: Any) -> list[dict[str, Any]]:
    return [item for item in table_items(aws) if item["sk"]["S"] == "DRAFT"]


def referral_items(aws: Any) -> list[dict[str, Any]]:
    return [item for item in table_items(aws) if item["sk"]["S"] == "REFERRAL"]


@pytest.fixture
def browser(client: Any) -> Browser:
    return Browser(client)


# --- whole journeys --------------------------------------------------------------------------


def test_support_referral_is_stored_acknowledged_and_its_draft_deleted(browser: Browser, aws: Any) -> None:
    assert "Refer a child" in h1(browser.get("/"))
    fill_support_referral(browser)
    check = browser.get("/referral/check")
    assert h1(check) == "Check your answers before sending your referral"
    for shown in (
        "Priya Example",
        "Sam Testchild",
        "14 March 2017",
        "E17 1AA",
        "Alex Testparent",
        "Level 2: Early help",
        "Consent given",
        f"20 November {LAST_YEAR}",
        "Neglect",
    ):
        assert shown in text_of(check)
    assert len(drafts(aws)) == 1

    sent = browser.post("/referral/check", {})
    assert sent.status_code == 303
    assert sent.headers["Location"] == "/referral/confirmation"
    confirmation = browser.get("/referral/confirmation")
    reference = re.search(r"<strong>([A-Z0-9-]+)</strong>", confirmation.body.decode()).group(1)
    assert "Referral sent" in text_of(confirmation)
    assert "What happens next" in text_of(confirmation)

    stored = aws.referrals.fetch(reference)
    assert stored.channel == "form"
    submission = stored.submission
    assert submission.route == "support"
    assert [c.first_name for c in submission.children] == ["Sam", "Baby"]
    assert submission.children[0].address.postcode == "E17 1AA"
    assert submission.children[1].unborn is True
    assert submission.parents_carers[0].parental_responsibility is True
    assert submission.concerns.proposed_level == 2
    assert submission.consent.given_on == dt.date(LAST_YEAR, 11, 20)
    assert drafts(aws) == []
    [email] = sent_emails(aws)
    assert email["To"] == REFERRER["email"]


def test_protection_referral_after_ringing_999_needs_no_consent(browser: Browser, aws: Any) -> None:
    browser.get("/referral/immediate-risk")
    assert browser.answer("/referral/immediate-risk", {"immediate_risk": "yes"}) == "/referral/call-now"
    ring = browser.get("/referral/call-now")
    settings = aws.settings
    for number in (
        settings.emergency_number,
        settings.police_non_emergency_number,
        settings.mash_phone_office_hours,
        settings.mash_phone_out_of_hours,
    ):
        assert number in text_of(ring)
    assert 'href="/referral/route"' in ring.body.decode()
    assert browser.answer("/referral/route", {"route": "protection"}) == "/referral/about-you"
    public = {
        "kind": "public",
        "name": "Jo Neighbour",
        "email": "jo@home.example",
        "phone": "07700 900123",
        "role": "typed then hidden",
    }
    assert browser.answer("/referral/about-you", public) == "/referral/child/1"
    assert browser.answer("/referral/child/1", CHILD) == "/referral/children"
    assert browser.answer("/referral/children", {"add_another": "no"}) == "/referral/parents"
    assert browser.answer("/referral/parents", {"add_another": "no"}) == "/referral/household"
    assert browser.answer("/referral/household", {"add_another": "no"}) == "/referral/risks"
    assert browser.answer("/referral/risks", {"add_another": "no"}) == "/referral/concerns"
    assert browser.answer("/referral/concerns", {**CONCERNS, "proposed_level": "4"}) == "/referral/consent"
    informed = browser.get("/referral/consent")
    assert h1(informed) == "Have the parents been told about this referral?"
    not_told = {"informed": "no", "reason_not_informed": "Telling them could put Sam at more risk."}
    assert browser.answer("/referral/consent", not_told) == "/referral/check"
    assert "Parents’ consent" not in text_of(browser.get("/referral/check"))
    assert browser.post("/referral/check", {}).status_code == 303
    reference = re.search(r"<strong>(.*?)</strong>", browser.get("/referral/confirmation").body.decode()).group(1)

    submission = aws.referrals.fetch(reference).submission
    assert submission.immediate_risk is True
    assert submission.consent is None
    assert submission.parents_informed.informed is False
    assert submission.referrer.role is None  # a member of the public's hidden professional answers are dropped
    assert submission.parents_carers == []


def test_a_second_send_of_the_same_form_makes_no_second_referral(browser: Browser, aws: Any) -> None:
    fill_support_referral(browser)
    session_id = browser.cookies["mash_session"]
    answers = aws.drafts.load(session_id)
    token = csrf_token(browser.get("/referral/check"))
    browser.post("/referral/check", {}, token=token)
    first = browser.cookies["mash_receipt"]
    # A double click: the second request read the draft before the first one deleted it.
    aws.drafts.save(session_id, answers)
    browser.cookies["mash_session"] = session_id
    browser.post("/referral/check", {}, token=token)
    assert browser.cookies["mash_receipt"] == first
    assert len(referral_items(aws)) == 1
    # And a send after the draft has gone, from a browser holding the receipt, shows the confirmation.
    browser.cookies["mash_session"] = session_id
    again = browser.post("/referral/check", {}, token=token)
    assert (again.status_code, again.headers["Location"]) == (303, "/referral/confirmation")


def test_an_old_receipt_never_confirms_a_newer_unsent_referral(browser: Browser, aws: Any) -> None:
    fill_support_referral(browser)
    browser.post("/referral/check", {})
    assert browser.cookies["mash_receipt"]
    browser.get("/referral/immediate-risk")  # a new referral, in a new session
    token = csrf_token(browser.get("/referral/immediate-risk"))
    browser.answer("/referral/immediate-risk", {"immediate_risk": "no"})
    aws.drafts.delete(browser.cookies["mash_session"])  # it expires before Send
    response = browser.post("/referral/check", {}, token=token)
    assert h1(response) == "Your session has ended"


def test_no_personal_data_ever_appears_in_a_url(browser: Browser) -> None:
    fill_support_referral(browser)
    browser.post("/referral/check", {})
    allowed = re.compile(
        r"^/(referral/(immediate-risk|call-now|route|about-you|children|parents|household|risks|concerns"
        r"|consent|check|confirmation|(child|parent|household|risk)/\d+(/remove)?))?$"
    )
    assert browser.locations
    assert [url for url in browser.locations if not allowed.match(url)] == []


def test_a_change_from_check_answers_returns_to_check_answers(browser: Browser, aws: Any) -> None:
    fill_support_referral(browser)
    check = browser.get("/referral/check")
    assert 'href="/referral/about-you"' in check.body.decode()
    assert browser.answer("/referral/about-you", {**REFERRER, "name": "Priya Changed"}) == "/referral/check"
    assert "Priya Changed" in text_of(browser.get("/referral/check"))
    assert browser.get("/referral/about-you").body.decode().count('href="/referral/check"') == 1  # back link


def test_switching_route_from_check_answers_asks_the_other_routes_question(browser: Browser) -> None:
    fill_support_referral(browser)
    browser.get("/referral/check")
    assert browser.answer("/referral/route", {"route": "protection"}) == "/referral/consent"
    assert browser.answer("/referral/consent", {"informed": "yes"}) == "/referral/check"


def test_a_child_can_be_removed_but_never_the_last(browser: Browser) -> None:
    fill_support_referral(browser)
    assert browser.answer("/referral/child/2/remove", {"confirm": "yes"}) == "/referral/children"
    children = browser.get("/referral/children")
    assert h1(children) == "You have added 1 child"
    assert "/referral/child/1/remove" not in children.body.decode()


def test_check_answers_sends_an_unfinished_referral_to_its_first_gap(browser: Browser) -> None:
    browser.get("/referral/immediate-risk")
    browser.answer("/referral/immediate-risk", {"immediate_risk": "no"})
    response = browser.get("/referral/check")
    assert response.status_code == 303
    assert response.headers["Location"] == "/referral/route"


def test_a_page_beyond_the_next_new_child_goes_to_the_next_new_child(browser: Browser) -> None:
    browser.get("/referral/immediate-risk")
    browser.answer("/referral/immediate-risk", {"immediate_risk": "no"})
    response = browser.get("/referral/child/5")
    assert (response.status_code, response.headers["Location"]) == (303, "/referral/child/1")
    assert browser.get("/referral/child/99").status_code == 404


# --- validation, page by page ----------------------------------------------------------------


def _ready_for(browser: Browser, path: str) -> None:
    """Answer the pages before `path` so it can be posted."""
    browser.get("/referral/immediate-risk")
    browser.answer("/referral/immediate-risk", {"immediate_risk": "no"})
    browser.answer("/referral/route", {"route": "support"})
    if path in {"/referral/parent/1", "/referral/concerns", "/referral/consent"}:
        browser.answer("/referral/about-you", REFERRER)
        browser.answer("/referral/child/1", CHILD)


@pytest.mark.parametrize(
    ("path", "answers", "message"),
    [
        ("/referral/immediate-risk", {}, "Select yes if a child is at immediate risk of harm"),
        ("/referral/route", {}, "Select whether this is a request for support or a child protection referral"),
        (
            "/referral/about-you",
            {**REFERRER, "kind": ""},
            "Select whether you are a professional or a member of the public",
        ),
        ("/referral/about-you", {**REFERRER, "name": ""}, "Enter your full name"),
        (
            "/referral/about-you",
            {**REFERRER, "email": "priya.example"},
            "Enter an email address in the correct format, like name@example.com",
        ),
        (
            "/referral/about-you",
            {**REFERRER, "phone": "not a phone!"},
            "Enter a phone number, like 020 7946 0000 or 07700 900 982",
        ),
        ("/referral/about-you", {**REFERRER, "role": ""}, "Enter your role, like designated safeguarding lead"),
        ("/referral/about-you", {**REFERRER, "agency": ""}, "Select the kind of agency you work for"),
        ("/referral/about-you", {**REFERRER, "name": "x" * 201}, "Name must be 200 characters or fewer"),
        ("/referral/child/1", {**CHILD, "first_name": ""}, "Enter the child's first name"),
        ("/referral/child/1", {**CHILD, "born": ""}, "Select yes if the child has been born"),
        (
            "/referral/child/1",
            {**CHILD, "date_of_birth-day": "", "date_of_birth-month": "", "date_of_birth-year": ""},
            "Enter the child's date of birth",
        ),
        ("/referral/child/1", {**CHILD, "date_of_birth-month": ""}, "Date of birth must include a month"),
        (
            "/referral/child/1",
            {**CHILD, "date_of_birth-day": "", "date_of_birth-year": ""},
            "Date of birth must include a day and a year",
        ),
        (
            "/referral/child/1",
            {**CHILD, "date_of_birth-day": "31", "date_of_birth-month": "2"},
            "Date of birth must be a real date, like 14 3 2017",
        ),
        (
            "/referral/child/1",
            {**CHILD, "date_of_birth-year": str(dt.date.today().year + 1)},
            "Date of birth must be today or in the past; for an unborn baby, give the due date instead",
        ),
        ("/referral/child/1", {**CHILD, "born": "no"}, "Enter the date the baby is due"),
        ("/referral/child/1", {**CHILD, "address-postcode": "NOT A CODE"}, "Enter a real postcode, like E17 1AA"),
        ("/referral/child/1", {**CHILD, "address-town": ""}, "Enter the town or city"),
        ("/referral/parent/1", {**PARENT, "name": ""}, "Enter the parent or carer's name"),
        (
            "/referral/parent/1",
            {**PARENT, "address_same_as_child": ""},
            "Select yes if they live at the same address as the child",
        ),
        (
            "/referral/parent/1",
            {**PARENT, "address_same_as_child": "no"},
            "Enter the parent or carer's address, or say it is the same as the child's",
        ),
        (
            "/referral/parent/1",
            {**PARENT, "phone": "call me"},
            "Enter a phone number, like 020 7946 0000 or 07700 900 982",
        ),
        ("/referral/concerns", {**CONCERNS, "categories": []}, "Select at least one kind of concern"),
        (
            "/referral/concerns",
            {**CONCERNS, "childs_views": ""},
            "Tell us what the child has said, or how they seem to experience their day-to-day life",
        ),
        (
            "/referral/concerns",
            {**CONCERNS, "proposed_level": ""},
            "Select the level of need you think fits, from 1 to 4",
        ),
        (
            "/referral/concerns",
            {**CONCERNS, "description": "x" * 5001},
            "What is happening must be 5000 characters or fewer",
        ),
        (
            "/referral/consent",
            {**CONSENT, "status": ""},
            "Select whether consent has been given, refused or not asked for",
        ),
        ("/referral/consent", {**CONSENT, "given_by": ""}, "Enter the name of the parent or carer who gave consent"),
        (
            "/referral/consent",
            {**CONSENT, "given_on-year": str(dt.date.today().year + 1)},
            "The date consent was given must be today or in the past",
        ),
        ("/referral/consent", {"parents_aware": "no", "status": "not_sought"}, "Say why consent was not asked for"),
    ],
)
def test_each_page_says_what_to_fix(browser: Browser, path: str, answers: dict[str, Any], message: str) -> None:
    _ready_for(browser, path)
    response = browser.post(path, answers)
    assert response.status_code == 200
    assert message in error_messages(response)
    assert message in [text for text, _ in summary_links(response)]
    assert re.search(r"<title>\s*Error: ", response.body.decode())


def test_error_summary_links_go_to_the_field_with_the_problem(browser: Browser) -> None:
    _ready_for(browser, "/referral/child/1")
    response = browser.post("/referral/child/1", {**CHILD, "first_name": "", "date_of_birth-month": ""})
    links = dict(summary_links(response))
    assert links["Enter the child's first name"] == "#first_name"
    assert links["Date of birth must include a month"] == "#date_of_birth-month"
    body = response.body.decode()
    assert 'id="first_name"' in body and 'id="date_of_birth-month"' in body
    assert 'value="Testchild"' in body  # what they typed is kept


def test_the_error_summary_lists_problems_in_page_order(browser: Browser) -> None:
    _ready_for(browser, "/referral/child/1")
    response = browser.post("/referral/child/1", {"born": "yes"})
    assert [text for text, _ in summary_links(response)] == [
        "Enter the child's first name",
        "Enter the child's last name, or 'not known'",
        "Enter the child's date of birth",
        "Enter the first line of the address, like the house number and street",
        "Enter the town or city",
        "Enter the postcode, like E17 1AA",
    ]


def test_no_empty_answer_is_shown_as_none(browser: Browser) -> None:
    _ready_for(browser, "/referral/consent")
    for path in (
        "/referral/about-you",
        "/referral/child/2",
        "/referral/parent/1",
        "/referral/concerns",
        "/referral/consent",
    ):
        assert ">None<" not in browser.get(path).body.decode(), path


def test_a_page_with_errors_saves_nothing(browser: Browser) -> None:
    _ready_for(browser, "/referral/about-you")
    browser.post("/referral/about-you", {**REFERRER, "email": "nope"})
    assert 'value="Priya Example"' not in browser.get("/referral/about-you").body.decode()


# --- the edge: CSRF, expiry, size, headers, cookies -------------------------------------------


@pytest.mark.parametrize("token", ["", "0" * 64])
def test_a_post_without_the_right_csrf_token_is_refused_with_a_page_that_says_what_to_do(
    browser: Browser, token: str
) -> None:
    browser.get("/referral/immediate-risk")
    browser.answer("/referral/immediate-risk", {"immediate_risk": "no"})
    response = browser.post("/referral/route", {"route": "protection"}, token=token)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Go back, refresh the page" in text_of(response)
    assert 'value="protection" checked' not in browser.get("/referral/route").body.decode()


def test_a_token_from_another_session_is_refused(client: Any) -> None:
    alice, mallory = Browser(client), Browser(client)
    alice.get("/referral/immediate-risk")
    mallory_token = csrf_token(mallory.get("/referral/immediate-risk"))
    assert alice.post("/referral/immediate-risk", {"immediate_risk": "no"}, token=mallory_token).status_code == 400


def test_an_expired_draft_shows_a_page_to_start_again(browser: Browser, aws: Any) -> None:
    from chalicelib import wiring as wiring_module

    browser.get("/referral/immediate-risk")
    browser.answer("/referral/immediate-risk", {"immediate_risk": "no"})
    token = csrf_token(browser.get("/referral/route"))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=aws.settings.draft_ttl_minutes + 1)
    wiring_module.reset(clock=lambda: later)
    for response in (browser.get("/referral/route"), browser.post("/referral/route", {"route": "support"}, token)):
        assert h1(response) == "Your session has ended"
        assert 'href="/referral/immediate-risk"' in response.body.decode()


def test_a_post_with_no_session_cookie_shows_the_start_again_page(browser: Browser) -> None:
    token = csrf_token(browser.get("/referral/immediate-risk"))
    browser.cookies.clear()
    assert (
        h1(browser.post("/referral/immediate-risk", {"immediate_risk": "no"}, token=token)) == "Your session has ended"
    )


def test_an_oversized_body_is_refused_with_413_and_a_page(browser: Browser, aws: Any) -> None:
    browser.get("/referral/immediate-risk")
    body = "description=" + "x" * (aws.settings.max_body_bytes + 1)
    response = browser.post("/referral/immediate-risk", {}, token="", body=body)
    assert response.status_code == 413
    assert "Your answers were too long" in text_of(response)


def test_pages_carry_security_headers_and_are_never_cached(browser: Browser) -> None:
    for response in (browser.get("/"), browser.get("/referral/immediate-risk")):
        headers = response.headers
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        csp = headers["Content-Security-Policy"]
        for directive in ("default-src 'self'", "frame-ancestors 'none'", "form-action 'self'"):
            assert directive in csp
        assert "unsafe-inline" not in csp
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store"


def test_the_csp_hash_matches_the_govuk_templates_inline_script(browser: Browser) -> None:
    body = browser.get("/").body.decode()
    scripts = re.findall(r"<script>(.*?)</script>", body, re.S)
    assert scripts == [GOVUK_INLINE_SCRIPT]
    assert script_hash(scripts[0]) in browser.get("/").headers["Content-Security-Policy"]


def test_the_session_cookie_is_opaque_httponly_and_short_lived(browser: Browser, aws: Any) -> None:
    response = browser.get("/referral/immediate-risk")
    cookie = response.headers["Set-Cookie"][0]
    assert re.match(r"^mash_session=[A-Za-z0-9_-]{43}; ", cookie)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert f"Max-Age={aws.settings.draft_ttl_minutes * 60}" in cookie


def test_the_cookie_is_secure_with_a_host_prefix_when_settings_say_so(client: Any, monkeypatch: Any) -> None:
    from chalicelib import wiring as wiring_module

    monkeypatch.setenv("MASH_COOKIE_SECURE", "true")
    wiring_module.reset()
    cookie = client.http.get("/referral/immediate-risk").headers["Set-Cookie"][0]
    assert cookie.startswith("__Host-mash_session=") and "; Secure" in cookie


def test_the_page_shows_html_lang_and_the_councils_name(browser: Browser, aws: Any) -> None:
    body = browser.get("/").body.decode()
    assert '<html lang="en"' in body
    assert aws.settings.council_name in body


# --- assets ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/assets/govuk-frontend.min.css", "text/css; charset=utf-8"),
        ("/assets/govuk-frontend.min.js", "text/javascript; charset=utf-8"),
        ("/assets/init.js", "text/javascript; charset=utf-8"),
        ("/assets/manifest.json", "application/manifest+json"),
        ("/assets/images/favicon.svg", "image/svg+xml"),
    ],
)
def test_assets_are_served_with_their_content_type_and_cached(client: Any, path: str, content_type: str) -> None:
    response = client.http.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert "max-age=" in response.headers["Cache-Control"]


def test_fonts_are_served_as_binary(client: Any) -> None:
    from chalicelib.templating import STATIC_DIR

    font = sorted((STATIC_DIR / "assets" / "fonts").glob("*.woff2"))[0]
    response = client.http.get(f"/assets/fonts/{font.name}", headers={"Accept": "*/*"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "font/woff2"
    assert response.body == font.read_bytes()
    assert "immutable" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "path",
    [
        "/assets/..%2F..%2Fapp.py",
        "/assets/secrets/x.css",
        "/assets/images/..%2F..%2F..%2Fapp.py",
        "/assets/images/.hidden.png",
        "/assets/app.py",
        "/assets/fonts/missing.woff2",
    ],
)
def test_assets_refuse_anything_outside_static(client: Any, path: str) -> None:
    assert client.http.get(path).status_code == 404


# --- the other people in the child's life (issue 11) ---------------------------------------------


def test_household_adults_and_people_who_may_pose_a_risk_are_added_changed_and_removed(
    browser: Browser, aws: Any
) -> None:
    fill_support_referral(browser)
    browser.get("/referral/check")  # the referrer reviews, then remembers the household
    assert browser.get("/referral/risks").status_code == 200
    browser.answer("/referral/household", {"add_another": "yes"})
    assert browser.answer("/referral/household/1", HOUSEHOLD_MEMBER) == "/referral/check"  # back to check answers
    browser.answer("/referral/household", {"add_another": "yes"})
    browser.answer("/referral/household/2", {**HOUSEHOLD_MEMBER, "name": "Gale Testadult", "approximate_age": ""})
    assert browser.answer("/referral/risk/1", PERSON_POSING_RISK) == "/referral/check"
    summary = text_of(browser.get("/referral/household"))
    assert "Frankie Testadult" in summary and "Gale Testadult" in summary
    # A page beyond the next new one goes to the next new one.
    assert browser.get("/referral/household/7").headers["Location"] == "/referral/household/3"
    removed = browser.post("/referral/household/1/remove", {"confirm": "yes"})
    assert removed.headers["Location"] == "/referral/household"
    check = text_of(browser.get("/referral/check"))
    assert "Household member 1" in check and "Gale Testadult" in check and "Frankie Testadult" in check  # still a risk
    assert "Household member 2" not in check and "Shouting most nights" in check
    sent = browser.post("/referral/check", {})
    assert sent.headers["Location"] == "/referral/confirmation"
    reference = re.search(r"<strong>([A-Z0-9-]+)</strong>", browser.get("/referral/confirmation").body.decode()).group(
        1
    )  # type: ignore[union-attr]
    submission = aws.referrals.fetch(reference).submission
    assert [(m.name, m.approximate_age, m.safe_to_contact) for m in submission.household_members] == [
        ("Gale Testadult", None, False)
    ]
    [risk] = submission.people_posing_risk
    assert (risk.name, risk.approximate_age, risk.address_same_as_child) == ("Frankie Testadult", 35, True)
    assert submission.referrer.family_may_know is None  # not answered: never named to the family
    assert submission.consent.discussed_with_parents is False


def test_a_referral_is_not_complete_until_the_household_and_risk_questions_are_answered(browser: Browser) -> None:
    browser.get("/referral/immediate-risk")
    browser.answer("/referral/immediate-risk", {"immediate_risk": "no"})
    browser.answer("/referral/route", {"route": "support"})
    browser.answer("/referral/about-you", REFERRER)
    browser.answer("/referral/child/1", CHILD)
    browser.answer("/referral/children", {"add_another": "no"})
    assert browser.answer("/referral/parents", {"add_another": "no"}) == "/referral/household"
    assert browser.get("/referral/check").headers["Location"] == "/referral/household"
    missing = browser.post("/referral/household", {})
    assert error_messages(missing) == ["Select yes if any other adult lives in the child's household"]
    assert browser.answer("/referral/household", {"add_another": "no"}) == "/referral/risks"
    assert browser.get("/referral/check").headers["Location"] == "/referral/risks"
