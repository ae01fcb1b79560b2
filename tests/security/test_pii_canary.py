"""PII canary run: every flow that exists, canaries in every personal field; none may show in clear.

Looked for in: every table item (a scan), the logs (Powertools' stdout and stdlib logging with
every record's extras), every URL (requests, redirect Locations, links in every page), every
error response, and every SNS/SQS message body (`published_bodies`; none are sent yet).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib.adapters.mailer import InMemoryMailer
from local.issuer import SYNTHETIC_STAFF, LocalIssuer
from tests.conftest import table_items
from tests.factories import canary_referral
from tests.security.test_xss import free_text_fields
from tests.staff_issuer import issuer_in
from tests.test_public_form import CHILD, CONCERNS, CONSENT, PARENT, REFERRER, Browser

THURSDAY_10AM = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
LINK = re.compile(r"""(?:href|src|action)\s*=\s*["']([^"']*)["']""", re.I)


@dataclass
class Recorder:
    """Every request and response through chalice.test's client, for the URL and error checks."""

    exchanges: list[tuple[str, Any]] = field(default_factory=list)

    def wrap(self, client: Any) -> None:
        original = client.http.request

        def request(method: str, path: str, headers: Any = None, body: bytes = b"") -> Any:
            response = original(method, path, headers=headers, body=body)
            self.exchanges.append((path, response))
            return response

        client.http.request = request

    def urls(self) -> list[str]:
        found = []
        for path, response in self.exchanges:
            found.append(path)
            found.append(response.headers.get("Location", ""))
            if response.headers.get("Content-Type", "").startswith("text/html"):
                found += LINK.findall(response.body.decode())
        return [url for url in found if url]

    def error_bodies(self) -> list[str]:
        return [f"{path} {r.status_code} {r.body.decode()}" for path, r in self.exchanges if r.status_code >= 400]


class Canaries:
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self._next = itertools.count()

    def new(self) -> str:
        token = f"CANARYX{next(self._next):03d}zq"  # X: apart from tests.factories' CANARY000zq...
        self.tokens.append(token)
        return token

    def mark(self, answers: dict[str, Any]) -> dict[str, Any]:
        """The page's answers with a canary in every free-text field (and in the email address)."""
        fields = free_text_fields()
        marked = {key: f"{value} {self.new()}" if key in fields and value else value for key, value in answers.items()}
        if "email" in marked:
            marked["email"] = f"{self.new().lower()}@family.example"
        return marked

    def found_in(self, text: str) -> list[str]:
        lowered = text.lower()
        return [token for token in self.tokens if token.lower() in lowered]


def published_bodies(hub: Any) -> list[str]:
    """Every SNS message published and every SQS message waiting, as moto holds them."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends
    from moto.sqs.models import sqs_backends

    region = hub.settings.aws_region
    bodies = [
        message
        for topic in sns_backends[DEFAULT_ACCOUNT_ID][region].topics.values()
        for message in getattr(topic, "sent_notifications", [])
    ]
    for queue in sqs_backends[DEFAULT_ACCOUNT_ID][region].queues.values():
        bodies += [message.body for message in queue._messages]
    return [json.dumps(body, default=str) for body in bodies]


@pytest.fixture(autouse=True)  # autouse: it sets the JWKS path before `aws` reads the settings
def issuer(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> LocalIssuer:
    issuer = issuer_in(tmp_path_factory.mktemp("issuer"))
    monkeypatch.setenv("MASH_LOCAL_JWKS_PATH", str(issuer.jwks_path))
    return issuer


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], str]]:
    """All log output so far: Powertools' JSON lines on stdout and every stdlib record with its extras."""
    hub_logger = logging.getLogger("mash-hub")
    hub_logger.addHandler(caplog.handler)
    with caplog.at_level(logging.INFO):
        yield lambda: capsys.readouterr().out + "\n".join(json.dumps(vars(r), default=str) for r in caplog.records)
    hub_logger.removeHandler(caplog.handler)


@pytest.fixture
def hub(issuer: LocalIssuer, aws: Any) -> Any:
    aws.clock = lambda: THURSDAY_10AM
    return aws


