"""The staff console over HTTP (chalice.test.Client under moto): sign-in, the session and its cookie,
CSRF, idle timeout, roles, the queue, the referral page (audited, escaped) and the first action forms.

The client keeps no cookies, so `Browser` plays a browser's part: it keeps what Set-Cookie gives it
and sends it back, and reads each form's CSRF token from the page as a person's browser would.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import json
import re
import urllib.parse
from typing import Any

import pytest

from chalicelib.domain.agencies import AgencyId
from chalicelib.domain.staff import Role, StaffMember
from local.issuer import SYNTHETIC_STAFF
from tests.conftest import table_items
from tests.factories import example, support_referral

pytestmark = pytest.mark.usefixtures("issuer")

# A Thursday in MASH working hours, so deadlines are easy to read.
THURSDAY_10AM = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
FORM = "application/x-www-form-urlencoded"


class Browser:
    """Cookies in, cookies out; forms posted with the token the page carried."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.cookies: dict[str, str] = {}
        self.last: Any = None

    def _remember(self, response: Any) -> Any:
        raw = response.headers.get("Set-Cookie") or []
        for line in [raw] if isinstance(raw, str) else raw:
            name, _, rest = line.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in line:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        self.last = response
        return response

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def get(self, path: str) -> Any:
        return self._remember(self.client.http.get(path, headers=self._headers()))

    def post(self, path: str, fields: dict[str, str] | list[tuple[str, str]], csrf: str | None = "page") -> Any:
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        if csrf == "page":
            pairs.append(("csrf_token", self.csrf()))
        elif csrf is not None:
            pairs.append(("csrf_token", csrf))
        body = urllib.parse.urlencode(pairs).encode()
        return self._remember(self.client.http.post(path, headers=self._headers({"Content-Type": FORM}), body=body))

    def csrf(self) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.text())
        assert found, "no CSRF token on the last page"
        return found.group(1)

    def text(self, response: Any = None) -> str:
        return (response or self.last).body.decode()

    def sign_in(self, who: str) -> Browser:
        assert self.get("/staff/local-sign-in").status_code == 200
        response = self.post("/staff/local-sign-in", {"staff": who})
        assert response.status_code == 303, self.text(response)
        # An auditor, who has no queue, starts at the report; the emergency duty team at its own page.
        starts = {"auditor": "/staff/reports/timeliness", "edt": "/staff/out-of-hours"}
        assert response.headers["Location"] == starts.get(who, "/staff/")
        return self


