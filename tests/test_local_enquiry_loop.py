"""The agency enquiry loop on `make run`'s stack, over HTTP: staff open enquiries to the police and
health, the topic's filter policies put each on its agency's queue, the pump hands them to the
agency handlers, the request emails reach the local outbox; the police answer through the outbox's
"Reply as the agency" form, the reply goes into the inbound bucket, its notification reaches the
inbound mail handler, and the enquiry is answered in the whole picture."""

from __future__ import annotations

import importlib.util
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import requests

from deploy.names import EXPORT_PREFIX
from local.stack import LocalStack
from tests.factories import EXAMPLES_DIR

QUESTION = "Please tell us of any contact with the family in the last 12 months"
REPLY = "Known to us: one call-out to the address in May, no further action."
INBOUND_PIPELINE = importlib.util.find_spec("chalicelib.services.receive_reply") is not None


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    running = LocalStack.active()
    if running is not None:  # one stack per process: share the browser tests' one
        yield running
        return
    with LocalStack(pump_interval=None) as started:
        yield started


@pytest.fixture(scope="module")
def practitioner(stack: LocalStack) -> dict[str, str]:
    """A practitioner's token from the issuer whose JWKS the stack reads (as `make token` does)."""
    from chalicelib.settings import get_settings
    from local.issuer import LocalIssuer

    issuer = LocalIssuer(Path(get_settings().local_jwks_path).resolve().parent)
    return {"Authorization": f"Bearer {issuer.token_for('practitioner')}"}


