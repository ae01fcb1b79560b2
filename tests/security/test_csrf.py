"""CSRF: every route that takes a form post (found from app.routes) refuses one without our token.

Cookie-authenticated form pages need the session's token. Routes that take no ambient credential
(the JSON API, the staff API with its bearer token) must refuse the bodies a cross-site HTML form
can send, so no page elsewhere can post to them through a visitor's browser.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.security.conftest import stored_records
from tests.security.routes import routes
from tests.test_public_form import Browser, csrf_token, fill_support_referral

FORM_POSTS = [route for route in routes("POST") if route.takes_form_posts]
SESSION_FORM_POSTS = [route for route in FORM_POSTS if route.path.startswith("/referral/")]
# The parent's consent page: its own cookie and token (tests/test_consent_request.py posts to it
# with a wrong, missing and another browser's token; here, a refusal before the link is even read).
CONSENT_LINK_POSTS = [route for route in FORM_POSTS if route.path.startswith("/consent/")]
# The staff console: its own session cookie and token. tests/test_console.py posts to every one of
# these with a missing, empty and wrong token (test_every_console_post_refuses_a_missing_or_wrong_
# token_and_changes_nothing), with another session's token, and the local sign-in without its own.
STAFF_CONSOLE_POSTS = [route for route in FORM_POSTS if route.path.startswith("/staff/")]
NO_AMBIENT_CREDENTIAL = [route for route in FORM_POSTS if route.path.startswith(("/api/", "/admin/"))]
# Local stage only (app.py registers it nowhere else); it replays a synthetic SES event to the
# emulator for one email, which holds a reference and no personal data.
# The local clock checks its own token too (tests/test_local_outbox.py).
EXEMPT = {"/_local/outbox/{message_id}/{kind}", "/_local/clock"}
# What an HTML form on another site can send without a CORS preflight.
CROSS_SITE_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"]


def test_every_form_post_route_is_covered() -> None:
    covered = {
        route.path for route in SESSION_FORM_POSTS + NO_AMBIENT_CREDENTIAL + CONSENT_LINK_POSTS + STAFF_CONSOLE_POSTS
    } | EXEMPT
    assert {route.path for route in FORM_POSTS} == covered
    assert len(SESSION_FORM_POSTS) >= 10


def snapshot(browser: Browser, aws: Any) -> list[dict[str, Any]]:
    return sorted(stored_records(aws), key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


WRONG_TOKENS = {
    "missing": None,
    "empty": "",
    "wrong": "0" * 64,
}


def test_every_form_post_without_the_sessions_token_is_refused_and_changes_nothing(browser: Browser, aws: Any) -> None:
    fill_support_referral(browser)
    browser.get("/referral/check")  # check answers seen: every page can now change the draft
    before = snapshot(browser, aws)
    other_session = csrf_token(Browser(browser.client).get("/referral/immediate-risk"))
    tokens = {**WRONG_TOKENS, "another session's": other_session, "the session id": browser.cookies["mash_session"]}
    fields = {"immediate_risk": "yes", "route": "protection", "name": "Changed", "add_another": "yes", "confirm": "yes"}
    accepted = []
    for route in SESSION_FORM_POSTS:
        for kind, token in tokens.items():
            body = urlencode({**fields, **({"csrf_token": token} if token is not None else {})})
            headers = browser._headers({"content-type": "application/x-www-form-urlencoded"})
            response = browser.client.http.post(route.url, body=body, headers=headers)
            if response.status_code != 400 or "did not come from this service" not in response.body.decode():
                accepted.append(f"{route.path} with {kind} token: {response.status_code}")
    assert accepted == []
    # One refused request may not even have saved the draft: the table is as it was.
    assert snapshot(browser, aws) == before


def test_the_right_token_is_accepted(browser: Browser, aws: Any) -> None:
    # The control for the test above: the same post with the token goes through.
    fill_support_referral(browser)
    assert browser.post("/referral/route", {"route": "protection"}).status_code == 303


@pytest.mark.parametrize("route", NO_AMBIENT_CREDENTIAL, ids=lambda route: route.path)
def test_routes_without_a_session_refuse_what_a_cross_site_form_can_send(client: Any, aws: Any, route: Any) -> None:
    smuggled = json.dumps({"route": "support"})  # JSON in a text/plain form field, say
    statuses = {
        content_type: client.http.post(route.url, body=smuggled, headers={"Content-Type": content_type}).status_code
        for content_type in CROSS_SITE_TYPES
    }
    # The staff API answers 401 before reading the body (no bearer token: a form cannot send one).
    assert {status for status in statuses.values()} <= {401, 415}, statuses
    assert stored_records(aws) == []


@pytest.mark.parametrize("route", CONSENT_LINK_POSTS, ids=lambda route: route.path)
def test_a_consent_answer_without_the_pages_token_is_refused(client: Any, aws: Any, route: Any) -> None:
    for token in WRONG_TOKENS.values():
        body = urlencode({"answer": "yes", **({"csrf_token": token} if token is not None else {})})
        response = client.http.post(route.url, body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == 400 and "did not come from this service" in response.body.decode()