def page_text(response: Any) -> str:
    """The visible words of a page, tags removed, entities decoded, spaces collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.body.decode(), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def error_summary(response: Any) -> list[str]:
    block = re.search(r'<ul class="govuk-list govuk-error-summary__list">(.*?)</ul>', response.body.decode(), re.S)
    return [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", item))).strip()
            for item in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)] if block else []  # fmt: skip


def submit(client: Any, referral: dict[str, Any] | None = None) -> str:
    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(referral or example())
    )
    assert response.status_code == 201, response.body
    return json.loads(response.body)["reference"]


def stored(reference: str) -> Any:
    from chalicelib.wiring import wiring

    return wiring().referrals.open(reference).referral


@pytest.fixture
def clock(aws: Any) -> dict[str, dt.datetime]:
    """The wiring clock, movable: `clock["now"] += dt.timedelta(...)`."""
    now = {"now": THURSDAY_10AM}
    aws.clock = lambda: now["now"]
    return now


@pytest.fixture
def browser(client: Any, clock: Any) -> Any:
    return lambda who=None: Browser(client).sign_in(who) if who else Browser(client)


# --- sign-in, cookie, session -------------------------------------------------------------------


def test_signing_in_locally_gives_only_an_opaque_strict_http_only_cookie(client: Any, aws: Any, browser: Any) -> None:
    person = browser("practitioner")
    [cookie] = [c for c in person.last.headers["Set-Cookie"] if c.startswith("mash_staff=")]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Max-Age" not in cookie  # ends with the browser; the server ends it sooner
    session_id = person.cookies["mash_staff"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", session_id)
    assert "mash_staff_sign_in" not in person.cookies  # the sign-in cookie is cleared

    page = person.get("/staff/")
    assert page.status_code == 200
    assert "Pat Practitioner" in page_text(page)
    assert page.headers["Cache-Control"] == "no-store"

    # The table holds the id's hash as the key and the token sealed: no token, no name, no session id.
    [item] = [i for i in table_items(aws) if i["pk"]["S"].startswith("STAFFSESSION#")]
    assert item["pk"]["S"] == "STAFFSESSION#" + hashlib.sha256(session_id.encode()).hexdigest()
    raw = json.dumps(item, default=str)
    assert session_id not in raw and "eyJ" not in raw and "Pat Practitioner" not in raw
    assert int(item["expires_at"]["N"]) > dt.datetime.now(dt.UTC).timestamp()


def test_a_secure_stage_names_the_cookie_with_the_host_prefix(
    client: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import wiring as wiring_module

    monkeypatch.setenv("MASH_COOKIE_SECURE", "true")
    hub = wiring_module.reset()
    hub.clock = lambda: THURSDAY_10AM
    person = Browser(client)
    person.get("/staff/local-sign-in")
    assert any(c.startswith("__Host-mash_staff_sign_in=") and "Secure" in c for c in person.last.headers["Set-Cookie"])
    person.post("/staff/local-sign-in", {"staff": "manager"})
    [cookie] = [c for c in person.last.headers["Set-Cookie"] if c.startswith("__Host-mash_staff=")]
    assert cookie.endswith("Secure") and "SameSite=Strict" in cookie and "HttpOnly" in cookie
    assert person.get("/staff/").status_code == 200


def test_every_console_page_needs_a_session(client: Any, clock: Any) -> None:
    reference = submit(client)
    nobody = Browser(client)
    for path in (
        "/staff/",
        "/staff/triage",
        f"/staff/referrals/{reference}",
        f"/staff/referrals/{reference}/screening",
        "/staff/reports/timeliness",
        "/staff/search",
    ):
        response = nobody.get(path)
        assert response.status_code == 303, path
        # Sent to sign in, with the page asked for (a same-site path) to come back to.
        expected = "/staff/sign-in" + ("?next=" + urllib.parse.quote(path, safe="") if path != "/staff/" else "")
        assert response.headers["Location"] == expected, path
    assert nobody.get("/staff/sign-in").headers["Location"] == "/staff/local-sign-in"
    refused = nobody.post(f"/staff/referrals/{reference}/screening", {"rag": "red"}, csrf="x" * 64)
    assert refused.status_code == 401
    assert stored(reference).screening is None
    # A made-up session id is no session.
    nobody.cookies["mash_staff"] = "A" * 43
    assert nobody.get("/staff/").status_code == 401


def test_every_staff_page_is_declared_with_its_roles_and_they_are_the_apis(client: Any) -> None:
    from app import app
    from chalicelib.web import admin as admin_api
    from chalicelib.web import console
    from chalicelib.web.auth import declared_roles

    assert console.undeclared_console_routes(app) == []
    assert console.console_roles(console.work_queue) == declared_roles(admin_api.work_queue)
    assert console.console_roles(console.referral_page) == declared_roles(admin_api.referral)
    assert console.console_roles(console.search_results) == declared_roles(admin_api.search)
    for action, api_view in (
        (console.SCREENING, admin_api.screening),
        (console.DECISION, admin_api.decision),
        (console.APPROVAL, admin_api.approval),
    ):
        assert action.roles == declared_roles(api_view)
    assert console.APPROVAL.roles == frozenset({Role.MANAGER})


def test_the_local_sign_in_refuses_a_post_without_its_token_or_a_person(client: Any, clock: Any) -> None:
    person = Browser(client)
    person.get("/staff/local-sign-in")
    assert person.post("/staff/local-sign-in", {"staff": "manager"}, csrf=None).status_code == 400
    person.get("/staff/local-sign-in")
    response = person.post("/staff/local-sign-in", {"staff": "someone-else"})
    assert response.status_code == 400
    assert error_summary(response) == ["Select who to sign in as"]
    assert "mash_staff" not in person.cookies


def test_a_post_without_the_csrf_token_or_with_a_wrong_one_changes_nothing(client: Any, browser: Any) -> None:
    reference = submit(client)
    person = browser("practitioner")
    fields = {"rag": "red", "level": "3", "rationale": "Hungry every morning"}
    for csrf in (None, "0" * 64, "é"):
        response = person.post(f"/staff/referrals/{reference}/screening", fields, csrf=csrf)
        assert response.status_code == 400
        assert "Sorry, we could not accept that page" in page_text(response)
    # A token from another session does not pass either.
    other = browser("manager")
    other.get(f"/staff/referrals/{reference}/screening")
    assert person.post(f"/staff/referrals/{reference}/screening", fields, csrf=other.csrf()).status_code == 400
    assert stored(reference).screening is None


def test_every_console_post_refuses_a_missing_or_wrong_token_and_changes_nothing(
    client: Any, aws: Any, browser: Any
) -> None:
    from tests.security.routes import routes

    posts = [route for route in routes("POST") if route.path.startswith("/staff/")]
    assert {route.path for route in posts} >= {"/staff/sign-out", "/staff/referrals/{reference}/screening"}
    reference = submit(client)
    manager = browser("manager")
    edt = browser("edt")  # the emergency duty team's handover is its own: a manager is refused it by role
    before = sorted(json.dumps(item, sort_keys=True, default=str) for item in table_items(aws))
    accepted = []
    for route in posts:
        person = edt if route.path.endswith("/handover") else manager
        for token in (None, "", "0" * 64):
            url = route.url.replace("ABC-DEF-GHJ", reference)
            fields = {"rag": "red", "level": "4", "rationale": "x", "outcome": "early_help", "reasons": "x",
                      "approve": "true", "staff": "auditor"}  # fmt: skip
            response = person.post(url, fields, csrf=token)
            if response.status_code != 400 or "Sorry, we could not accept that page" not in page_text(response):
                accepted.append(f"{route.path} with {token!r}: {response.status_code}")
    assert accepted == []
    assert sorted(json.dumps(item, sort_keys=True, default=str) for item in table_items(aws)) == before
    assert "Morgan Manager" in page_text(manager.get("/staff/"))  # still signed in, as the manager


def test_an_idle_session_is_signed_out(client: Any, aws: Any, browser: Any, clock: Any) -> None:
    person = browser("practitioner")
    clock["now"] += dt.timedelta(minutes=14)
    assert person.get("/staff/").status_code == 200  # in use: the idle clock starts again
    clock["now"] += dt.timedelta(minutes=14)
    assert person.get("/staff/").status_code == 200
    clock["now"] += dt.timedelta(minutes=15, seconds=1)
    response = person.get("/staff/")
    assert response.status_code == 401
    assert "You have been signed out" in page_text(response)
    assert "not used the console for 15 minutes" in page_text(response)
    assert "mash_staff" not in person.cookies  # cleared
    assert not [i for i in table_items(aws) if i["pk"]["S"].startswith("STAFFSESSION#")]


def test_an_expired_token_ends_the_session(client: Any, aws: Any, issuer: Any, clock: Any) -> None:
    from chalicelib.web import console_session
    from local.issuer import SYNTHETIC_STAFF

    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=9)
    expired = issuer.sign(issuer.claims_for(SYNTHETIC_STAFF["practitioner"], past))
    # As if it was good when stored: the item outlives it (DynamoDB's TTL is lazy).
    console_session.sessions().save(
        "S" * 43, id_token=expired, refresh_token=None, expires_at=int(past.timestamp()) + 10 * 3600,
        now=THURSDAY_10AM.timestamp(),
    )  # fmt: skip
    person = Browser(client)
    person.cookies["mash_staff"] = "S" * 43
    response = person.get("/staff/")
    assert response.status_code == 401
    assert "The staff token has expired: sign in again" in page_text(response)
    assert console_session.sessions().load("S" * 43, 0) is None


def test_signing_out_ends_the_session(client: Any, aws: Any, browser: Any) -> None:
    person = browser("manager")
    old = dict(person.cookies)
    person.get("/staff/")
    response = person.post("/staff/sign-out", {})
    assert (response.status_code, response.headers["Location"]) == (303, "/staff/signed-out")
    assert "mash_staff" not in person.cookies
    assert "You have signed out" in page_text(person.get("/staff/signed-out"))
    person.cookies.update(old)  # the old id is worth nothing now
    assert person.get("/staff/").status_code == 401


# --- roles --------------------------------------------------------------------------------------


def test_an_auditor_cannot_screen_or_see_the_queue(client: Any, browser: Any) -> None:
    reference = submit(client)
    auditor = browser("auditor")
    casework, reading = "mash-manager or mash-practitioner", "mash-edt, mash-manager or mash-practitioner"
    needs = {"/staff/": casework, f"/staff/referrals/{reference}": reading,
             f"/staff/referrals/{reference}/screening": casework}  # fmt: skip
    for path, roles in needs.items():
        response = auditor.get(path)
        assert response.status_code == 403, path
        assert f"This page needs the {roles} role" in page_text(response)
    fields = {"rag": "red", "level": "3", "rationale": "x"}
    assert auditor.post(f"/staff/referrals/{reference}/screening", fields).status_code == 403
    assert stored(reference).screening is None


def test_a_practitioner_cannot_approve(client: Any, browser: Any) -> None:
    reference = submit(client)
    practitioner = browser("practitioner")
    assert practitioner.get(f"/staff/referrals/{reference}/approval").status_code == 403
    assert "needs the mash-manager role" in page_text(practitioner.last)


# --- the queue ----------------------------------------------------------------------------------


def screen(person: Browser, reference: str, rag: str = "red", level: str = "3") -> Any:
    person.get(f"/staff/referrals/{reference}/screening")
    return person.post(
        f"/staff/referrals/{reference}/screening", {"rag": rag, "level": level, "rationale": "Hungry and absent"}
    )


def test_the_queue_shows_urgency_deadlines_and_time_left_by_the_clock(client: Any, browser: Any, clock: Any) -> None:
    red, waiting = submit(client), submit(client)
    person = browser("practitioner")
    assert screen(person, red).status_code == 303
    page = page_text(person.get("/staff/"))
    assert red in page and waiting in page
    assert page.index(red) < page.index(waiting)  # Red first
    assert "Red" in page and "Not screened" in page
    assert "26 November 2026 at 2pm" in page  # Red: four clock hours
    assert "4 hours left" in page
    assert "0 replies from agencies waiting in triage" in page
    assert f'href="/staff/referrals/{red}"' in person.text()

    clock["now"] += dt.timedelta(hours=5, minutes=10)
    page = page_text(browser("manager").get("/staff/"))  # a fresh sign-in: the first one has gone idle
    assert "Overdue by 1 hour 10 minutes" in page


def test_time_left_reads_as_a_person_would_say_it() -> None:
    from chalicelib.web.console import time_left

    now = THURSDAY_10AM
    assert time_left(now + dt.timedelta(hours=2, minutes=10), now) == "2 hours 10 minutes left"
    assert time_left(now - dt.timedelta(days=1), now) == "overdue by 1 day"
    assert time_left(now + dt.timedelta(days=2, hours=1, minutes=5), now) == "2 days 1 hour left"
    assert time_left(now + dt.timedelta(minutes=1), now) == "1 minute left"
    assert time_left(now + dt.timedelta(seconds=20), now) == "less than a minute left"
    assert time_left(None, now) == ""


def test_the_queue_filters_and_pages_with_the_cursor(
    client: Any, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.web import console

    references = [submit(client) for _ in range(3)]
    person = browser("practitioner")
    screen(person, references[0], rag="green", level="2")
    page = page_text(person.get("/staff/?rag=green"))
    assert references[0] in page and references[1] not in page and references[2] not in page
    page = page_text(person.get("/staff/?status=received"))
    assert references[0] not in page and references[1] in page

    monkeypatch.setattr(console.queue, "QUEUE_PAGE_SIZE", 2)  # the queue's room reads its own
    first = person.get("/staff/?status=received&undelivered=")
    assert "Next page" in page_text(first)
    next_href = html.unescape(re.search(r'href="([^"]+)" rel="next"', person.text()).group(1))
    assert next_href.startswith("/staff/?status=received&cursor=")
    second = page_text(person.get(next_href))
    shown = [r for r in references[1:] if r in page_text(first)] + [r for r in references[1:] if r in second]
    assert sorted(shown) == sorted(references[1:])
    assert "First page" in second


def test_the_queue_says_what_is_wrong_with_a_filter_or_a_cursor(client: Any, browser: Any) -> None:
    person = browser("manager")
    response = person.get("/staff/?status=lost&rag=pink")
    assert response.status_code == 400
    assert error_summary(response) == ["Select a status from the list", "Select a RAG rating from the list"]
    response = person.get("/staff/?cursor=not-a-cursor")
    assert response.status_code == 400
    assert error_summary(response) == ["The link to the next page no longer works: start again from the first page"]


def test_an_empty_triage_list_says_nothing_is_waiting(client: Any, browser: Any) -> None:
    response = browser("practitioner").get("/staff/triage")
    assert response.status_code == 200
    assert "No emails are waiting." in page_text(response)


# --- the referral page --------------------------------------------------------------------------


def test_the_referral_page_shows_the_whole_picture_and_the_view_is_audited(client: Any, browser: Any) -> None:
    from chalicelib.services.audit_trail import audit_trail

    reference = submit(client)
    person = browser("practitioner")
    response = person.get(f"/staff/referrals/{reference}")
    assert response.status_code == 200
    page = page_text(response)
    for expected in (
        f"Referral {reference}",
        "Request for support",
        "Sam Testchild",
        "14 March 2017",
        "1 Example Road",
        "Alex Testparent (mother)",
        "Priya Example",
        "Designated safeguarding lead, Example Primary School (Education",
        "Sam has arrived hungry most mornings",
        "Sam says there is often no food at home",
        "Breakfast club offered",
        "Consent Given",
        "No agencies asked yet.",
        "Agencies may be asked to share on this basis: Consent: a parent agreed",  # the lawful basis
        "Acknowledgement",
        "Screen the referral",
    ):
        assert expected in page, expected
    assert "Record the decision" not in page  # not allowed before screening
    [viewed] = [e for e in audit_trail(reference) if e.action.value == "referral.viewed"]
    assert viewed.actor == "0b6f7c1e-0000-4000-8000-000000000001"
    assert viewed.role == "mash-practitioner"
    # The history shows the view itself, in words: the person by name, never the code or their id.
    assert "Pat Practitioner opened the referral" in page
    assert "referral.viewed" not in page and viewed.actor not in page
    assert "Acknowledgement Referrer: Priya Example" in page  # the email's recipient by role and name


def test_a_script_in_a_concern_is_shown_as_text_never_run(client: Any, browser: Any) -> None:
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    reference = submit(client, support_referral(**{"concerns.description": payload, "children.0.first_name": payload}))
    response = browser("practitioner").get(f"/staff/referrals/{reference}")
    body = response.body.decode()
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in body
    assert payload in page_text(response)


def test_an_unknown_or_malformed_reference_is_not_found(client: Any, browser: Any) -> None:
    person = browser("practitioner")
    for reference in ("K7Q-F3M-RW9", "not-a-ref", "%3Cscript%3E"):
        response = person.get(f"/staff/referrals/{reference}")
        assert response.status_code == 404, reference
        assert "No referral has that reference" in page_text(response)
        assert person.get(f"/staff/referrals/{reference}/screening").status_code == 404


def test_a_closed_referral_opens_only_with_a_reason(client: Any, aws: Any, browser: Any) -> None:
    from chalicelib.services.audit_trail import audit_trail
    from chalicelib.services.retention import close_referral

    reference = submit(client)
    person = browser("practitioner")
    screen(person, reference, rag="green", level="1")
    person.get(f"/staff/referrals/{reference}/decision")
    person.post(f"/staff/referrals/{reference}/decision", {"outcome": "no_further_action", "reasons": "Advice given"})
    close_referral(reference, staff=StaffMember("s", frozenset({Role.PRACTITIONER})), request_id=None)

    response = person.get(f"/staff/referrals/{reference}")
    assert response.status_code == 200
    assert "Why are you opening this closed referral?" in page_text(response)
    assert "Sam" not in page_text(response)
    response = person.get(f"/staff/referrals/{reference}?asked=1")
    assert response.status_code == 400
    assert error_summary(response) == ["Select why you are opening this closed referral"]
    response = person.get(f"/staff/referrals/{reference}?asked=1&reason=quality_audit")
    assert response.status_code == 200
    assert "You opened it for: A quality audit." in page_text(response)
    assert "Sam Testchild" in page_text(response)
    viewed = [e for e in audit_trail(reference) if e.action.value == "referral.viewed"]
    assert viewed[-1].details == {"reason": "quality_audit"}


# --- action forms -------------------------------------------------------------------------------


def test_screening_says_what_is_missing_then_records_and_shows_a_banner(client: Any, browser: Any) -> None:
    reference = submit(client)
    person = browser("practitioner")
    form = person.get(f"/staff/referrals/{reference}/screening")
    assert form.status_code == 200
    assert "Screen the referral" in page_text(form) and "Sam" not in page_text(form)

    response = person.post(f"/staff/referrals/{reference}/screening", {"rationale": "  "})
    assert response.status_code == 400
    assert error_summary(response) == [
        "Select a RAG rating",
        "Select the level of need",
        "Enter why you chose this rating and level",
    ]
    assert 'href="#rag"' in person.text() and 'id="rag"' in person.text()
    assert page_text(response).startswith("Error: Screen the referral")

    response = person.post(
        f"/staff/referrals/{reference}/screening", {"rag": "purple", "level": "7", "rationale": "ok"}
    )
    assert response.status_code == 400
    assert error_summary(response)[0].startswith("Rag must be one of")

    response = person.post(
        f"/staff/referrals/{reference}/screening", {"rag": "amber", "level": "3", "rationale": "Hungry; school worried"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/referrals/{reference}?done=screening"
    page = page_text(person.get(response.headers["Location"]))
    assert "Success Screening recorded: the decision deadline is set" in page
    assert "Hungry; school worried" in page
    referral = stored(reference)
    assert (referral.status.value, referral.screening.rag.value, referral.screening.level) == ("screened", "amber", 3)
    assert referral.screening.screened_by == "0b6f7c1e-0000-4000-8000-000000000001"


def test_a_decision_before_screening_is_refused_with_the_domains_message(client: Any, browser: Any) -> None:
    reference = submit(client)
    person = browser("practitioner")
    person.get(f"/staff/referrals/{reference}/decision")
    response = person.post(f"/staff/referrals/{reference}/decision", {"outcome": "early_help", "reasons": "Support"})
    assert response.status_code == 409
    [message] = error_summary(response)
    assert message.startswith("Cannot record a decision while the referral is received. Allowed now: screen")
    assert 'value="early_help" checked' in person.text()  # what was chosen is kept
    assert stored(reference).decision is None


def test_a_decision_that_needs_approval_is_approved_by_another_manager(client: Any, browser: Any) -> None:
    reference = submit(client)
    practitioner = browser("practitioner")
    screen(practitioner, reference)
    practitioner.get(f"/staff/referrals/{reference}/decision")
    assert error_summary(practitioner.post(f"/staff/referrals/{reference}/decision", {})) == [
        "Select the outcome",
        "Enter the reasons for the decision",
    ]
    response = practitioner.post(
        f"/staff/referrals/{reference}/decision",
        {"outcome": "child_and_family_assessment_s17", "reasons": "Needs an assessment"},
    )
    assert response.status_code == 303
    page = page_text(practitioner.get(response.headers["Location"]))
    assert "Decision recorded" in page and "Waiting for a manager" in page
    assert "Approve or return the decision" not in page  # not a practitioner's to do
    assert stored(reference).status.value == "decision_proposed"

    manager = browser("manager")
    page = page_text(manager.get(f"/staff/referrals/{reference}"))
    assert "Approve or return the decision" in page
    manager.get(f"/staff/referrals/{reference}/approval")
    assert error_summary(manager.post(f"/staff/referrals/{reference}/approval", {})) == [
        "Select whether you approve the decision or return it"
    ]
    response = manager.post(f"/staff/referrals/{reference}/approval", {"approve": "true"})
    assert response.status_code == 303
    assert "Your answer on the decision is recorded" in page_text(manager.get(response.headers["Location"]))
    referral = stored(reference)
    assert referral.status.value == "decided"
    assert referral.decision.approved_by == "0b6f7c1e-0000-4000-8000-000000000002"


def test_a_manager_cannot_approve_their_own_decision(client: Any, browser: Any) -> None:
    reference = submit(client)
    manager = browser("manager")
    screen(manager, reference)
    manager.get(f"/staff/referrals/{reference}/decision")
    manager.post(f"/staff/referrals/{reference}/decision", {"outcome": "strategy_discussion_s47", "reasons": "Harm"})
    manager.get(f"/staff/referrals/{reference}/approval")
    response = manager.post(f"/staff/referrals/{reference}/approval", {"approve": "true"})
    assert response.status_code == 403
    assert error_summary(response) == ["A manager cannot approve their own decision: ask another manager"]
    assert stored(reference).status.value == "decision_proposed"


def test_a_returned_decision_needs_a_reason_and_goes_back_to_screened(client: Any, browser: Any) -> None:
    reference = submit(client)
    practitioner, manager = browser("practitioner"), browser("manager")
    screen(practitioner, reference)
    practitioner.get(f"/staff/referrals/{reference}/decision")
    practitioner.post(f"/staff/referrals/{reference}/decision", {"outcome": "map_mase_meeting", "reasons": "Risk"})
    manager.get(f"/staff/referrals/{reference}/approval")
    response = manager.post(f"/staff/referrals/{reference}/approval", {"approve": "false", "reason": ""})
    assert response.status_code == 400
    assert error_summary(response) == ["Say why the decision is returned, so the practitioner knows what to change"]
    response = manager.post(
        f"/staff/referrals/{reference}/approval", {"approve": "false", "reason": "Ask health first"}
    )
    assert response.status_code == 303
    referral = stored(reference)
    assert referral.status.value == "screened" and referral.decision.returned_reason == "Ask health first"
    assert "A manager returned an earlier decision: Ask health first" in page_text(
        practitioner.get(f"/staff/referrals/{reference}")
    )


def test_nothing_personal_goes_in_a_console_url(client: Any, browser: Any) -> None:
    reference = submit(client)
    person = browser("practitioner")
    response = screen(person, reference)
    assert response.headers["Location"] == f"/staff/referrals/{reference}?done=screening"
    links = re.findall(r'href="([^"]+)"', person.get(f"/staff/referrals/{reference}").body.decode())
    assert not [link for link in links if "Sam" in link or "Testchild" in link or "example" in link]


# --- Cognito's hosted UI (AWS) ------------------------------------------------------------------


@pytest.fixture
def hosted_ui(monkeypatch: pytest.MonkeyPatch, issuer: Any, aws: Any, clock: Any) -> dict[str, Any]:
    """The stage configured for the hosted UI; its token endpoint answered by the local issuer."""
    from chalicelib import wiring as wiring_module
    from chalicelib.adapters import cognito_hosted_ui
    from chalicelib.adapters.staff_tokens import LOCAL_AUDIENCE

    monkeypatch.setenv("MASH_CONSOLE_HOSTED_UI_DOMAIN", "https://sign-in.mash.example")
    monkeypatch.setenv("MASH_JWT_AUDIENCE", LOCAL_AUDIENCE)
    monkeypatch.setenv("MASH_PUBLIC_URL", "https://hub.mash.example")
    hub = wiring_module.reset()
    hub.clock = lambda: clock["now"]
    calls: dict[str, Any] = {"posts": [], "answer": lambda fields: {"id_token": issuer.token_for("manager")}}

    def token_endpoint(url: str, fields: dict[str, str]) -> dict[str, Any]:
        calls["posts"].append((url, fields))
        return calls["answer"](fields)

    monkeypatch.setattr(cognito_hosted_ui, "_post_form", token_endpoint)
    return calls


def test_the_hosted_ui_signs_in_with_a_pkce_code_exchange(client: Any, hosted_ui: dict[str, Any]) -> None:
    person = Browser(client)
    response = person.get("/staff/sign-in")
    assert response.status_code == 303
    location = urllib.parse.urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "sign-in.mash.example", "/oauth2/authorize")
    query = dict(urllib.parse.parse_qsl(location.query))
    assert query["response_type"] == "code" and query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == "https://hub.mash.example/staff/callback"
    assert query["scope"] == "openid email profile"
    [pending] = [c for c in response.headers["Set-Cookie"] if c.startswith("mash_staff_sign_in=")]
    assert "SameSite=Lax" in pending and "HttpOnly" in pending  # Lax: it must survive the redirect back

    response = person.get(f"/staff/callback?code=abc123&state={query['state']}")
    assert response.status_code == 200
    assert '<meta http-equiv="refresh" content="0;url=/staff/">' in person.text()
    [(url, fields)] = hosted_ui["posts"]
    assert url == "https://sign-in.mash.example/oauth2/token"
    assert fields["grant_type"] == "authorization_code" and fields["code"] == "abc123"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(fields["code_verifier"].encode()).digest()).rstrip(b"=")
    assert challenge.decode() == query["code_challenge"]
    assert "mash_staff_sign_in" not in person.cookies
    assert "Morgan Manager" in page_text(person.get("/staff/"))


def test_the_hosted_ui_callback_refuses_a_wrong_state_an_error_or_a_bad_token(
    client: Any, hosted_ui: dict[str, Any], issuer: Any
) -> None:
    person = Browser(client)
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(person.get("/staff/sign-in").headers["Location"]).query))[
        "state"
    ]
    pending = dict(person.cookies)
    assert person.get("/staff/callback?code=abc&state=forged").status_code == 400
    person.cookies = dict(pending)
    assert person.get("/staff/callback?error=access_denied").status_code == 400
    person.cookies = dict(pending)
    hosted_ui["answer"] = lambda fields: {"id_token": issuer.sign({**issuer.claims_for(_manager()), "aud": "other"})}
    response = person.get(f"/staff/callback?code=abc&state={state}")
    assert response.status_code == 401
    assert "The staff token is for another service, not the MASH hub" in page_text(response)
    assert "mash_staff" not in person.cookies
    assert hosted_ui["posts"][0][1]["code"] == "abc"


def _manager() -> Any:
    from local.issuer import SYNTHETIC_STAFF

    return SYNTHETIC_STAFF["manager"]


def test_an_expired_hosted_ui_token_is_refreshed_and_sign_out_ends_the_pools_session_too(
    client: Any, hosted_ui: dict[str, Any], issuer: Any
) -> None:
    from chalicelib.web import console_session

    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=9)
    console_session.sessions().save(
        "R" * 43, id_token=issuer.sign(issuer.claims_for(_manager(), past)), refresh_token="refresh-me",
        expires_at=int(dt.datetime.now(dt.UTC).timestamp()) + 3600, now=THURSDAY_10AM.timestamp(),
    )  # fmt: skip
    person = Browser(client)
    person.cookies["mash_staff"] = "R" * 43
    assert person.get("/staff/").status_code == 200
    [(_, fields)] = hosted_ui["posts"]
    assert fields == {"grant_type": "refresh_token", "client_id": "mash-hub-local", "refresh_token": "refresh-me"}
    assert person.get("/staff/").status_code == 200  # the new token is kept: no second refresh
    assert len(hosted_ui["posts"]) == 1

    response = person.post("/staff/sign-out", {})
    assert response.status_code == 200
    assert (
        '<meta http-equiv="refresh" content="0;url=https://sign-in.mash.example/logout?client_id=mash-hub-local'
        "&amp;logout_uri=https%3A%2F%2Fhub.mash.example%2Fstaff%2Fsigned-out"
    ) in person.text()
    assert console_session.sessions().load("R" * 43, 0) is None


def test_enquiries_and_agency_replies_show_with_the_original_kept_in_details(
    client: Any, aws: Any, browser: Any
) -> None:
    from chalicelib.services.agency_requests import send_request_from_message
    from chalicelib.services.open_enquiries import open_enquiries
    from tests.conftest import sent_emails
    from tests.test_inbound_replies import deliver
    from tests.test_replies_api import queued_messages, reply_to

    reference = submit(client, example("referral-protection.json"))
    person = browser("practitioner")
    screen(person, reference, rag="red", level="4")
    practitioner = StaffMember("0b6f7c1e-0000-4000-8000-000000000001", frozenset({Role.PRACTITIONER}))
    open_enquiries(reference, [AgencyId.POLICE, AgencyId.HEALTH], "Any contact with the family this year?", staff=practitioner,
                   request_id=None)  # fmt: skip
    for bodies in queued_messages(aws).values():
        for message in bodies:
            send_request_from_message(message)
    requests = {str(m["To"]): m for m in sent_emails(aws) if "Information request" in str(m["Subject"])}
    answer = "Two call-outs in March <script>alert(1)</script>"
    deliver(aws, reply_to(requests["mash-checks@police.example"], sender="sam.taylor@police.example", text=answer))
    deliver(
        aws,
        reply_to(requests["mash-checks@health.example"], sender="nurse@gmail.example", text="Seen at clinic"),
        key="inbound/wrong-1",
    )

    response = person.get(f"/staff/referrals/{reference}")
    page = page_text(response)
    for expected in (
        "Police Answered",
        "Any contact with the family this year?",
        "Reply received 26 November 2026",
        "from sam.taylor@police.example",
        answer,
        "The full original email",
        "Subject: RE:",
        "Requested",  # health has not answered (its reply went to triage)
    ):
        assert expected in page, expected
    assert "<script>alert(1)" not in response.body.decode()
    assert "1 reply from agencies waiting in triage" in page_text(person.get("/staff/"))
    triage = page_text(person.get("/staff/triage"))
    assert reference in triage and "nurse@gmail.example" not in triage  # metadata only


@pytest.mark.parametrize("kind", ["memory", "dynamodb"])
def test_the_session_store_keeps_tokens_sealed_until_expiry_in_either_twin(aws: Any, kind: str) -> None:
    from chalicelib.adapters import staff_sessions as cs

    store = (
        cs.InMemoryStaffSessionStore(aws.cipher)
        if kind == "memory"
        else cs.DynamoStaffSessionStore(aws.aws_client("dynamodb"), aws.settings.table_name, aws.cipher)
    )
    store.save("A" * 43, id_token="id.token.x", refresh_token=None, expires_at=2000, now=1000)
    assert store.load("A" * 43, 1500) == cs.StoredSession("id.token.x", None, 1000.0, 2000)
    store.touch("A" * 43, 1600)
    assert store.load("A" * 43, 1700).last_seen == 1600.0
    assert store.load("A" * 43, 2000) is None  # expired, even before DynamoDB's TTL gets to it
    assert store.load("B" * 43, 1500) is None
    store.delete("A" * 43)
    store.touch("A" * 43, 1800)  # a touch after sign-out brings nothing back
    assert store.load("A" * 43, 1500) is None


def test_a_session_store_outage_is_a_service_page_not_a_500(
    client: Any, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.adapters.aws import AwsError
    from chalicelib.adapters.staff_sessions import DynamoStaffSessionStore

    person = browser("practitioner")

    def unavailable(*_: Any, **__: Any) -> Any:
        raise AwsError("dynamodb", "ProvisionedThroughputExceededException", retryable=True)

    monkeypatch.setattr(DynamoStaffSessionStore, "_get", unavailable)
    response = person.get("/staff/")
    assert response.status_code == 503
    assert "Sorry, there is a problem with the service" in page_text(response)


def test_an_access_reason_is_carried_through_an_action_back_to_the_referral(client: Any, browser: Any) -> None:
    # A closed referral opens only with a reason; an action taken from it comes back with the same one.
    reference = submit(client)
    person = browser("manager")
    person.get(f"/staff/referrals/{reference}/screening?access_reason=quality_audit")
    assert '<input type="hidden" name="access_reason" value="quality_audit">' in person.text()
    assert f'href="/staff/referrals/{reference}?reason=quality_audit">Cancel' in person.text()
    response = person.post(
        f"/staff/referrals/{reference}/screening",
        {"rag": "green", "level": "2", "rationale": "Support", "access_reason": "quality_audit"},
    )
    assert response.headers["Location"] == f"/staff/referrals/{reference}?done=screening&reason=quality_audit"
    person.get(f"/staff/referrals/{reference}/screening?access_reason=<b>")
    assert "access_reason" not in person.text()  # only a known code is carried


# --- the other action forms (issue 7 item 1) ------------------------------------------------------


def act(person: Browser, reference: str, slug: str, fields: dict[str, str] | list[tuple[str, str]]) -> Any:
    """Open an action's form (as a person would, for its token) and post it."""
    assert person.get(f"/staff/referrals/{reference}/{slug}").status_code == 200, person.text()
    return person.post(f"/staff/referrals/{reference}/{slug}", fields)


