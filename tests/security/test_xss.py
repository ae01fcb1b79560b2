"""XSS payloads in every text field are inert wherever they are shown: pages, errors, emails, the outbox."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from chalicelib.templating import TEMPLATE_DIR, environment
from tests.conftest import sent_emails
from tests.factories import PERSONAL_TEXT_SECTIONS, _is_coded, support_referral
from tests.test_public_form import (
    CHILD,
    CONCERNS,
    CONSENT,
    HOUSEHOLD_MEMBER,
    PARENT,
    PERSON_POSING_RISK,
    REFERRER,
    Browser,
    csrf_token,
)

# Every classic at once: a script tag, an attribute break-out, a javascript: URL and template
# injection. Short enough for any short-text field (200). (A right-to-left override is refused at
# the model since issue 16: tests/test_probe_regressions.py.)
PAYLOAD = '<script>alert(1)</script>"><img src=x onerror=alert(1)>javascript:alert(1){{7*7}}'
EVIDENCE_OF_ESCAPING = "&lt;script&gt;alert(1)&lt;/script&gt;"
LIVE = [
    re.compile(r"<script>alert", re.I),
    re.compile(r"<img src=x", re.I),
    re.compile(r"""(href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I),
    re.compile(r"javascript:alert\(1\)49"),  # {{7*7}} evaluated
]
# Shaped fields (email, phone, postcode, dates, choices) are validated, not free text.
SHAPED = {"email", "phone", "address-postcode", "kind", "agency", "born", "gender", "interpreter_needed",
          "parental_responsibility", "address_same_as_child", "categories", "proposed_level", "parents_aware",
          "status", "informed", "approximate_age", "safe_to_contact", "discussed_with_parents", "family_may_know",
          "resume_code"}  # fmt: skip  # resume_code: a shaped code; its echo is tested escaped in tests/test_save_and_resume.py
FREE_TEXT_INPUT = re.compile(r"govuk(?:Input|Textarea|CharacterCount)\(\{[^{}]*?'name': '([^']+)'", re.S)


def live_payloads(body: str) -> list[str]:
    return [pattern.pattern for pattern in LIVE if pattern.search(body)]


def free_text_fields() -> set[str]:
    """Every text input and textarea the form's templates declare, minus the shaped ones. The address
    fields' names are built from a prefix (`_address.html`): the public form's is "address"."""
    names = {
        name
        for path in TEMPLATE_DIR.glob("*.html")
        for name in FREE_TEXT_INPUT.findall(path.read_text().replace("address_key ~ '", "'address"))
    }
    assert {"address-line1", "address-town"} <= names, "the scan no longer sees the address fields"
    return {name for name in names if name not in SHAPED and not name.endswith(("-day", "-month", "-year"))}


