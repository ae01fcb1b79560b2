"""hypothesis over the public form's POSTs: whatever is sent, the answer is a page, never a 5xx.

Each POST route under /referral/ (found in app.routes) gets generated bodies: the page's own field
names and made-up ones, unicode, control characters, huge values, repeated fields, bytes that are
not UTF-8 or not form encoding; with the right CSRF token, a wrong one or none, and with a live
session, no session or a forged cookie. Deterministic: derandomized, no example database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.fuzz.conftest import fuzz_examples
from tests.fuzz.tally import Tally, tally
from tests.test_public_form import Browser, csrf_token, fill_support_referral

FORM = "application/x-www-form-urlencoded"
# Concrete paths for the routes' path parameters: real items, and ones that are not there.
PATH_VALUES = {"number": ("1", "9", "\u00b2"), "kind": ("child", "parent", "sibling")}
LARGE = 70 * 1024  # over the 64 KiB body limit once encoded
SESSION_ENDED = "Your session has ended"
FORM_EXAMPLES = 50


@dataclass(frozen=True)
class Post:
    """One generated POST: the body, and how it is sent."""

    body: bytes
    csrf: str  # "valid", "wrong" or "missing"
    session: str  # "live", "none" or "forged"
    content_type: str


def form_post_paths() -> list[str]:
    """Every POST route under /referral/, with each path parameter filled in every way we try."""
    from app import app

    paths: list[str] = []
    for template, entries in sorted(app.routes.items()):
        if template.startswith("/referral/") and "POST" in entries:
            paths.extend(_expand(template))
    return paths


def _expand(template: str) -> list[str]:
    names = re.findall(r"\{(\w+)\}", template)
    if not names:
        return [template]
    first = names[0]
    return [p for value in PATH_VALUES[first] for p in _expand(template.replace(f"{{{first}}}", value, 1))]


def field_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=40),
        st.text(st.characters(codec="utf-8"), max_size=200),
        st.sampled_from(["", " ", "yes", "no", "1", "2", "99", "-1", "2017", "support", "protection", "<script>"]),
        st.integers(min_value=1, max_value=LARGE).map(lambda n: "x" * n),
        st.text(st.characters(max_codepoint=0x1F), max_size=20),  # control characters, NUL included
    )


def bodies(known_names: list[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    names = st.one_of(st.sampled_from(known_names or ["field"]), st.text(max_size=30))
    return st.lists(st.tuples(names, field_values()), max_size=25)


@st.composite
def posts(draw: st.DrawFn, known_names: list[str]) -> Post:
    csrf = draw(st.sampled_from(["valid", "valid", "wrong", "missing"]))
    fields = draw(bodies(known_names))
    if csrf == "wrong":
        fields.append(("csrf_token", draw(st.text(max_size=80))))
    raw = urlencode(fields).encode()
    if draw(st.integers(0, 9)) == 0:  # sometimes not form encoding at all: arbitrary bytes
        raw = draw(st.binary(max_size=300))
    return Post(
        body=raw,
        csrf=csrf,
        session=draw(st.sampled_from(["live", "live", "live", "none", "forged"])),
        content_type=draw(st.sampled_from([FORM, FORM, f"{FORM}; charset=utf-8", f"{FORM}; charset=latin-1"])),
    )


@dataclass
class FormStack:
    browser: Browser
    counts: Tally


@pytest.fixture(scope="module")
def stack() -> Iterator[FormStack]:
    """One moto stack and one form session for the module: filling the form anew for every page
    would cost more requests than the fuzzing itself. The session is refilled only when it is gone."""
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from chalicelib import wiring as wiring_module
    from local.resources import create_resources

    with pytest.MonkeyPatch.context() as env, mock_aws():
        # Thousands of posts from one address: the flood limit (tests/security) would answer them with 429.
        env.setenv("MASH_RATE_LIMIT_FORM_REQUESTS", "0")
        hub = wiring_module.reset()
        create_resources(hub.settings, hub.aws_client)
        with Client(app) as client:
            yield FormStack(Browser(client), tally("hypothesis (form POSTs)"))
    wiring_module.reset()


@pytest.mark.parametrize("path", form_post_paths())
def test_every_generated_form_post_gets_a_page(path: str, stack: FormStack) -> None:
    browser, counts = stack.browser, stack.counts
    page = browser.get(path)
    if SESSION_ENDED in page.body.decode():  # e.g. the check page's Send deleted the draft
        fill_support_referral(browser)
        page = browser.get(path)
    known_names = sorted(set(re.findall(r'name="([^"]+)"', page.body.decode())) - {"csrf_token"})
    # The token is per session, the same on every page; a page without a form (a 404) has none.
    token = csrf_token(page if 'name="csrf_token"' in page.body.decode() else browser.get("/referral/immediate-risk"))

    @settings(
        max_examples=fuzz_examples(default=FORM_EXAMPLES),
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(post=posts(known_names))
    def send(post: Post) -> None:
        response = browser.client.http.post(path, body=_with_token(post, token), headers=_headers(browser, post))
        counts.count(response.status_code)
        assert_a_page(path, post, response)

    send()


def _with_token(post: Post, token: str) -> bytes:
    if post.csrf != "valid":
        return post.body
    return post.body + (b"&" if post.body else b"") + urlencode({"csrf_token": token}).encode()


def _headers(browser: Browser, post: Post) -> dict[str, str]:
    headers = {"content-type": post.content_type}
    if post.session == "live":
        headers.update(browser._headers())
    elif post.session == "forged":
        headers["cookie"] = "mash_session=" + "A" * 43 + "; mash_receipt=ABC-DEF-GHJ.t\u00e9g.s\u00efg"
    return headers


def assert_a_page(path: str, post: Post, response: Any) -> None:
    where = f"POST {path} ({post.csrf} CSRF, {post.session} session, {post.content_type}): {post.body[:200]!r}"
    assert response.status_code < 500, f"{response.status_code} for {where}"
    body = response.body.decode("utf-8", errors="replace")
    assert "Traceback" not in body, where
    if response.status_code == 303:
        assert response.headers["Location"].startswith("/"), where
        return
    assert response.headers["Content-Type"].startswith("text/html"), f"{response.headers} for {where}"
    assert body.lstrip().lower().startswith("<!doctype html") and body.rstrip().endswith("</html>"), where