def decide(person: Browser, reference: str, outcome: str, reasons: str = "Reasons given") -> Any:
    return act(person, reference, "decision", {"outcome": outcome, "reasons": reasons})


def buttons(response: Any) -> list[str]:
    return re.findall(r'role="button"[^>]*>([^<]+)</a>', response.body.decode())


def test_every_action_form_takes_its_roles_from_the_api_route_it_mirrors(client: Any) -> None:
    from chalicelib.web import console
    from chalicelib.web.auth import declared_roles

    assert set(console.ACTION_FORMS) == {
        "screening", "decision", "approval", "consent", "enquiries", "parents-told", "outcome-notice",
        "onward-referral", "closure", "legal-hold", "contact-plan", "translation", "withdraw-enquiry", "handover",
        "reply-text", "task", "note", "link", "duplicate", "unlink", "allocation",
    }  # fmt: skip
    for action in console.ACTION_FORMS.values():
        assert action.roles == declared_roles(action.api_route), action.slug
    assert console.OUTCOME_NOTICE.roles == console.LEGAL_HOLD.roles == frozenset({Role.MANAGER})


def test_consent_is_recorded_with_only_what_the_chosen_answer_asks(client: Any, browser: Any) -> None:
    reference = submit(
        client, support_referral(**{"consent.status": "not_sought", "consent.reason_not_sought": "Not asked"})
    )
    person = browser("practitioner")
    assert "Record consent" in buttons(person.get(f"/staff/referrals/{reference}"))
    form = person.get(f"/staff/referrals/{reference}/consent")
    assert "Alex Testparent (mother)" in page_text(form)  # the parents by position and name
    assert 'name="parent" type="radio" value="0"' in person.text()

    response = person.post(f"/staff/referrals/{reference}/consent", {})
    assert response.status_code == 400
    assert error_summary(response) == ["Select what you are recording about consent"]
    assert 'href="#state"' in person.text()

    # What the domain needs for "given" is its own rule, and its message.
    response = person.post(f"/staff/referrals/{reference}/consent", {"state": "given", "given_by": "Alex Testparent"})
    assert response.status_code == 422
    assert error_summary(response) == ["Consent given needs: given_on, how"]
    response = person.post(
        f"/staff/referrals/{reference}/consent",
        {"state": "given", "given_by": "Alex", "given_on-day": "31", "given_on-month": "2", "given_on-year": "2026"},
    )
    assert error_summary(response) == ["The date consent was given must be a real date, like 14 3 2017"]
    assert 'href="#given_on-day"' in person.text()

    # Typed under "given", then "implicit" chosen: only the service goes to the record.
    response = person.post(
        f"/staff/referrals/{reference}/consent",
        {"state": "implicit", "service": "Breakfast club", "given_by": "Someone", "refused-reason": "x"},
    )
    assert (response.status_code, response.headers["Location"]) == (303, f"/staff/referrals/{reference}?done=consent")
    consent = stored(reference).consent
    assert (consent.state.value, consent.service, consent.given_by, consent.reason) == (
        "implicit", "Breakfast club", None, None,
    )  # fmt: skip
    assert "Consent recorded" in page_text(person.get(response.headers["Location"]))