def with_payload(answers: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    fields = free_text_fields()
    return {key: PAYLOAD if key in fields else value for key, value in {**answers, **(extra or {})}.items()}


REFERRER_X = with_payload(REFERRER)
CHILD_X = with_payload(CHILD, {"address-line2": "", "disability": "", "views": ""})
PARENT_X = with_payload(PARENT, {"address_same_as_child": "no", "address-line1": "", "address-line2": "",
                                 "address-town": "", "address-postcode": "E17 1AA"})  # fmt: skip
CONCERNS_X = with_payload(CONCERNS)
CONSENT_X = with_payload(CONSENT, {"discussed_with_parents": "yes", "parents_response": ""})
HOUSEHOLD_X = with_payload(HOUSEHOLD_MEMBER)
RISK_X = with_payload(PERSON_POSING_RISK)
PAGES = {
    "/referral/about-you": REFERRER_X,
    "/referral/child/1": CHILD_X,
    "/referral/parent/1": PARENT_X,
    "/referral/household/1": HOUSEHOLD_X,
    "/referral/risk/1": RISK_X,
    "/referral/concerns": CONCERNS_X,
    "/referral/consent": CONSENT_X,
}


def test_the_payload_goes_into_every_free_text_field_of_the_form() -> None:
    reached = {key for answers in PAGES.values() for key, value in answers.items() if value == PAYLOAD}
    other_routes_only = {"reason_not_informed", "reason_refused", "reason_not_sought"}  # covered below
    other_routes_only |= {"comment"}  # the parent's consent page: tests/test_consent_request.py
    assert free_text_fields() - other_routes_only <= reached
    assert len(reached) >= 15


def fill_with_payloads(browser: Browser) -> None:
    browser.get("/referral/immediate-risk")
    browser.answer("/referral/immediate-risk", {"immediate_risk": "no"})
    browser.answer("/referral/route", {"route": "support"})
    browser.answer("/referral/about-you", REFERRER_X)
    browser.answer("/referral/child/1", CHILD_X)
    browser.answer("/referral/children", {"add_another": "no"})
    browser.answer("/referral/parents", {"add_another": "yes"})
    browser.answer("/referral/parent/1", PARENT_X)
    browser.answer("/referral/parents", {"add_another": "no"})
    browser.answer("/referral/household", {"add_another": "yes"})
    browser.answer("/referral/household/1", HOUSEHOLD_X)
    browser.answer("/referral/household", {"add_another": "no"})
    browser.answer("/referral/risks", {"add_another": "yes"})
    browser.answer("/referral/risk/1", RISK_X)
    browser.answer("/referral/risks", {"add_another": "no"})
    browser.answer("/referral/concerns", CONCERNS_X)
    browser.answer("/referral/consent", CONSENT_X)


def test_payloads_are_escaped_on_every_page_that_shows_them(browser: Browser, aws: Any) -> None:
    fill_with_payloads(browser)
    shown = {path: browser.get(path).body.decode() for path in [*PAGES, "/referral/children", "/referral/parents",
                                                                "/referral/household", "/referral/risks",
                                                                "/referral/check"]}  # fmt: skip
    assert {path: live_payloads(body) for path, body in shown.items() if live_payloads(body)} == {}
    assert [path for path, body in shown.items() if EVIDENCE_OF_ESCAPING not in body] == []
    assert shown["/referral/check"].count(EVIDENCE_OF_ESCAPING) >= 15


def test_payloads_are_escaped_when_a_page_is_shown_again_with_errors(browser: Browser, aws: Any) -> None:
    fill_with_payloads(browser)
    bad = {"email": PAYLOAD, "phone": PAYLOAD, "address-postcode": PAYLOAD, "given_on-day": PAYLOAD,
           "proposed_level": PAYLOAD, "approximate_age": PAYLOAD}  # fmt: skip
    for path, answers in PAGES.items():
        shown = browser.post(path, {**answers, **{k: v for k, v in bad.items() if k in answers}})
        assert shown.status_code == 200, path  # the page again, with its errors
        assert "govuk-error-summary" in shown.body.decode(), path
        assert live_payloads(shown.body.decode()) == [], path
        assert EVIDENCE_OF_ESCAPING in shown.body.decode(), path


def test_the_reasons_of_other_routes_are_escaped_too(browser: Browser, aws: Any) -> None:
    fill_with_payloads(browser)
    for answers in (
        {"parents_aware": "yes", "status": "refused", "reason_refused": PAYLOAD, "discussed_with_parents": "no"},
        {"parents_aware": "no", "status": "not_sought", "reason_not_sought": PAYLOAD, "discussed_with_parents": "no"},
    ):
        browser.answer("/referral/consent", answers)
        check = browser.get("/referral/check").body.decode()
        assert live_payloads(check) == [] and EVIDENCE_OF_ESCAPING in check
    browser.answer("/referral/route", {"route": "protection"})
    browser.answer("/referral/consent", {"informed": "no", "reason_not_informed": PAYLOAD})
    check = browser.get("/referral/check").body.decode()
    assert live_payloads(check) == [] and EVIDENCE_OF_ESCAPING in check


def test_the_sent_referral_the_acknowledgement_and_the_outbox_page_are_inert(browser: Browser, aws: Any) -> None:
    fill_with_payloads(browser)
    browser.answer("/referral/about-you", {**REFERRER_X, "email": "{{7*7}}@school.example"})
    sent = browser.post("/referral/check", {}, token=csrf_token(browser.get("/referral/check")))
    assert sent.status_code == 303
    confirmation = browser.get("/referral/confirmation").body.decode()
    assert live_payloads(confirmation) == []
    [email] = sent_emails(aws)
    for part in ("plain", "html"):
        body = email.get_body((part,)).get_content()
        assert live_payloads(body) == [] and "alert(1)" not in body  # the email carries no answers at all
    outbox = browser.get("/_local/outbox").body.decode()
    assert "{{7*7}}@school.example" in outbox  # the recipient, as text
    assert live_payloads(outbox) == [] and "49@school.example" not in outbox


def api_referral_with_payloads() -> dict[str, Any]:
    def mark(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            return {key: mark(value, f"{path}.{key}") for key, value in node.items()}
        if isinstance(node, list):
            return [mark(value, f"{path}.{index}") for index, value in enumerate(node)]
        field = path.rsplit(".", 1)[-1]
        free = path.split(".")[1] in PERSONAL_TEXT_SECTIONS and not _is_coded(path)
        if isinstance(node, str) and free and field not in {"email", "phone", "postcode"}:
            return PAYLOAD
        return node

    return mark(support_referral(), "$")


def test_the_api_stores_payloads_as_text_and_never_echoes_them_in_errors(client: Any, aws: Any) -> None:
    referral = api_referral_with_payloads()
    assert json.dumps(referral).count("alert(1)</script>") >= 15
    created = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(referral)
    )
    assert created.status_code == 201
    assert "alert" not in created.body.decode()
    stored = aws.referrals.fetch(json.loads(created.body)["reference"]).submission
    assert stored.children[0].first_name == PAYLOAD  # kept as the referrer typed it; escaped when shown
    referral["referrer"]["email"] = PAYLOAD
    referral["children"][0]["address"]["postcode"] = PAYLOAD
    refused = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(referral)
    )
    assert refused.status_code == 422
    assert "alert" not in refused.body.decode() and "\u202e" not in refused.body.decode()
    [email] = sent_emails(aws)
    assert "alert(1)" not in email.as_string()