def settle(stack: LocalStack, done: Callable[[], Any], seconds: float = 20) -> Any:
    """Deliver events until `done()` answers something true (a running pump thread may be first)."""
    deadline = time.monotonic() + seconds
    while True:
        stack.pump_once()
        answer = done()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def screened_referral(stack: LocalStack, practitioner: dict[str, str]) -> str:
    referral = json.loads((EXAMPLES_DIR / "referral-support.json").read_text())
    sent = requests.post(stack.app_url + "/api/referrals", json=referral, timeout=10)
    assert sent.status_code == 201, sent.text
    reference = sent.json()["reference"]
    screening = {"rag": "amber", "level": 3, "rationale": "Needs a multi-agency picture"}
    answer = requests.post(
        f"{stack.app_url}/admin/referrals/{reference}/screening", json=screening, headers=practitioner, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return str(reference)


def open_enquiries(stack: LocalStack, practitioner: dict[str, str], reference: str) -> None:
    body = {"agencies": ["police", "health"], "question": QUESTION}
    answer = requests.post(
        f"{stack.app_url}/admin/referrals/{reference}/enquiries", json=body, headers=practitioner, timeout=10
    )
    assert answer.status_code == 201, answer.text


def decide_and_approve(stack: LocalStack, practitioner: dict[str, str], reference: str, outcome: str) -> None:
    from chalicelib.settings import get_settings
    from local.issuer import LocalIssuer

    issuer = LocalIssuer(Path(get_settings().local_jwks_path).resolve().parent)
    manager = {"Authorization": f"Bearer {issuer.token_for('manager')}"}
    url = f"{stack.app_url}/admin/referrals/{reference}/decision"
    body = {"outcome": outcome, "reasons": "Synthetic: needs an assessment"}
    assert requests.post(url, json=body, headers=practitioner, timeout=10).status_code == 200
    approved = requests.post(url + "/approval", json={"approve": True}, headers=manager, timeout=10)
    assert approved.status_code == 200, approved.text


def request_emails(stack: LocalStack, reference: str) -> dict[str, dict[str, Any]]:
    """The information requests for this referral in the local outbox, by recipient."""
    emails = requests.get(stack.app_url + "/_local/outbox.json", timeout=10).json()["emails"]
    return {
        recipient: e
        for e in emails
        if reference in e["subject"] and e["subject"].startswith("Information request")
        for recipient in e["recipients"]
    }


def picture(stack: LocalStack, practitioner: dict[str, str], reference: str) -> dict[str, Any]:
    answer = requests.get(f"{stack.app_url}/admin/referrals/{reference}", headers=practitioner, timeout=10)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def reply_through_the_outbox(stack: LocalStack, message_id: str, text: str, verdict: str = "pass") -> str:
    """As a tester at the outbox page: the form's prefilled sender, the text, the verdicts. Returns
    the confirmation page."""
    browser = requests.Session()
    page = browser.get(stack.app_url + "/_local/outbox", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token and f"/_local/outbox/{message_id}/reply" in page
    form = page[page.index(f'action="/_local/outbox/{message_id}/reply"') :]
    sender = re.search(r'name="from" type="email" spellcheck="false" value="([^"]+)"', form)
    assert sender, "the From field is prefilled"
    answer = browser.post(
        f"{stack.app_url}/_local/outbox/{message_id}/reply",
        data={"csrf_token": token.group(1), "from": sender.group(1), "text": text, "verdict": verdict},
        timeout=10,
    )
    assert answer.status_code == 200 and answer.url.startswith(stack.app_url + "/_local/outbox?replied=")
    assert "Reply sent as the agency" in answer.text
    return sender.group(1)


def test_the_request_emails_reach_the_outbox_with_a_reply_form_each(
    stack: LocalStack, practitioner: dict[str, str]
) -> None:
    reference = screened_referral(stack, practitioner)
    open_enquiries(stack, practitioner, reference)
    emails = settle(stack, lambda: (found := request_emails(stack, reference)) and len(found) == 2 and found)
    assert sorted(emails) == ["mash-checks@health.example", "mash-checks@police.example"]
    page = requests.get(stack.app_url + "/_local/outbox", timeout=10).text
    for email in emails.values():
        assert f'action="/_local/outbox/{email["message_id"]}/reply"' in page
    assert 'value="officer@police.example"' in page and 'value="officer@health.example"' in page


@pytest.mark.skipif(
    not INBOUND_PIPELINE,
    reason="needs the inbound pipeline (chalicelib/services/receive_reply.py, receive_notification) on main",
)
def test_a_police_reply_through_the_outbox_answers_the_police_enquiry(
    stack: LocalStack, practitioner: dict[str, str]
) -> None:
    reference = screened_referral(stack, practitioner)
    open_enquiries(stack, practitioner, reference)
    emails = settle(stack, lambda: (found := request_emails(stack, reference)) and len(found) == 2 and found)
    assert sorted(emails) == ["mash-checks@health.example", "mash-checks@police.example"]

    sender = reply_through_the_outbox(stack, emails["mash-checks@police.example"]["message_id"], REPLY)
    assert sender == "officer@police.example"

    def answered() -> dict[str, Any] | None:
        enquiries = {e["agency"]: e for e in picture(stack, practitioner, reference)["enquiries"]}
        return enquiries if enquiries["police"]["state"] == "answered" else None

    enquiries = settle(stack, answered)
    assert enquiries, f"the police enquiry was not answered: {picture(stack, practitioner, reference)['enquiries']}"
    assert enquiries["police"]["answered_at"] and len(enquiries["police"]["reply_ids"]) == 1
    assert enquiries["health"]["state"] == "requested" and enquiries["health"]["reply_ids"] == []


# -- The deployed IAM policies cover what the handlers really did in the loop ---------------------

# An operation's IAM actions (most are `service:Operation`); a transaction is authorised per item.
TRANSACT_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
S3_ACTIONS = {
    "HeadObject": ["s3:GetObject"],
    "CopyObject": ["s3:PutObject"],  # and s3:GetObject on the source, recorded beside it
    "DeleteObjects": ["s3:DeleteObject"],
    "ListObjectsV2": ["s3:ListBucket"],
}
SERVICES = ("dynamodb", "kms", "ses", "sns", "s3", "sqs")


def iam_calls(service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(IAM action, S3 object key or None) for one API call."""
    if service == "dynamodb" and operation == "TransactWriteItems":
        return [(TRANSACT_ITEM_ACTIONS[kind], None) for item in params["TransactItems"] for kind in item]
    if service == "sns" and operation == "PublishBatch":
        return [("sns:Publish", None)]
    if service == "s3":
        key = params.get("Key")
        if operation == "CopyObject":
            source = params["CopySource"]  # botocore may have made the dict "bucket/key" already
            source_key = source["Key"] if isinstance(source, dict) else unquote(source.split("?")[0].split("/", 1)[1])
            return [("s3:GetObject", source_key), ("s3:PutObject", key)]
        if operation == "ListObjectsV2":
            return [("s3:ListBucket", (params.get("Prefix") or "") + "*")]
        if operation == "DeleteObjects":
            return [("s3:DeleteObject", o["Key"]) for o in params["Delete"]["Objects"]]
        return [(action, key) for action in S3_ACTIONS.get(operation, [f"s3:{operation}"])]
    return [(f"{service}:{operation}", None)]


def allowed(function: Any, action: str, key: str | None) -> bool:
    """Does the function's policy (deploy/policies.py) allow the action (on the object key)?"""
    from deploy.policies import POLICIES

    for statement in POLICIES[function.chalice_name]():
        if statement["Effect"] != "Allow" or action not in statement["Action"]:
            continue
        if key is None:
            return True
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:
            pattern = json.dumps(resource)
            prefix = re.search(r"Arn\}/([^*\"]*)\*", pattern)
            if prefix and key.startswith(prefix.group(1)):
                return True
    return False


@pytest.fixture
def recorded(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> dict[str, set[tuple[str, str | None]]]:
    """Every AWS call each event handler makes through the app's clients while the pump runs it."""
    import threading

    from chalicelib.wiring import wiring

    current = threading.local()
    calls: dict[str, set[tuple[str, str | None]]] = {}

    def hook(params: dict[str, Any], model: Any, **_: Any) -> None:
        name = getattr(current, "name", None)
        if name is not None:
            service = model.service_model.endpoint_prefix
            service = "ses" if service == "email" else service
            try:
                made = iam_calls(service, model.name, params)
            except Exception as error:  # never break the handler: fail the test instead
                made = [(f"unreadable {service}:{model.name} ({type(error).__name__})", None)]
            calls.setdefault(name, set()).update(made)

    for service in SERVICES:
        wiring().aws_client(service).meta.events.register("before-parameter-build", hook)

    def tracing(name: str, handler: Any) -> Any:
        def traced(event: Any, context: Any) -> Any:
            current.name = name
            try:
                return handler(event, context)
            finally:
                current.name = None

        return traced

    assert stack.app is not None
    for source in stack.app.event_sources:
        monkeypatch.setitem(
            stack.app.handler_map, source.name, tracing(source.name, stack.app.handler_map[source.name])
        )
    yield calls
    for service in SERVICES:
        wiring().aws_client(service).meta.events.unregister("before-parameter-build", hook)


@pytest.mark.skipif(not INBOUND_PIPELINE, reason="needs the inbound pipeline (chalicelib/services/receive_reply.py)")
def test_the_deployed_policies_allow_every_call_the_handlers_made(
    stack: LocalStack, practitioner: dict[str, str], recorded: dict[str, set[tuple[str, str | None]]]
) -> None:
    from deploy import names

    reference = screened_referral(stack, practitioner)
    open_enquiries(stack, practitioner, reference)
    emails = settle(stack, lambda: (found := request_emails(stack, reference)) and len(found) == 2 and found)
    police = emails["mash-checks@police.example"]["message_id"]
    reply_through_the_outbox(stack, police, REPLY)
    reply_through_the_outbox(stack, police, "This one carries a virus", verdict="virus")

    def both_replies_handled() -> bool:
        made = recorded.get("inbound_mail", set())
        return any(action == "s3:PutObject" and (key or "").startswith("quarantine/") for action, key in made) and any(
            action == "dynamodb:TransactWriteItems" or action == "dynamodb:PutItem" for action, _ in made
        )

    assert settle(stack, both_replies_handled, seconds=10), recorded
    # SES's delivery event for the request email (topic -> mail events queue -> ses_events). Not a
    # bounce: it would put the police mailbox on the suppression list for the rest of the module.
    published = requests.post(f"{stack.app_url}/_local/outbox/{police}/delivery", json={}, timeout=10)
    assert published.status_code == 202, published.text
    delivered = {"dynamodb:GetItem", "dynamodb:UpdateItem"}
    assert settle(stack, lambda: delivered <= {a for a, _ in recorded.get("ses_events", set())}, seconds=10), recorded

    # A section 17 assessment approved: the approval hands the export to the export topic, and the
    # case_exports function exports the referral (its replies read from the referral's partition) to
    # the case system's drop folder.
    decide_and_approve(stack, practitioner, reference, "child_and_family_assessment_s17")

    def exported() -> bool:
        made = recorded.get("case_exports", set())
        return any(action == "s3:PutObject" and (key or "").startswith(EXPORT_PREFIX) for action, key in made)

    assert settle(stack, exported, seconds=10), recorded

    functions = {f.chalice_name: f for f in names.FUNCTIONS}
    assert {"agency_requests_police", "agency_requests_health", "inbound_mail", "ses_events", "case_exports"} <= set(
        recorded
    )
    denied = {
        name: sorted((action, key) for action, key in made if not allowed(functions[name], action, key))
        for name, made in recorded.items()
    }
    assert {name: missing for name, missing in denied.items() if missing} == {}, recorded


# -- The reply form in a browser: axe finds nothing on the form, its error and its confirmation ---

CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium: run `make chromium`")
def test_the_reply_form_is_accessible_in_a_browser(stack: LocalStack, practitioner: dict[str, str]) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    reference = screened_referral(stack, practitioner)
    open_enquiries(stack, practitioner, reference)
    assert settle(stack, lambda: len(request_emails(stack, reference)) == 2)
    axe = Axe()

    def no_violations(page: Any, state: str) -> None:
        page.wait_for_load_state("load")
        violations = axe.run(page).response["violations"]
        assert violations == [], f"axe on the outbox ({state}): " + json.dumps(
            [{"id": v["id"], "nodes": [n["html"][:200] for n in v["nodes"]][:3]} for v in violations]
        )

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.set_default_timeout(10_000)
            page.goto(stack.app_url + "/_local/outbox")
            no_violations(page, "page")
            police = page.locator("section", has_text="mash-checks@police.example").first
            police.get_by_text("Reply as the agency", exact=True).click()
            police.get_by_role("button", name="Send reply as the agency").click()
            no_violations(page, "error")
            assert page.locator(".govuk-error-summary__list a").all_inner_texts() == ["Enter the reply text"]
            page.locator(".govuk-error-summary__list a").first.click()  # the link takes you to the field
            focused = page.evaluate("document.activeElement.id")
            assert focused.startswith("text-")
            page.locator(f"#{focused}").fill("Known to us: nothing recent.")
            page.locator(f"#{focused}").locator("xpath=ancestor::form").get_by_role("button").click()
            no_violations(page, "confirmation")
            assert "Reply sent as the agency" in page.locator(".govuk-notification-banner").inner_text()
        finally:
            browser.close()