def test_only_a_manager_dispenses_with_consent(client: Any, browser: Any) -> None:
    reference = submit(client, support_referral(**{"consent.status": "refused", "consent.reason_refused": "No"}))
    fields = {"state": "dispensed", "dispensed-reason": "Asking would alert the person harming the child",
              "review_on-day": "10", "review_on-month": "12", "review_on-year": "2026"}  # fmt: skip
    practitioner = browser("practitioner")
    response = act(practitioner, reference, "consent", fields)
    assert response.status_code == 403
    assert error_summary(response) == ["Only a manager can dispense with consent"]
    assert stored(reference).consent.state.value == "refused"
    assert act(browser("manager"), reference, "consent", fields).status_code == 303
    consent = stored(reference).consent
    assert (consent.state.value, consent.review_on, consent.signed_off_by) == (
        "dispensed", dt.date(2026, 12, 10), "0b6f7c1e-0000-4000-8000-000000000002",
    )  # fmt: skip


def test_a_consent_request_is_emailed_to_the_parent_chosen(client: Any, aws: Any, browser: Any) -> None:
    from tests.conftest import sent_emails

    reference = submit(client, support_referral(**{"consent.status": "not_sought", "consent.reason_not_sought": "x"}))
    person = browser("practitioner")
    response = act(person, reference, "consent", {"state": "requested"})
    assert error_summary(response) == ["Select the parent or carer to email the consent request to"]
    assert act(person, reference, "consent", {"state": "requested", "parent": "0"}).status_code == 303
    referral = stored(reference)
    assert referral.consent.state.value == "requested"
    [notice] = [n for n in referral.notices if n.kind.value == "consent_request"]
    assert notice.recipient == "parent:0"
    assert any("alex.testparent@family.example" in str(m["To"]) for m in sent_emails(aws))


