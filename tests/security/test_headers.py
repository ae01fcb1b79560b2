"""Security headers on every response: every HTML page found from app.routes, and the JSON answers."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from local.issuer import SYNTHETIC_STAFF
from tests.factories import example
from tests.security.routes import Route, routes
from tests.staff_issuer import issuer_in
from tests.test_public_form import Browser, fill_support_referral

ONE_YEAR = 31_536_000


def csp_directives(response: Any) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def inline_script_hashes(body: str) -> list[str]:
    scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", body, re.S)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts]


def html_header_problems(response: Any) -> list[str]:
    """What is missing or weak in one HTML response's headers (an empty list when all is well)."""
    headers, csp = response.headers, csp_directives(response)
    script_src = csp.get("script-src", csp.get("default-src", []))
    problems = [
        *(["no Content-Security-Policy"] if not csp else []),
        *(["script-src allows inline or eval"] if {"'unsafe-inline'", "'unsafe-eval'"} & set(script_src) else []),
        *(["script-src allows any host"] if {"*", "https:", "http:", "data:"} & set(script_src) else []),
        *(["frame-ancestors is not 'none'"] if csp.get("frame-ancestors") != ["'none'"] else []),
        *(["object-src is not 'none'"] if csp.get("object-src") != ["'none'"] else []),
        *(["base-uri is not restricted"] if csp.get("base-uri") not in (["'none'"], ["'self'"]) else []),
        *(["no X-Content-Type-Options: nosniff"] if headers.get("X-Content-Type-Options") != "nosniff" else []),
        *(["no Referrer-Policy: no-referrer"] if headers.get("Referrer-Policy") != "no-referrer" else []),
        *(["no Cache-Control: no-store"] if "no-store" not in headers.get("Cache-Control", "") else []),
    ]
    hsts = headers.get("Strict-Transport-Security", "")
    max_age = re.search(r"max-age=(\d+)", hsts)
    if not max_age or int(max_age.group(1)) < ONE_YEAR or "includeSubDomains" not in hsts:
        problems.append(f"weak or missing HSTS: {hsts!r}")
    allowed_hashes = set(script_src)
    problems += [f"inline script not allowed by hash: {h}" for h in inline_script_hashes(response.body.decode())
                 if h not in allowed_hashes]  # fmt: skip
    return problems


def is_html(response: Any) -> bool:
    return response.headers.get("Content-Type", "").startswith("text/html")


GET_ROUTES = [route for route in routes("GET") if not route.staff_only]


def visit_every_get_route(browser: Browser) -> dict[Route, list[Any]]:
    """Each GET route's answers: before a session, mid-form, on check answers, and after sending."""
    seen: dict[Route, list[Any]] = {route: [browser.client.http.get(route.url)] for route in GET_ROUTES}
    fill_support_referral(browser)
    for route in GET_ROUTES:
        seen[route].append(browser.get(route.url))
    browser.get("/referral/check")
    browser.post("/referral/check", {})  # sent: now the confirmation and the outbox have something
    for route in GET_ROUTES:
        seen[route].append(browser.get(route.url))
    return seen


def test_every_html_page_has_the_security_headers(browser: Browser) -> None:
    seen = visit_every_get_route(browser)
    html_routes = {route.path for route, answers in seen.items() if any(is_html(a) for a in answers)}
    # The walk really reached the pages (not just the "session ended" page for each).
    assert html_routes >= {
        "/", "/referral/immediate-risk", "/referral/child/{number}", "/referral/check",
        "/referral/confirmation", "/referral/{kind}/{number}/remove", "/_local/outbox",
    }  # fmt: skip
    problems = {
        f"{route.path} ({answer.status_code})": html_header_problems(answer)
        for route, answers in seen.items()
        for answer in answers
        if is_html(answer) and html_header_problems(answer)
    }
    assert problems == {}


def test_pages_showing_personal_data_are_never_cached(browser: Browser) -> None:
    fill_support_referral(browser)
    check = browser.get("/referral/check")
    assert "Sam Testchild" in check.body.decode()
    assert check.headers["Cache-Control"] == "no-store"
    assert check.headers["Pragma"] == "no-cache"
    assert browser.get("/referral/child/1").headers["Cache-Control"] == "no-store"
    sent = browser.post("/referral/check", {})
    assert sent.headers["Cache-Control"] == "no-store"
    assert browser.get("/referral/confirmation").headers["Cache-Control"] == "no-store"
    assert browser.get("/_local/outbox").headers["Cache-Control"] == "no-store"


def test_error_pages_have_the_security_headers(client: Any) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answers = [
        client.http.get("/referral/child/99"),  # not found
        client.http.get("/referral/check"),  # session ended
        client.http.post("/referral/route", headers=form, body="route=support"),  # no session
        client.http.post("/referral/route", headers=form, body="x" * 70_000),  # too large
    ]
    assert {a.status_code for a in answers} >= {404, 413}
    assert {f"{a.status_code}": html_header_problems(a) for a in answers if html_header_problems(a)} == {}


# --- JSON -------------------------------------------------------------------------------------


@pytest.fixture
def staff_request(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Callable[..., Any]:
    issuer = issuer_in(tmp_path_factory.mktemp("issuer"))
    monkeypatch.setenv("MASH_LOCAL_JWKS_PATH", str(issuer.jwks_path))
    client = request.getfixturevalue("client")  # after the env var: `aws` reads the settings

    def send(role: str | None, method: str, path: str, body: Any = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if role:
            headers["Authorization"] = f"Bearer {issuer.sign(issuer.claims_for(SYNTHETIC_STAFF[role]))}"
        return client.http.request(method, path, headers=headers, body=json.dumps(body).encode() if body else b"")

    return send


def test_every_json_answer_is_nosniff_and_every_admin_answer_is_no_store(staff_request: Callable[..., Any]) -> None:
    created = staff_request(None, "POST", "/api/referrals", example())
    reference = json.loads(created.body)["reference"]
    public = [
        created,
        staff_request(None, "POST", "/api/referrals", {"route": "nonsense"}),
        staff_request(None, "GET", "/api/openapi.json"),
    ]
    admin = [
        staff_request("practitioner", "GET", "/admin/referrals"),
        staff_request("practitioner", "GET", f"/admin/referrals/{reference}"),
        staff_request("practitioner", "GET", "/admin/referrals/ZZZ-ZZZ-ZZZ"),  # 404
        staff_request("practitioner", "GET", "/admin/referrals?limit=0"),  # 422
        staff_request("practitioner", "POST", f"/admin/referrals/{reference}/screening", {"rag": "purple"}),
        staff_request("auditor", "GET", "/admin/referrals"),  # 403
        staff_request("manager", "GET", "/admin/whoami"),
    ]
    assert {a.status_code for a in admin} >= {200, 403, 404, 422}
    assert [a.status_code for a in public if a.headers.get("X-Content-Type-Options") != "nosniff"] == []
    assert [a.status_code for a in admin if a.headers.get("X-Content-Type-Options") != "nosniff"] == []
    assert [a.status_code for a in admin if a.headers.get("Cache-Control") != "no-store"] == []