# --- templates --------------------------------------------------------------------------------

TEMPLATES = sorted(str(path.relative_to(TEMPLATE_DIR)) for path in TEMPLATE_DIR.rglob("*") if path.is_file())
# Plain-text email parts: escaping would show &amp; to the reader, and they are never HTML.
PLAIN_TEXT = {name for name in TEMPLATES if name.endswith(".txt")}


def test_there_are_templates_to_check() -> None:
    assert {"check.html", "email/acknowledgement.html", "local/outbox.html"} <= set(TEMPLATES)


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_is_autoescaped(name: str) -> None:
    env = environment()
    env.get_template(name)  # compiles it: a syntax error fails here
    assert env.autoescape(name) is True  # select_autoescape(default=True): whatever the extension
    # And escaping really applies inside this template's own compiled code.
    assert (
        "escape" in env.compile(Path(TEMPLATE_DIR, name).read_text(), name, raw=True)
        or "{{" not in Path(TEMPLATE_DIR, name).read_text()
    )


@pytest.mark.parametrize("name", TEMPLATES)
def test_no_html_template_turns_escaping_off(name: str) -> None:
    source = Path(TEMPLATE_DIR, name).read_text()
    switches = re.findall(r"\|\s*safe\b|autoescape\s+false|Markup\(", source)
    assert switches == [] or name in PLAIN_TEXT, switches