def test_a_protection_referral_is_not_offered_consent_and_the_domain_says_why(client: Any, browser: Any) -> None:
    reference = submit(client, example("referral-protection.json"))
    person = browser("practitioner")
    offered = buttons(person.get(f"/staff/referrals/{reference}"))
    assert "Record consent" not in offered and "Decide whether the parents are told" in offered
    response = act(person, reference, "consent", {"state": "implicit", "service": "Nursery"})
    assert response.status_code == 422
    assert error_summary(response) == [
        "A protection referral needs no consent: record whether the parents are told instead"
    ]


def test_parents_told_tell_or_withhold_which_only_a_manager_may(client: Any, browser: Any) -> None:
    reference = submit(client, example("referral-protection.json"))
    practitioner = browser("practitioner")
    response = act(practitioner, reference, "parents-told", {})
    assert error_summary(response) == ["Select whether the parents are told about the referral"]
    withheld = {"tell": "false", "reason": "Telling them could put the child at more risk",
                "review_on-day": "3", "review_on-month": "12", "review_on-year": "2026"}  # fmt: skip
    response = act(practitioner, reference, "parents-told", withheld)
    assert response.status_code == 403
    [message] = error_summary(response)
    assert "manager" in message
    assert stored(reference).parents_told.state.value == "undecided"
    assert act(browser("manager"), reference, "parents-told", withheld).status_code == 303
    told = stored(reference).parents_told
    assert (told.state.value, told.review_on) == ("withheld", dt.date(2026, 12, 3))
    # The manager's "do not tell" is reversed only by a manager (issue 16): the practitioner is refused.
    refused = act(practitioner, reference, "parents-told", {"tell": "true"})
    assert refused.status_code == 403
    assert "mash-manager" in error_summary(refused)[0]
    assert stored(reference).parents_told.state.value == "withheld"
    # Telling them: the reason typed under "no" is not sent with "yes".
    assert act(browser("manager"), reference, "parents-told", {"tell": "true", "reason": "typed"}).status_code == 303
    told = stored(reference).parents_told
    assert (told.state.value, told.reason) == ("tell", None)


