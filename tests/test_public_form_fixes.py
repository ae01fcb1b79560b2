"""The public form's rough edges (issue 13 part 9): Back after sending, Post/Redirect/Get after a
validation error, every error on a page at once, and "Page not found" for unknown addresses."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.test_public_form import (
    CHILD,
    FORM,
    REFERRER,
    Browser,
    csrf_token,
    error_messages,
    fill_support_referral,
    h1,
    text_of,
)


@pytest.fixture
def browser(client: Any) -> Browser:
    return Browser(client)


def raw_post(browser: Browser, path: str, data: dict[str, Any]) -> Any:
    """A POST as the browser sends it, without following anything."""
    token = csrf_token(browser.get(path))
    body = urlencode({**data, "csrf_token": token}, doseq=True)
    return browser._keep_cookies(
        browser.client.http.post(path, body=body, headers=browser._headers({"content-type": FORM}))
    )


def test_back_after_sending_says_the_referral_was_sent_with_its_reference(browser: Browser) -> None:
    fill_support_referral(browser)
    assert browser.post("/referral/check", {}).headers["Location"] == "/referral/confirmation"
    confirmation = browser.get("/referral/confirmation")
    reference = re.search(r"<strong>([A-Z0-9-]+)</strong>", confirmation.body.decode()).group(1)

    for back_to in ("/referral/check", "/referral/consent", "/referral/child/1"):
        page = browser.get(back_to)
        assert page.status_code == 200
        assert h1(page) == f"Your referral was sent — reference {reference}"
        assert "We have deleted your answers" not in text_of(page)


def test_a_session_that_really_ended_still_says_so(browser: Browser) -> None:
    browser.get("/referral/immediate-risk")
    browser.cookies.clear()
    assert h1(browser.get("/referral/route")) == "Your session has ended"


def test_a_page_with_problems_redirects_to_itself_and_shows_them_once(browser: Browser) -> None:
    browser.get("/referral/immediate-risk")
    browser.answer("/referral/immediate-risk", {"immediate_risk": "no"})
    browser.answer("/referral/route", {"route": "support"})
    posted = raw_post(browser, "/referral/about-you", {**REFERRER, "email": "not an email"})
    # Post/Redirect/Get: the answer to the POST is a redirect, so Back never asks to resubmit.
    assert posted.status_code == 303 and posted.headers["Location"] == "/referral/about-you"
    shown = browser.get("/referral/about-you")
    assert "Enter an email address in the correct format, like name@example.com" in error_messages(shown)
    assert 'value="not an email"' in shown.body.decode()  # what was typed, shown again
    assert "Priya Example" in shown.body.decode()
    assert error_messages(browser.get("/referral/about-you")) == []  # shown once: a refresh starts afresh


def test_an_add_another_question_left_unanswered_redirects_too(browser: Browser) -> None:
    browser.get("/referral/immediate-risk")
    browser.answer("/referral/immediate-risk", {"immediate_risk": "no"})
    browser.answer("/referral/route", {"route": "support"})
    browser.answer("/referral/about-you", REFERRER)
    browser.answer("/referral/child/1", CHILD)
    posted = raw_post(browser, "/referral/children", {})
    assert posted.status_code == 303 and posted.headers["Location"] == "/referral/children"
    assert error_messages(browser.get("/referral/children")) == [
        "Select yes if you need to tell us about another child"
    ]


def test_every_error_on_the_child_page_shows_at_once(browser: Browser) -> None:
    browser.get("/referral/immediate-risk")
    browser.answer("/referral/immediate-risk", {"immediate_risk": "no"})
    browser.answer("/referral/route", {"route": "support"})
    browser.answer("/referral/about-you", REFERRER)
    no_address = {k: v for k, v in CHILD.items() if not k.startswith("address")}
    shown = browser.post("/referral/child/1", {**no_address, "date_of_birth-year": "2099"})
    messages = error_messages(shown)
    assert "Date of birth must be today or in the past; for an unborn baby, give the due date instead" in messages
    assert "Enter the first line of the address, like the house number and street" in messages
    assert "Enter the postcode, like E17 1AA" in messages


@pytest.mark.parametrize("path", ["/nonsense", "/referral/nothing/here/at/all", "/a/b/c.php"])
def test_an_unknown_public_address_is_a_gov_uk_page_not_found(client: Any, path: str) -> None:
    response = client.http.get(path)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    assert h1(response) == "Page not found"
    assert "Missing Authentication Token" not in text_of(response)


@pytest.mark.parametrize("path", ["/staff/nonsense", "/staff/referrals/ABC-DEF-GHJ/no-such-action/x"])
def test_an_unknown_staff_address_is_the_console_page_not_found(client: Any, path: str) -> None:
    response = client.http.get(path)
    assert response.status_code == 404
    assert h1(response) == "Page not found"
    assert "Go to the work queue" in text_of(response)


@pytest.mark.parametrize("path", ["/api/nonsense", "/api/referrals/x/y/z", "/admin/nonsense/here"])
def test_an_unknown_api_address_is_a_json_404(client: Any, path: str) -> None:
    response = client.http.get(path)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body)["error"] == "not_found"


def to_concerns(browser: Browser, referrer: dict[str, Any]) -> None:
    browser.get("/referral/immediate-risk")
    browser.answer("/referral/immediate-risk", {"immediate_risk": "no"})
    browser.answer("/referral/route", {"route": "support"})
    browser.answer("/referral/about-you", referrer)


PUBLIC = {"kind": "public", "name": "Jo Neighbour", "email": "jo@home.example", "phone": "020 7946 0001"}


def test_long_answers_have_a_gov_uk_character_count_of_the_domain_limit(browser: Browser) -> None:
    from chalicelib.domain.referral import LONG_TEXT

    to_concerns(browser, REFERRER)
    body = browser.get("/referral/concerns").body.decode()
    counted = re.findall(
        r'class="govuk-form-group govuk-character-count" data-module="govuk-character-count" data-maxlength="(\d+)"',
        body,
    )
    assert counted == [str(LONG_TEXT)] * 3  # what is happening, the child's views, what was tried


def test_a_member_of_the_public_may_be_not_sure_of_the_level_and_is_shown_the_threshold_document(
    browser: Browser, aws: Any
) -> None:
    to_concerns(browser, PUBLIC)
    page = browser.get("/referral/concerns")
    assert 'value="not_sure"' in page.body.decode() and "Not sure" in text_of(page)
    assert f'href="{aws.settings.threshold_document_url}"' in page.body.decode()
    assert (
        aws.settings.threshold_document_url.startswith("https://")
        and ".example/" in aws.settings.threshold_document_url
    )


def test_a_professional_is_not_offered_not_sure(browser: Browser, aws: Any) -> None:
    to_concerns(browser, REFERRER)
    page = browser.get("/referral/concerns")
    assert 'value="not_sure"' not in page.body.decode()
    assert f'href="{aws.settings.threshold_document_url}"' in page.body.decode()


def test_the_api_takes_not_sure_from_the_public_only_and_stores_it(client: Any, aws: Any) -> None:
    from tests.factories import example

    neighbour = example("referral-protection-household.json")
    assert neighbour["referrer"]["kind"] == "public" and neighbour["concerns"]["proposed_level"] == "not_sure"
    sent = client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(neighbour))
    assert sent.status_code == 201, sent.body
    stored = aws.referrals.open(json.loads(sent.body)["reference"]).referral
    assert stored.proposed_level is None and stored.submission.concerns.proposed_level == "not_sure"

    professional = example("referral-support.json")
    professional["concerns"]["proposed_level"] = "not_sure"
    refused = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(professional)
    )
    assert refused.status_code == 422
    [problem] = json.loads(refused.body)["errors"]
    assert problem["field"] == "concerns.proposed_level" and "As a professional" in problem["message"]


def test_a_problem_found_on_sending_is_shown_on_check_answers_after_a_redirect(browser: Browser) -> None:
    from tests.test_public_form import CONCERNS

    fill_support_referral(browser)
    browser.get("/referral/check")
    # A member of the public may be not sure; then they say they are a professional after all.
    browser.answer("/referral/about-you", PUBLIC)
    browser.answer("/referral/concerns", {**CONCERNS, "proposed_level": "not_sure"})
    assert browser.answer("/referral/about-you", REFERRER) == "/referral/check"
    posted = browser.post("/referral/check", {})  # the test browser follows a redirect to the same page
    body = posted.body.decode()
    assert posted.status_code == 200 and "govuk-error-summary" in body
    assert "As a professional, choose the level of need you think fits" in text_of(posted)
    assert 'href="/referral/concerns"' in body
    assert "govuk-error-summary" not in browser.get("/referral/check").body.decode()  # shown once