def staff_call(client: Any, issuer: LocalIssuer) -> Callable[..., Any]:
    def call(role: str, method: str, path: str, body: Any = None) -> Any:
        token = issuer.sign(issuer.claims_for(SYNTHETIC_STAFF[role]))
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        return client.http.request(method, path, headers=headers, body=json.dumps(body).encode() if body else b"")

    return call


def fill_form(browser: Browser, canaries: Canaries, route: str) -> str:
    before = len(canaries.tokens)
    browser.get("/referral/immediate-risk")
    browser.answer("/referral/immediate-risk", {"immediate_risk": "no"})
    browser.answer("/referral/route", {"route": route})
    browser.answer("/referral/about-you", canaries.mark(REFERRER))
    browser.answer("/referral/child/1", canaries.mark({**CHILD, "disability": "asthma", "address-line2": "Flat 2"}))
    browser.answer("/referral/children", {"add_another": "no"})
    browser.answer("/referral/parents", {"add_another": "yes"})
    browser.answer("/referral/parent/1", canaries.mark(PARENT))
    browser.answer("/referral/parents", {"add_another": "no"})
    browser.answer("/referral/household", {"add_another": "no"})
    browser.answer("/referral/risks", {"add_another": "no"})
    browser.answer("/referral/concerns", canaries.mark(CONCERNS))
    if route == "protection":
        browser.answer("/referral/consent", canaries.mark({"informed": "no", "reason_not_informed": "Risk to Sam."}))
    else:
        browser.answer("/referral/consent", canaries.mark(CONSENT))
    check = browser.get("/referral/check")
    ours = canaries.tokens[before:]
    assert [token for token in ours if token.lower() not in check.body.decode().lower()] == []  # all in the draft
    browser.post("/referral/check", {})
    confirmation = browser.get("/referral/confirmation").body.decode()
    return re.search(r"<strong>([A-Z0-9-]+)</strong>", confirmation).group(1)


def test_no_canary_escapes_from_any_flow(client: Any, hub: Any, issuer: LocalIssuer, logs: Callable[[], str]) -> None:
    recorder, canaries = Recorder(), Canaries()
    recorder.wrap(client)
    staff = staff_call(client, issuer)
    references = [fill_form(Browser(client), canaries, route) for route in ("support", "protection")]

    for route in ("support", "protection"):
        referral, tokens = canary_referral(route)
        canaries.tokens += tokens
        answer = client.http.post(
            "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(referral)
        )
        assert answer.status_code == 201
        references.append(json.loads(answer.body)["reference"])
        # An invalid copy: its 422 names fields, never values.
        referral["referrer"]["email"] = canaries.new()
        referral["children"][0]["address"]["postcode"] = canaries.new()
        assert client.http.post("/api/referrals", headers={"Content-Type": "application/json"},
                                body=json.dumps(referral)).status_code == 422  # fmt: skip

    # The outbox: SES fails on the next submission; the sweep sends it later.
    mailer = InMemoryMailer()
    hub.use(mailer=mailer)
    mailer.fail_next("Throttling", retryable=True)
    referral, tokens = canary_referral("support")
    canaries.tokens += tokens
    retried = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(referral)
    )
    references.append(json.loads(retried.body)["reference"])
    hub.clock = lambda: THURSDAY_10AM + dt.timedelta(minutes=5)
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])
    assert client.lambda_.invoke("outbox_sweep", event).payload["sent"] == 1
    [message] = mailer.sent  # its To is the referrer's address, as it must be; the body says nothing
    assert canaries.found_in(message.get_body(("plain",)).get_content() + str(message["Subject"])) == []

    # Staff: view, screen, decide, return, decide again, approve, audit; each with canaries in their text.
    for reference in references:
        assert staff("practitioner", "GET", f"/admin/referrals/{reference}").status_code == 200
    first = references[0]
    steps = [
        (
            "practitioner",
            f"/admin/referrals/{first}/screening",
            {"rag": "amber", "level": 3, "rationale": canaries.new()},
        ),
        (
            "practitioner",
            f"/admin/referrals/{first}/decision",
            {"outcome": "child_and_family_assessment_s17", "reasons": canaries.new()},
        ),
        ("manager", f"/admin/referrals/{first}/decision/approval", {"approve": False, "reason": canaries.new()}),
        (
            "practitioner",
            f"/admin/referrals/{first}/decision",
            {"outcome": "child_and_family_assessment_s17", "reasons": canaries.new()},
        ),
        ("manager", f"/admin/referrals/{first}/decision/approval", {"approve": True}),
        ("practitioner", f"/admin/referrals/{first}/screening", {"rag": canaries.new(), "level": 9, "rationale": ""}),
    ]
    statuses = [staff(role, "POST", path, body).status_code for role, path, body in steps]
    assert statuses[:5] == [200] * 5 and statuses[5] in (409, 422), statuses
    assert staff("auditor", "GET", f"/admin/audit?reference={first}").status_code == 200

    # Now look everywhere.
    dump = json.dumps(table_items(hub), default=repr)
    assert all(reference in dump for reference in references)  # the scan saw every referral
    assert canaries.found_in(dump) == []
    log_text = logs()
    assert references[0] in log_text  # the logs really were captured
    assert canaries.found_in(log_text) == []
    assert len(recorder.urls()) > 100 and len(recorder.error_bodies()) >= 3  # there was plenty to look at
    assert canaries.found_in("\n".join(recorder.urls())) == []
    assert canaries.found_in("\n".join(recorder.error_bodies())) == []
    assert canaries.found_in("\n".join(published_bodies(hub))) == []
    assert len(canaries.tokens) >= 60