def test_the_outcome_notice_is_withheld_or_released_by_a_manager(client: Any, browser: Any) -> None:
    reference = submit(client)
    practitioner, manager = browser("practitioner"), browser("manager")
    screen(practitioner, reference, rag="green", level="2")
    decide(practitioner, reference, "universal_services")
    assert "Withhold or release the outcome notice" not in buttons(practitioner.get(f"/staff/referrals/{reference}"))
    assert practitioner.get(f"/staff/referrals/{reference}/outcome-notice").status_code == 403
    assert "Withhold or release the outcome notice" in buttons(manager.get(f"/staff/referrals/{reference}"))
    response = act(manager, reference, "outcome-notice", {"withhold": "true"})
    assert error_summary(response) == ["Enter why: it is kept with the referral"]
    response = act(manager, reference, "outcome-notice", {"withhold": "true", "reason": "Risk to the child"})
    assert response.status_code == 422
    assert error_summary(response) == ["Withholding the outcome notice needs: review_on (when to look at it again)"]
    fields = {"withhold": "true", "reason": "Risk to the child", "review_on-day": "1", "review_on-month": "12",
              "review_on-year": "2026"}  # fmt: skip
    assert act(manager, reference, "outcome-notice", fields).status_code == 303
    decision = stored(reference).outcome_notice_decision
    assert (decision.choice.value, decision.review_on) == ("withhold", dt.date(2026, 12, 1))
    # Released: the review date typed under "withhold" is not sent.
    fields = {"withhold": "false", "reason": "Safe to tell now", "review_on-day": "1"}
    assert act(manager, reference, "outcome-notice", fields).status_code == 303
    decision = stored(reference).outcome_notice_decision
    assert (decision.choice.value, decision.review_on) == ("send", None)


def test_an_onward_referral_sends_the_sections_chosen_to_a_service_from_the_directory(
    client: Any, browser: Any
) -> None:
    reference = submit(client)
    person = browser("practitioner")
    screen(person, reference, rag="green", level="2")
    assert "Refer the family on to a service" not in buttons(person.get(f"/staff/referrals/{reference}"))
    decide(person, reference, "early_help")
    assert "Refer the family on to a service" in buttons(person.get(f"/staff/referrals/{reference}"))
    form = page_text(person.get(f"/staff/referrals/{reference}/onward-referral"))
    assert "the Early Help Hub" in form and "The concerns" in form
    response = person.post(f"/staff/referrals/{reference}/onward-referral", {})
    assert error_summary(response) == [
        "Select the service to refer the family to",
        "Select at least one part of the record to pass on",
        "Enter why these parts are passed on: the parents are told",
    ]
    assert 'href="#sections"' in person.text()
    fields = [("service", "early-help-hub"), ("sections", "children"), ("sections", "concerns"),
              ("reason", "Early help can support the family with food and routines")]  # fmt: skip
    response = person.post(f"/staff/referrals/{reference}/onward-referral", fields)
    assert response.status_code == 303, error_summary(response)
    [onward] = stored(reference).onward_referrals
    assert onward.service_id == "early-help-hub"
    assert [s.value for s in onward.sections] == ["children", "concerns"]


def test_enquiries_go_to_the_agencies_chosen_once_the_consent_gate_allows(client: Any, browser: Any) -> None:
    reference = submit(client, support_referral(**{"consent.status": "refused", "consent.reason_refused": "No"}))
    person = browser("practitioner")
    screen(person, reference)
    # The consent gate: a support referral whose parent refused. No button; a post gets the reason.
    assert "Ask agencies what they hold" not in buttons(person.get(f"/staff/referrals/{reference}"))
    response = act(person, reference, "enquiries", [("agencies", "police"), ("question", "Any contact this year?")])
    assert response.status_code == 409
    [message] = error_summary(response)
    assert message.startswith("Agencies cannot be asked to share information on this support referral: the parent")
    assert 'value="police" checked' in person.text()  # what was chosen is kept

    act(browser("manager"), reference, "consent", {"state": "dispensed", "dispensed-reason": "Undue delay",
        "review_on-day": "1", "review_on-month": "12", "review_on-year": "2026"})  # fmt: skip
    assert "Ask agencies what they hold" in buttons(person.get(f"/staff/referrals/{reference}"))
    form = page_text(person.get(f"/staff/referrals/{reference}/enquiries"))
    assert "Police" in form and "Youth Offending Service" in form
    response = person.post(f"/staff/referrals/{reference}/enquiries", {"question": "short"})
    assert error_summary(response)[0] == "Select at least one agency to ask"
    assert len(error_summary(response)) == 2
    fields = [("agencies", "police"), ("agencies", "health"), ("question", "Any contact with the family this year?")]
    response = person.post(f"/staff/referrals/{reference}/enquiries", fields)
    assert response.status_code == 303
    assert sorted(e.agency.value for e in stored(reference).enquiries) == ["health", "police"]
    response = act(person, reference, "enquiries", [("agencies", "police"), ("question", "And again, please?")])
    assert response.status_code == 409
    assert "Already waiting for an answer from: police" in error_summary(response)[0]


def test_closing_and_legal_hold(client: Any, browser: Any) -> None:
    reference = submit(client)
    practitioner, manager = browser("practitioner"), browser("manager")
    response = act(practitioner, reference, "closure", {})
    assert response.status_code == 409
    assert error_summary(response)[0].startswith("Cannot close the referral while the referral is received")
    screen(practitioner, reference, rag="green", level="1")
    decide(practitioner, reference, "no_further_action")
    assert "Close the referral" in buttons(practitioner.get(f"/staff/referrals/{reference}"))
    assert act(practitioner, reference, "closure", {}).status_code == 303
    assert stored(reference).status.value == "closed"

    assert practitioner.get(f"/staff/referrals/{reference}/legal-hold").status_code == 403
    response = act(manager, reference, "legal-hold", {"hold": "true"})
    assert error_summary(response) == ["Enter why"]
    fields = {"hold": "true", "reason": "A court has asked for the record", "access_reason": "court_or_police_request"}
    response = act(manager, reference, "legal-hold", fields)
    assert (
        response.headers["Location"] == f"/staff/referrals/{reference}?done=legal-hold&reason=court_or_police_request"
    )
    assert stored(reference).legal_hold is not None
    assert "Legal hold recorded" in page_text(manager.get(response.headers["Location"]))
    assert act(manager, reference, "legal-hold", {"hold": "false", "reason": "Case over"}).status_code == 303
    assert stored(reference).legal_hold is None


def test_a_notice_preview_shows_the_email_sends_nothing_and_is_audited(client: Any, aws: Any, browser: Any) -> None:
    from chalicelib.services.audit_trail import audit_trail
    from tests.conftest import sent_emails

    reference = submit(client)
    person = browser("practitioner")
    page = person.get(f"/staff/referrals/{reference}")
    assert f'href="/staff/referrals/{reference}/notices/ack"' in person.text()
    sent = len(sent_emails(aws))
    response = person.get(f"/staff/referrals/{reference}/notices/ack")
    assert response.status_code == 200
    text = page_text(response)
    assert "Nothing was sent" in text and "Subject" in text and reference in text
    assert "To The referrer" in text  # by role, never a key
    assert len(sent_emails(aws)) == sent
    [event] = [e for e in audit_trail(reference) if e.action.value == "notice.previewed"]
    assert event.details == {"notice": "ack", "kind": "acknowledgement"}
    assert person.get(f"/staff/referrals/{reference}/notices/nothing-here").status_code == 404
    assert page.status_code == 200


# --- triage ---------------------------------------------------------------------------------------


def triaged(aws: Any, *, virus: bool = False) -> tuple[str, str]:
    """A screened referral with enquiries, and a reply that went to triage: (reference, triage id)."""
    from tests.test_inbound_replies import address_for, deliver, mime, referral_with_enquiries

    referral = referral_with_enquiries(aws)
    raw = mime(
        address_for(aws, referral.reference, "e1"),
        sender="sam.taylor@gmail.example",  # not a police domain: a person decides
        verdicts={"virus": "FAIL"} if virus else None,
    )
    return referral.reference, deliver(aws, raw, key="inbound/virus" if virus else "inbound/wrong-sender")


def test_a_triaged_reply_is_read_on_its_own_page_and_attached_to_its_enquiry(
    client: Any, aws: Any, browser: Any
) -> None:
    reference, triage_id = triaged(aws)
    person = browser("practitioner")
    listing = person.get("/staff/triage")
    assert f'href="/staff/triage/{triage_id}"' in person.text()
    assert aws.triage.open_triage(triage_id).views == ()  # listing reads metadata only
    response = person.get(f"/staff/triage/{triage_id}")
    assert response.status_code == 200
    text = page_text(response)
    assert "sam.taylor@gmail.example" in text and "not at a domain of the agency" in text
    assert f'name="reference" type="text" spellcheck="false" value="{reference}"' in person.text()  # its claim
    assert 'value="e1"' in person.text()
    [view] = aws.triage.open_triage(triage_id).views
    assert view.by == "0b6f7c1e-0000-4000-8000-000000000001"

    response = person.post(f"/staff/triage/{triage_id}/attach", {"reference": reference, "enquiry_id": "e9"})
    assert response.status_code == 409
    assert error_summary(response) == [
        f"Referral {reference} has no enquiry e9: choose one of the enquiries on the referral"
    ]
    response = person.post(f"/staff/triage/{triage_id}/attach", {"reference": "", "enquiry_id": "x"})
    assert error_summary(response)[0] == "Enter the reference of the referral the reply is about"
    response = person.post(f"/staff/triage/{triage_id}/attach", {"reference": reference, "enquiry_id": "e1"})
    assert (response.status_code, response.headers["Location"]) == (303, "/staff/triage?done=attached")
    assert "The email is attached to the enquiry as its reply" in page_text(person.get(response.headers["Location"]))
    assert aws.triage.open_triage(triage_id).status.value == "attached"
    assert stored(reference).enquiry("e1").answered_at is not None
    assert "Reject the email" not in page_text(person.get(f"/staff/triage/{triage_id}"))
    assert listing.status_code == 200


def test_a_quarantined_reply_can_only_be_rejected_with_a_note(client: Any, aws: Any, browser: Any) -> None:
    _, triage_id = triaged(aws, virus=True)
    person = browser("manager")
    text = page_text(person.get(f"/staff/triage/{triage_id}"))
    assert "Reject the email" in text and "Attach the email" not in text
    response = person.post(f"/staff/triage/{triage_id}/reject", {"note": " "})
    assert response.status_code == 400
    assert error_summary(response) == ["Enter why the email is rejected"]
    assert 'href="#note"' in person.text()
    response = person.post(f"/staff/triage/{triage_id}/reject", {"note": "Virus: asked police to resend"})
    assert response.headers["Location"] == "/staff/triage?done=rejected"
    assert aws.triage.open_triage(triage_id).status.value == "rejected"
    person.get("/staff/triage")
    response = person.post(f"/staff/triage/{triage_id}/attach", {"reference": "ABC-DEF-GHJ", "enquiry_id": "e1"})
    assert response.status_code == 409
    assert person.get("/staff/triage/not-an-id").status_code == 404
    assert browser("auditor").get(f"/staff/triage/{triage_id}").status_code == 403


# --- the timeliness report (issue 7 item 2) ---------------------------------------------------------


def test_the_report_is_for_managers_and_auditors_as_the_api_says(client: Any, browser: Any) -> None:
    from chalicelib.web import admin_reports, console
    from chalicelib.web.auth import declared_roles

    assert console.console_roles(console.timeliness_report_page) == declared_roles(admin_reports.timeliness)
    practitioner = browser("practitioner")
    assert practitioner.get("/staff/reports/timeliness").status_code == 403
    assert "Timeliness report" not in page_text(practitioner.get("/staff/"))  # not in their header
    manager = browser("manager")
    assert 'href="/staff/reports/timeliness"' in manager.get("/staff/").body.decode()
    auditor = browser("auditor")
    page = auditor.get("/staff/reports/timeliness")
    assert page.status_code == 200
    assert (
        'href="/staff/"'
        not in re.sub(r"govuk-header.*?</header>", "", page.body.decode(), flags=re.S)
        .split("govuk-service-navigation__list")[-1]
        .split("</ul>")[0]
    )  # the auditor's header offers no queue


def test_the_report_shows_the_last_28_days_with_charts_and_their_tables(client: Any, browser: Any, clock: Any) -> None:
    reference = submit(client)
    practitioner = browser("practitioner")
    screen(practitioner, reference, rag="red", level="3")
    decide(practitioner, reference, "early_help")
    manager = browser("manager")
    response = manager.get("/staff/reports/timeliness")
    assert response.status_code == 200
    text = page_text(response)
    assert "Referrals received from 30 October 2026 to 26 November 2026 (London dates)" in text
    body = response.body.decode()
    assert 'name="from-day" type="text" value="30"' in body.replace('inputmode="numeric" ', "")
    svgs = re.findall(r"<svg\b[^>]*>.*?</svg>", body, re.S)
    assert len(svgs) >= 3
    for svg in svgs:
        assert 'role="img"' in svg and 'aria-labelledby="' in svg and "<title " in svg
    assert " style=" not in body  # the CSP allows no inline style
    assert "Red: 100.0% (1 of 1)" not in text  # the labels are separate words in the title
    assert re.search(r"Red 100\.0% \(1 of 1\)", text)
    assert "All referrals" in text and "Police" in text
    csv_href = html.unescape(re.search(r'href="([^"]+format=csv)"', body).group(1))
    assert csv_href == "/staff/reports/timeliness?from=2026-10-30&to=2026-11-26&format=csv"
    assert reference not in body  # no references in a report