def test_no_search_term_escapes_into_logs_the_table_or_an_answer(
    client: Any, hub: Any, issuer: LocalIssuer, logs: Callable[[], str]
) -> None:
    """Searches by names that carry canaries (found, not found, refused), through the staff API and
    the console. The API takes its terms in the query string (its request URLs are not checked
    here: nothing logs a query string); the console posts them, so no console URL may hold one."""
    import urllib.parse

    from tests.test_console import Browser as ConsoleBrowser

    canaries = Canaries()
    referral, tokens = canary_referral("protection")  # names every kind of person
    canaries.tokens += tokens
    answer = client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(referral))
    reference = json.loads(answer.body)["reference"]
    child, adult = referral["children"][0], referral["parents_carers"][0]["name"]
    assert canaries.found_in(child["last_name"]) and canaries.found_in(adult)

    staff = staff_call(client, issuer)
    asked = [
        ({"name": child["last_name"]}, 200),
        ({"name": adult}, 200),
        ({"name": f"{child['first_name']} {child['last_name']}", "dob": child["date_of_birth"][:7]}, 200),
        ({"name": canaries.new()}, 200),  # not found
        ({"postcode": canaries.new()}, 422),
        ({"reference": canaries.new()}, 422),
        ({"dob": canaries.new()}, 422),
        ({"name": child["last_name"], "dob": canaries.new()}, 422),
    ]
    answers = []
    for query, status in asked:
        response = staff("practitioner", "GET", "/admin/search?" + urllib.parse.urlencode(query))
        assert response.status_code == status, (query, response.body)
        answers.append(response.body.decode())
    assert [r["reference"] for r in json.loads(answers[0])["referrals"]] == [reference]

    recorder = Recorder()
    recorder.wrap(client)  # from here: the console, whose URLs are checked
    person = ConsoleBrowser(client).sign_in("manager")
    person.get("/staff/search")
    found = person.post("/staff/search", {"name": adult})
    assert found.status_code == 200 and reference in found.body.decode()
    person.get("/staff/search")
    assert person.post("/staff/search", {"name": child["last_name"], "postcode": canaries.new()}).status_code == 400

    dump = json.dumps(table_items(hub), default=repr)
    assert reference in dump and "referrals.searched" in dump  # the searches were audited, and the scan saw them
    assert canaries.found_in(dump) == []
    assert canaries.found_in(logs()) == []
    assert canaries.found_in("\n".join(recorder.urls())) == []
    # An answer holds no term: a result shows the children's first names (which are canaries here), a
    # refusal only its advice.
    first_names = canaries.found_in(" ".join(c["first_name"] for c in referral["children"]))
    assert set(canaries.found_in("\n".join(answers[:3]))) == set(first_names)
    assert canaries.found_in("\n".join(answers[3:])) == []