def test_the_report_downloads_as_the_same_csv_as_the_api(client: Any, browser: Any, issuer: Any) -> None:
    import csv
    import io

    reference = submit(client)
    screen(browser("practitioner"), reference, rag="amber", level="2")
    manager = browser("manager")
    response = manager.get("/staff/reports/timeliness?from=2026-11-01&to=2026-11-30&format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="mash-timeliness-2026-11-01-to-2026-11-30.csv"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.body.decode())))
    received = {(r["key"], r["measure"]): r["value"] for r in rows if r["section"] == "referrals"}
    assert received[("amber", "received")] == "1" and received[("total", "received")] == "1"
    api = client.http.get(
        "/admin/reports/timeliness?from=2026-11-01&to=2026-11-30&format=csv",
        headers={"Authorization": f"Bearer {issuer.token_for('manager')}"},
    )
    strip = lambda body: [line for line in body.decode().splitlines() if "generated_at" not in line]  # noqa: E731
    assert strip(response.body) == strip(api.body)


@pytest.mark.parametrize(
    ("query", "messages"),
    [
        ("from-day=1&from-month=12&from-year=2026&to-day=1&to-month=11&to-year=2026",
         ["from (2026-12-01) is after to (2026-11-01): swap them"]),
        ("from-day=1&from-month=&from-year=2026&to-day=31&to-month=2&to-year=2026",
         ["The start date must include a month", "The end date must be a real date, like 14 3 2017"]),
        ("from-day=&from-month=&from-year=&to-day=1&to-month=1&to-year=2026", ["Enter the start date"]),
        ("from=2024-01-01&to=2026-01-01",
         ["A report covers at most 366 days; this range is 732 days: split it into shorter ranges"]),
        ("from=2026-01-01&to=2026-02-01&format=pdf", ["Choose the report as a page or as a CSV download"]),
    ],
)  # fmt: skip
def test_a_bad_range_is_an_error_summary(client: Any, browser: Any, query: str, messages: list[str]) -> None:
    response = browser("manager").get("/staff/reports/timeliness?" + query)
    assert response.status_code == 400
    assert error_summary(response) == messages
    assert page_text(response).startswith("Error: Timeliness report")
    assert "Download CSV" not in page_text(response)


# --- small things: the queue's risk flag, and back to the page asked for -------------------------


def test_the_queue_shows_the_immediate_risk_flag(client: Any, browser: Any) -> None:
    at_risk = submit(client, example("referral-protection.json") | {"immediate_risk": True})
    response = browser("practitioner").get("/staff/")
    row = re.search(rf"{at_risk}.*?</tr>", response.body.decode(), re.S).group(0)
    assert "Immediate risk" in row


def test_after_signing_in_a_person_returns_to_the_page_they_asked_for(client: Any, clock: Any) -> None:
    reference = submit(client)
    person = Browser(client)
    asked = f"/staff/referrals/{reference}?done=screening"
    response = person.get(asked)
    assert response.headers["Location"] == "/staff/sign-in?" + urllib.parse.urlencode({"next": asked})
    person.get(response.headers["Location"])
    person.get("/staff/local-sign-in")
    response = person.post("/staff/local-sign-in", {"staff": "practitioner"})
    assert (response.status_code, response.headers["Location"]) == (303, asked)
    assert "mash_staff_return" not in person.cookies  # used once
    assert person.get(asked).status_code == 200


@pytest.mark.parametrize(
    "next_path",
    ["https://evil.example/staff/", "//evil.example/staff/", "/\\evil.example", "/staff/../referral/start",
     "/staff//evil.example", "/other/page", "/staff/sign-out", "/staff/x\r\nSet-Cookie: a=b", "javascript:alert(1)",
     "/staff/%0d%0a", "/staff/é"],
)  # fmt: skip
def test_a_return_path_is_only_ever_a_console_page_on_this_site(client: Any, clock: Any, next_path: str) -> None:
    from chalicelib.web.console_session import safe_return_path

    assert safe_return_path(next_path) in (None, "/staff/%0d%0a")  # an encoded path is just a path
    person = Browser(client)
    person.get("/staff/sign-in?" + urllib.parse.urlencode({"next": next_path}))
    person.get("/staff/local-sign-in")
    response = person.post("/staff/local-sign-in", {"staff": "manager"})
    assert response.headers["Location"] in ("/staff/", "/staff/%0d%0a")


def test_a_referrers_documents_are_listed_and_downloaded_through_the_audited_link(
    client: Any, aws: Any, browser: Any
) -> None:
    from chalicelib.services.audit_trail import audit_trail
    from tests.test_referral_attachments import EXE, PDF, upload

    sent = client.http.post("/api/referrals", headers={"Content-Type": "application/json"},
                            body=json.dumps(support_referral()).encode())  # fmt: skip
    receipt = json.loads(sent.body)
    reference = receipt["reference"]
    [kept] = upload(client, aws, receipt, PDF)
    upload(client, aws, receipt, EXE, filename="run me.pdf")
    person = browser("practitioner")
    text = page_text(person.get(f"/staff/referrals/{reference}"))
    assert "school report.pdf (application/pdf" in text
    assert "run me.pdf: not kept" in text
    href = f"/staff/referrals/{reference}/attachments/{kept.attachment_id}"
    assert f'href="{href}"' in person.text()
    response = person.get(href)
    assert response.status_code == 303
    assert "X-Amz-Expires=60" in response.headers["Location"]
    [read] = [e for e in audit_trail(reference) if e.action.value == "attachment.read"]
    assert read.details == {"attachment": kept.attachment_id}
    assert person.get(f"/staff/referrals/{reference}/attachments/{'0' * 20}").status_code == 404
    assert browser("auditor").get(href).status_code == 403


def test_an_open_task_is_near_the_top_with_its_form_and_leaves_the_to_do_list_when_done(
    client: Any, staff: Any, browser: Any
) -> None:
    from tests.test_case_work_api import with_a_task

    reference, task_id = with_a_task(client, staff)
    person = browser("practitioner")
    text = page_text(person.get(f"/staff/referrals/{reference}"))
    assert text.index("To do") < text.index("Summary") and "Mark as done" in text and "Dismiss" in text
    assert f'name="task_id" value="{task_id}"' in person.text()

    refused = person.post(f"/staff/referrals/{reference}/task", {"task_id": task_id})
    assert refused.status_code == 400
    assert error_summary(refused) == ["Select whether the task is done or dismissed"]

    done = person.post(
        f"/staff/referrals/{reference}/task", {"task_id": task_id, "action": "dismiss", "note": "Sent in English"}
    )
    assert done.status_code == 303, person.text()
    page = page_text(person.get(done.headers["Location"]))
    assert "Task finished" in page and "Nothing to do." in page
    assert "dismissed" in page and "Note: Sent in English" in page


def test_a_note_is_added_from_the_referral_page_and_a_correction_points_at_it(
    client: Any, staff: Any, browser: Any
) -> None:
    reference = submit(client)
    person = browser("practitioner")
    assert "Add a note" in buttons(person.get(f"/staff/referrals/{reference}"))
    form = person.get(f"/staff/referrals/{reference}/note")
    assert 'data-module="govuk-character-count"' in person.text() and 'data-maxlength="10000"' in person.text()
    assert "Management oversight" in page_text(form)

    refused = person.post(f"/staff/referrals/{reference}/note", {"type": "phone_call"})
    assert (refused.status_code, error_summary(refused)) == (400, ["Enter the note"])
    done = person.post(f"/staff/referrals/{reference}/note", {"type": "phone_call", "text": "Rang the school"})
    assert done.status_code == 303, person.text()
    person.get(f"/staff/referrals/{reference}/note")
    done = person.post(
        f"/staff/referrals/{reference}/note", {"type": "correction", "corrects": "n1", "text": "Rang the nursery"}
    )
    assert done.status_code == 303, person.text()
    page = page_text(person.get(done.headers["Location"]))
    assert "Note added" in page and "Rang the school" in page and "Corrected by note n2" in page
    assert page.index("Case notes") < page.index("Summary")
    # Written by a person colleagues know, never by an id.
    assert "by Pat Practitioner" in page and f"by {SYNTHETIC_STAFF['practitioner'].id}" not in page


def test_the_chronology_page_lists_what_happened_with_who_and_when(client: Any, browser: Any) -> None:
    reference = submit(client)
    person = browser("practitioner")
    person.get(f"/staff/referrals/{reference}/note")
    person.post(f"/staff/referrals/{reference}/note", {"type": "phone_call", "text": "Rang the school"})
    assert f"/staff/referrals/{reference}/chronology" in person.text(person.get(f"/staff/referrals/{reference}"))
    page = page_text(person.get(f"/staff/referrals/{reference}/chronology"))
    assert person.last.status_code == 200
    assert "Referral received from an agency system" in page and "Phone call note added (note n1)" in page
    assert "Rang the school" in page and page.index("Referral received") < page.index("Phone call note")
    assert "Pat Practitioner Phone call note added (note n1)" in page  # who, by name, then what


def test_a_closed_referrals_chronology_and_notice_need_a_reason_and_keep_it_in_the_back_link(
    client: Any, browser: Any
) -> None:
    """The pages beside a closed referral's page read it as that page does: without a reason, back to
    the referral page (which asks why); with one, read, and the way back carries it."""
    reference = submit(client)
    practitioner = browser("practitioner")
    screen(practitioner, reference, rag="green", level="1")
    decide(practitioner, reference, "no_further_action")
    assert act(practitioner, reference, "closure", {}).status_code == 303
    for page in ("chronology", "notices/ack"):
        unasked = practitioner.get(f"/staff/referrals/{reference}/{page}")
        assert unasked.status_code == 303 and unasked.headers["Location"] == f"/staff/referrals/{reference}"
        asked = practitioner.get(f"/staff/referrals/{reference}/{page}?access_reason=quality_audit")
        assert asked.status_code == 200, page
        assert f'href="/staff/referrals/{reference}?reason=quality_audit"' in practitioner.text(asked)
    assert (
        practitioner.get(f"/staff/referrals/{reference}/notices/no%20such?access_reason=quality_audit").status_code
        == 404
    )