def test_no_canary_escapes_from_the_practitioners_day(
    client: Any, hub: Any, issuer: LocalIssuer, logs: Callable[[], str]
) -> None:
    """The practitioner's day and its hand-offs, canaries in every free text staff type: an advice
    call (caller, organisation, about whom, advice) made into a referral, ownership, case notes and a
    correction, a task finished with a note, a link and its removal with reasons, an export owed and
    handed to the export topic, and the reads of all of them (chronology, my work, advice list)."""
    recorder, canaries = Recorder(), Canaries()
    recorder.wrap(client)
    staff = staff_call(client, issuer)

    call = {
        "called_at": THURSDAY_10AM.isoformat(),
        "caller_kind": "professional",
        "caller_agency": "health",
        "caller_name": canaries.new(),
        "caller_organisation": canaries.new(),
        "caller_phone": f"07700 900{len(canaries.tokens):03d} {canaries.new()}",
        "about": canaries.new(),
        "names": canaries.new(),
        "advice": canaries.new(),
        "outcome": "referral_invited",
    }
    recorded = staff("practitioner", "POST", "/admin/advice-contacts", call)
    assert recorded.status_code == 201, recorded.body
    contact_id = json.loads(recorded.body)["contact_id"]
    referral, tokens = canary_referral("support")
    canaries.tokens += tokens
    made = staff("practitioner", "POST", f"/admin/advice-contacts/{contact_id}/referral", referral)
    assert made.status_code == 201, made.body
    first = json.loads(made.body)["reference"]
    sibling, tokens = canary_referral("protection")
    canaries.tokens += tokens
    second = json.loads(
        client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(sibling)).body
    )["reference"]

    steps = [
        ("practitioner", f"/admin/referrals/{first}/allocation", {"to": "me"}, 200),
        ("practitioner", f"/admin/referrals/{first}/notes", {"type": "phone_call", "text": canaries.new()}, 201),
        ("practitioner", f"/admin/referrals/{first}/links",
         {"other": second, "kind": "siblings", "reason": canaries.new()}, 200),
        ("manager", f"/admin/referrals/{first}/links/{second}/removal", {"reason": canaries.new()}, 200),
        ("practitioner", f"/admin/referrals/{first}/screening", {"rag": "amber", "level": 3,
                                                                 "rationale": canaries.new()}, 200),
        ("practitioner", f"/admin/referrals/{first}/decision",
         {"outcome": "child_and_family_assessment_s17", "reasons": canaries.new()}, 200),
        ("manager", f"/admin/referrals/{first}/decision/approval", {"approve": True}, 200),
        ("manager", f"/admin/referrals/{first}/export", {}, 202),
    ]  # fmt: skip
    for role, path, body, status in steps:
        answer = staff(role, "POST", path, body)
        assert answer.status_code == status, (path, answer.body)
        if path.endswith("/notes"):
            note_id = json.loads(answer.body)["note"]["id"]
    correction = {"type": "correction", "text": canaries.new(), "corrects": note_id}
    assert staff("practitioner", "POST", f"/admin/referrals/{first}/notes", correction).status_code == 201
    tasks = json.loads(staff("practitioner", "GET", f"/admin/referrals/{first}").body)["tasks"]
    open_tasks = [task for task in tasks if task["done_at"] is None]
    assert open_tasks, tasks  # a referral made from a call has work to do
    finished = {"action": "complete", "note": canaries.new()}
    assert (
        staff("practitioner", "POST", f"/admin/referrals/{first}/tasks/{open_tasks[0]['id']}", finished).status_code
        == 200
    )

    # The sweep hands the export to the export topic (the reference and the export's id only).
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])
    client.lambda_.invoke("outbox_sweep", event)
    for path in (f"/admin/referrals/{first}/chronology", "/admin/my-work", "/admin/advice-contacts",
                 f"/admin/advice-contacts/{contact_id}", f"/admin/referrals/{first}"):  # fmt: skip
        assert staff("practitioner", "GET", path).status_code == 200, path

    dump = json.dumps(table_items(hub), default=repr)
    assert first in dump and contact_id in dump  # the scan saw the referral and the call
    assert canaries.found_in(dump) == []
    log_text = logs()
    assert first in log_text
    assert canaries.found_in(log_text) == []
    assert canaries.found_in("\n".join(recorder.urls())) == []
    assert canaries.found_in("\n".join(recorder.error_bodies())) == []
    bodies = published_bodies(hub)
    assert any(first in body for body in bodies)  # the export's hand-over was looked at
    assert canaries.found_in("\n".join(bodies)) == []
