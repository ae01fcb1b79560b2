"""Nights, weekends and bank holidays over HTTP under moto: the acknowledgement email, the API's
next_steps and the confirmation page say what will really happen; the emergency duty team (EDT)
is alerted through the outbox with no family details; the EDT opens (audited), notes and hands over;
the morning queue shows handed-over referrals first."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import sent_emails, table_items
from tests.factories import canary_referral, protection_referral, support_referral
from tests.test_console import Browser, page_text

pytestmark = pytest.mark.usefixtures("issuer")

LONDON = ZoneInfo("Europe/London")
JSON = {"Content-Type": "application/json"}
OFFICE, OUT_OF_HOURS = "020 7946 0990", "020 7946 0991"  # the local stage's (Ofcom drama) numbers


def london(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=LONDON).astimezone(dt.UTC)


FRIDAY_1701 = london(2026, 12, 4, 17, 1)  # GMT
SATURDAY_0200 = london(2026, 12, 5, 2, 0)
MONDAY_0859 = london(2026, 12, 7, 8, 59)
MONDAY_0900 = london(2026, 12, 7, 9, 0)
BANK_HOLIDAY = london(2026, 8, 31, 14, 30)  # Summer bank holiday, BST: 13:30 UTC
NIGHTS = [
    pytest.param(FRIDAY_1701, "Monday 7 December", id="friday-17:01"),
    pytest.param(SATURDAY_0200, "Monday 7 December", id="saturday-02:00"),
    pytest.param(BANK_HOLIDAY, "Tuesday 1 September", id="bank-holiday"),
    pytest.param(MONDAY_0859, "Monday 7 December", id="monday-08:59"),
]


def at(hub: Any, moment: dt.datetime) -> None:
    hub.clock = lambda: moment


def post(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    response = client.http.post("/api/referrals", headers=JSON, body=json.dumps(body))
    assert response.status_code == 201, response.body
    return json.loads(response.body)


def mail_text(message: Any) -> str:
    """Subject, plain text and HTML of an email, as one string (entities decoded)."""
    import html

    parts = [str(message["Subject"])]
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            parts.append(html.unescape(part.get_content()))
    return re.sub(r"\s+", " ", "\n".join(parts))


def emails_to(hub: Any, address: str) -> list[Any]:
    return [m for m in sent_emails(hub) if str(m["To"]) == address]


def confirmation_page(client: Any, reference: str) -> str:
    """The page a form sender sees: the receipt cookie the form sets names the referral."""
    from chalicelib.web import form_session

    cookie = form_session.receipt_cookie(reference, "s" * 43).split(";")[0]
    response = client.http.get("/referral/confirmation", headers={"Cookie": cookie})
    assert response.status_code == 200
    return page_text(response)


def edt_mailbox(hub: Any) -> str:
    return hub.settings.out_of_hours_mailbox


# --- what the referrer is told, and the alert ----------------------------------------------------


@pytest.mark.parametrize(("moment", "opens"), NIGHTS)
def test_out_of_hours_a_protection_referral_is_told_the_edt_knows_and_the_edt_is_alerted(
    aws: Any, client: Any, moment: dt.datetime, opens: str
) -> None:
    at(aws, moment)
    body = protection_referral()
    answer = post(client, body)
    reference = answer["reference"]

    assert "the emergency duty team has been told" in answer["next_steps"]
    assert f"ring the out-of-hours number now: {OUT_OF_HOURS}" in answer["next_steps"]
    assert f"when the office opens on {opens}" in answer["next_steps"]
    assert "today" not in answer["next_steps"]

    [ack] = emails_to(aws, body["referrer"]["email"])
    ack_text = mail_text(ack)
    assert "the emergency duty team has been told about your referral" in ack_text
    assert f"ring the out-of-hours number now: {OUT_OF_HOURS}" in ack_text
    assert f"when the office opens on {opens}" in ack_text
    assert "look at your referral today" not in ack_text

    page = confirmation_page(client, reference)
    assert "the emergency duty team has been told about your referral" in page
    assert f"ring the out-of-hours number now: {OUT_OF_HOURS}" in page
    assert f"when the office opens on {opens}" in page

    [alert] = emails_to(aws, edt_mailbox(aws))
    alert_text = mail_text(alert)
    assert f"Out-of-hours protection referral {reference}" in str(alert["Subject"])
    assert f"/staff/referrals/{reference}" in alert_text
    assert "Proposed level of need: 4" in alert_text and "Concern categories: physical_abuse" in alert_text
    notices = {n.notice_id: n for n in aws.referrals.fetch(reference).notices}
    assert notices["edt-alert"].status.value == "sent" and notices["edt-alert"].recipient == "emergency_duty_team"


def test_monday_at_nine_the_office_is_open_nothing_alerts_and_it_says_today(aws: Any, client: Any) -> None:
    at(aws, MONDAY_0900)
    body = protection_referral(immediate_risk=True)
    answer = post(client, body)
    assert answer["next_steps"].startswith("A MASH social worker will screen the referral today.")
    assert f"ring now on {OFFICE}" in answer["next_steps"]
    ack_text = mail_text(emails_to(aws, body["referrer"]["email"])[0])
    assert "A MASH social worker will look at your referral today" in ack_text
    assert "emergency duty team" not in ack_text
    assert "A MASH social worker will look at your referral today" in confirmation_page(client, answer["reference"])
    assert emails_to(aws, edt_mailbox(aws)) == []
    assert [n.kind.value for n in aws.referrals.fetch(answer["reference"]).notices] == ["acknowledgement"]


def test_a_support_referral_at_two_on_saturday_is_told_monday_and_alerts_no_one(aws: Any, client: Any) -> None:
    at(aws, SATURDAY_0200)
    body = support_referral()
    answer = post(client, body)
    assert "on the next working day, Monday 7 December," in answer["next_steps"]
    assert "emergency duty team" not in answer["next_steps"]
    ack_text = mail_text(emails_to(aws, body["referrer"]["email"])[0])
    assert "look at your referral on the next working day, Monday 7 December" in ack_text
    assert "emergency duty team" not in ack_text
    assert "on the next working day, Monday 7 December" in confirmation_page(client, answer["reference"])
    assert emails_to(aws, edt_mailbox(aws)) == []


def test_a_support_referral_with_a_child_at_immediate_risk_alerts_out_of_hours(aws: Any, client: Any) -> None:
    at(aws, SATURDAY_0200)
    answer = post(client, support_referral(immediate_risk=True))
    assert "the emergency duty team has been told" in answer["next_steps"]
    [alert] = emails_to(aws, edt_mailbox(aws))
    assert "Immediate risk (the referrer says): yes" in mail_text(alert)
    assert "immediate risk" in str(alert["Subject"])


def test_a_retried_acknowledgement_still_says_what_was_true_at_receipt(aws: Any, client: Any) -> None:
    """Sent by the outbox on Monday morning, it still speaks of the night it came in."""
    from chalicelib.domain.notices import NoticeKind
    from chalicelib.services.deliver_notices import compose_notice

    at(aws, SATURDAY_0200)
    reference = post(client, protection_referral())["reference"]
    at(aws, MONDAY_0900 + dt.timedelta(hours=1))
    referral = aws.referrals.fetch(reference)
    ack = next(n for n in referral.notices if n.kind is NoticeKind.ACKNOWLEDGEMENT)
    assert "the emergency duty team has been told" in mail_text(compose_notice(referral, ack, aws.settings))


def test_the_alert_holds_none_of_the_familys_or_the_referrers_details(aws: Any, client: Any) -> None:
    at(aws, SATURDAY_0200)
    body, canaries = canary_referral("protection")
    reference = post(client, body)["reference"]
    [alert] = emails_to(aws, edt_mailbox(aws))
    raw = alert.as_string()
    text = mail_text(alert)
    # The shaped values carry no canary: look for the example's own phone numbers and postcodes.
    shaped = [body["referrer"]["phone"], *(p["phone"] for p in body["parents_carers"] if p.get("phone"))]
    shaped += [c["address"]["postcode"] for c in body["children"] if c.get("address")]
    for secret in [*canaries, *shaped, body["referrer"]["email"]]:
        assert secret not in raw and secret not in text, f"the alert holds {secret}"
    for words in (body["concerns"]["description"], body["children"][0]["first_name"], body["referrer"]["name"]):
        assert words not in text
    assert reference in text  # what it does carry


# --- the emergency duty team: open, note, hand over --------------------------------------------


def night_referral(aws: Any, client: Any, **changes: Any) -> str:
    at(aws, SATURDAY_0200)
    return post(client, protection_referral(**changes))["reference"]


def test_the_edt_opens_an_alerted_referral_and_the_read_is_audited(aws: Any, client: Any, staff: Any) -> None:
    reference = night_referral(aws, client)
    at(aws, SATURDAY_0200 + dt.timedelta(minutes=20))
    picture = staff("edt", "GET", f"/admin/referrals/{reference}")
    assert picture.status_code == 200
    shown = json.loads(picture.body)
    assert shown["submission"]["children"][0]["first_name"] == "Riley"  # the EDT needs the whole picture
    assert shown["out_of_hours"] == {"alerted": True, "handed_over": False, "handed_over_by": None,
                                     "handed_over_at": None, "notes": []}  # fmt: skip
    audit = json.loads(staff("auditor", "GET", f"/admin/audit?reference={reference}").body)["events"]
    assert [(e["action"], e["role"]) for e in audit] == [
        ("referral.received", "referrer"),
        ("referral.viewed", "mash-edt"),
    ]


def test_the_edt_cannot_open_a_referral_it_was_not_alerted_to(aws: Any, client: Any, staff: Any) -> None:
    at(aws, MONDAY_0900)
    reference = post(client, protection_referral())["reference"]
    refused = staff("edt", "GET", f"/admin/referrals/{reference}")
    assert refused.status_code == 403
    assert "only referrals it was alerted to" in json.loads(refused.body)["message"]
    audit = json.loads(staff("auditor", "GET", f"/admin/audit?reference={reference}").body)["events"]
    assert [e["action"] for e in audit] == ["referral.received"]  # nothing was read


def test_the_edt_notes_and_hands_over_sealed_and_audited(aws: Any, client: Any, staff: Any) -> None:
    reference = night_referral(aws, client)
    at(aws, SATURDAY_0200 + dt.timedelta(hours=1))
    first = staff("edt", "POST", f"/admin/referrals/{reference}/handover",
                  {"note": "Rang police: officers attending ZQNOTEONE"})  # fmt: skip
    assert first.status_code == 200, first.body
    assert json.loads(first.body)["out_of_hours"]["handed_over"] is False
    at(aws, SATURDAY_0200 + dt.timedelta(hours=3))
    second = staff("edt", "POST", f"/admin/referrals/{reference}/handover",
                   {"note": "Child with grandparent overnight ZQNOTETWO", "handed_over": True})  # fmt: skip
    handed = json.loads(second.body)["out_of_hours"]
    assert handed["handed_over"] is True
    assert handed["handed_over_at"] == (SATURDAY_0200 + dt.timedelta(hours=3)).isoformat(timespec="seconds")
    assert [n["text"] for n in handed["notes"]] == ["Rang police: officers attending ZQNOTEONE",
                                                    "Child with grandparent overnight ZQNOTETWO"]  # fmt: skip
    # Sealed: the table holds neither note in clear; the audit names the note by number only.
    raw = json.dumps(table_items(aws), default=str)
    assert "ZQNOTE" not in raw
    events = json.loads(staff("auditor", "GET", f"/admin/audit?reference={reference}").body)["events"]
    assert [(e["action"], e["details"]) for e in events][1:] == [
        ("edt.handover_noted", {"note": "1"}),
        ("edt.handed_over", {"note": "2"}),
    ]
    # The day team reads the notes on the whole picture.
    picture = json.loads(staff("practitioner", "GET", f"/admin/referrals/{reference}").body)
    assert picture["out_of_hours"]["notes"][1]["text"] == "Child with grandparent overnight ZQNOTETWO"


def test_a_handover_is_refused_for_a_referral_the_edt_was_not_alerted_to(aws: Any, client: Any, staff: Any) -> None:
    at(aws, MONDAY_0900)
    reference = post(client, protection_referral())["reference"]
    refused = staff("edt", "POST", f"/admin/referrals/{reference}/handover", {"note": "Rang police"})
    assert refused.status_code == 409
    assert json.loads(refused.body)["error"] == "not_alerted"
    assert aws.referrals.fetch(reference).edt_handover is None


def test_only_the_edt_writes_a_handover(aws: Any, client: Any, staff: Any) -> None:
    reference = night_referral(aws, client)
    for who in ("practitioner", "manager", "auditor"):
        refused = staff(who, "POST", f"/admin/referrals/{reference}/handover", {"note": "Not mine to write"})
        assert (refused.status_code, json.loads(refused.body)["message"]) == (403, "This needs the mash-edt role")
    assert aws.referrals.fetch(reference).edt_handover is None


CASEWORK = [
    ("GET", "/admin/referrals", None),
    ("POST", "/admin/referrals/{ref}/screening", {"rag": "red", "level": 4, "rationale": "Bruising"}),
    ("POST", "/admin/referrals/{ref}/decision", {"outcome": "strategy_discussion_s47", "reasons": "Bruising"}),
    ("POST", "/admin/referrals/{ref}/decision/approval", {"approve": True}),
    ("POST", "/admin/referrals/{ref}/consent", {"state": "implicit", "service": "health visiting"}),
    ("POST", "/admin/referrals/{ref}/parents-told", {"tell": True}),
    ("POST", "/admin/referrals/{ref}/enquiries", {"agencies": ["police"], "question": "What do you hold?"}),
    (
        "POST",
        "/admin/referrals/{ref}/onward-referral",
        {"service": "early-help-hub", "sections": ["children"], "reason": "Support"},
    ),
    ("POST", "/admin/referrals/{ref}/outcome-notice", {"withhold": False, "reason": "Tell them"}),
    ("POST", "/admin/referrals/{ref}/closure", None),
    ("POST", "/admin/referrals/{ref}/legal-hold", {"hold": True, "reason": "Court"}),
    ("GET", "/admin/referrals/{ref}/notices/ack/preview", None),
    ("GET", "/admin/audit?reference={ref}", None),
]


def test_the_edt_is_refused_every_other_casework_action(aws: Any, client: Any, staff: Any) -> None:
    reference = night_referral(aws, client)
    before = aws.referrals.fetch(reference)
    for method, path, payload in CASEWORK:
        refused = staff("edt", method, path.format(ref=reference), payload)
        problem = json.loads(refused.body)
        assert (refused.status_code, problem["error"]) == (403, "wrong_role"), path
        assert "mash-edt" not in problem["message"], path  # it names the roles that may, not the EDT
    after = aws.referrals.fetch(reference)
    assert (after.status, after.screening, after.decision, after.version) == (
        before.status, None, None, before.version,
    )  # fmt: skip


# --- the morning queue ----------------------------------------------------------------------------


def test_the_morning_queue_shows_handed_over_referrals_first_with_the_note_on_the_page(
    aws: Any, client: Any, staff: Any
) -> None:
    at(aws, FRIDAY_1701)
    earlier_immediate = post(client, protection_referral(immediate_risk=True))["reference"]
    handed = night_referral(aws, client)
    alerted_only = night_referral(aws, client)
    at(aws, SATURDAY_0200 + dt.timedelta(hours=4))
    staff("edt", "POST", f"/admin/referrals/{handed}/handover",
          {"note": "Police visited; child safe with grandparent", "handed_over": True})  # fmt: skip

    at(aws, MONDAY_0900)
    rows = json.loads(staff("practitioner", "GET", "/admin/referrals").body)["referrals"]
    assert [(r["reference"], r["out_of_hours"]) for r in rows][:3] == [
        (handed, "handed_over"),
        (earlier_immediate, "alerted"),
        (alerted_only, "alerted"),
    ]

    browser = Browser(client).sign_in("practitioner")
    queue = page_text(browser.get("/staff/"))
    assert queue.index(handed) < queue.index(earlier_immediate)
    first_row = queue[queue.index(handed) : queue.index(earlier_immediate)]
    assert "Handed over by the emergency duty team" in first_row
    page = page_text(browser.get(f"/staff/referrals/{handed}"))
    assert "Handed over by the emergency duty team" in page
    assert "Police visited; child safe with grandparent" in page

    # Once the day team screens it, its RAG rating places it like any other.
    staff("practitioner", "POST", f"/admin/referrals/{handed}/screening",
          {"rag": "amber", "level": 3, "rationale": "Safe for now"})  # fmt: skip
    rows = json.loads(staff("practitioner", "GET", "/admin/referrals").body)["referrals"]
    assert rows[0]["reference"] == earlier_immediate


def test_the_edt_follows_the_alerts_link_signs_in_and_hands_over_in_the_console(aws: Any, client: Any) -> None:
    reference = night_referral(aws, client)
    link = re.search(r"http://127\.0\.0\.1:8000(/staff/referrals/[A-Z0-9-]+)", mail_text(
        emails_to(aws, edt_mailbox(aws))[0]))  # fmt: skip
    assert link is not None
    browser = Browser(client)
    assert browser.get(link.group(1)).status_code == 303  # not signed in: to sign-in, remembering the page
    browser.get("/staff/sign-in?" + f"next={link.group(1)}")
    browser.get("/staff/local-sign-in")
    signed_in = browser.post("/staff/local-sign-in", {"staff": "edt"})
    assert signed_in.headers["Location"] == link.group(1)
    page = browser.get(link.group(1))
    assert "Emergency duty team alerted" in page_text(page)
    assert f'href="/staff/referrals/{reference}/handover"' in browser.text(page)
    assert f'href="/staff/referrals/{reference}/screening"' not in browser.text(page)  # casework is not offered

    form = browser.get(f"/staff/referrals/{reference}/handover")
    assert form.status_code == 200
    blank = browser.post(f"/staff/referrals/{reference}/handover", {"note": ""})
    assert blank.status_code == 400
    assert "Enter what the emergency duty team did, for the day team" in page_text(blank)
    done = browser.post(f"/staff/referrals/{reference}/handover",
                        {"note": "Rang police; visit at 3am", "handed_over": "true"})  # fmt: skip
    assert done.status_code == 303
    shown = page_text(browser.get(done.headers["Location"]))
    assert "Handover note recorded" in shown and "Rang police; visit at 3am" in shown
    assert "Handed over by the emergency duty team" in shown
    assert browser.get("/staff/").status_code == 403  # the queue is the day team's


def test_the_edts_journey_answers_as_the_openapi_document_says(aws: Any, client: Any, issuer: Any) -> None:
    from chalicelib.web.openapi import document
    from tests.test_openapi_admin import Conformance

    conforms = Conformance(document())
    item = "/admin/referrals/{reference}"

    def call(who: str, method: str, template: str, path: str, body: Any = None) -> Any:
        headers = {**JSON, "Authorization": f"Bearer {issuer.token_for(who)}"}
        raw = json.dumps(body).encode() if body is not None else b""
        return conforms.check(method, template, client.http.request(method, path, headers=headers, body=raw))

    reference = night_referral(aws, client)
    at(aws, MONDAY_0900)
    in_hours = post(client, protection_referral())["reference"]
    assert call("edt", "GET", item, f"/admin/referrals/{reference}")["out_of_hours"]["alerted"] is True
    handed = call("edt", "POST", item + "/handover", f"/admin/referrals/{reference}/handover",
                  {"note": "Rang police", "handed_over": True})  # fmt: skip
    assert handed["out_of_hours"]["handed_over"] is True
    call("edt", "POST", item + "/handover", f"/admin/referrals/{in_hours}/handover", {"note": "Rang police"})
    call("edt", "GET", item, f"/admin/referrals/{in_hours}")
    call("practitioner", "POST", item + "/handover", f"/admin/referrals/{reference}/handover", {"note": "x"})
    call("edt", "POST", item + "/handover", f"/admin/referrals/{reference}/handover", {"note": ""})
    queue = call("practitioner", "GET", "/admin/referrals", "/admin/referrals")
    assert queue["referrals"][0]["out_of_hours"] == "handed_over"
    assert {
        "POST /admin/referrals/{reference}/handover 200",
        "POST /admin/referrals/{reference}/handover 409",
        "POST /admin/referrals/{reference}/handover 403",
        "POST /admin/referrals/{reference}/handover 422",
        "GET /admin/referrals/{reference} 403",
    } <= conforms.checked


def test_locally_the_alert_is_in_the_outbox_to_the_synthetic_mailbox(aws: Any, client: Any) -> None:
    reference = night_referral(aws, client)
    listed = json.loads(client.http.get("/_local/outbox.json").body)
    rows = json.dumps(listed)
    assert f"Out-of-hours protection referral {reference}" in rows
    assert "emergency-duty-team@out-of-hours.example" in rows
    assert f"Out-of-hours protection referral {reference}" in page_text(client.http.get("/_local/outbox"))


def test_the_edt_signing_in_without_a_link_starts_at_its_page_and_opens_a_referral_by_reference(
    aws: Any, client: Any
) -> None:
    reference = night_referral(aws, client)
    browser = Browser(client).sign_in("edt")
    start = browser.get("/staff/out-of-hours")
    assert "Reference from the alert" in page_text(start)
    assert "Work queue" not in page_text(start)  # the queue is the day team's: not in its header
    typed = reference.lower().replace("-", " ")
    opened = browser.get(f"/staff/out-of-hours?reference={typed.replace(' ', '+')}")
    assert (opened.status_code, opened.headers["Location"]) == (303, f"/staff/referrals/{reference}")
    wrong = browser.get("/staff/out-of-hours?reference=not+a+reference")
    assert wrong.status_code == 400
    assert "Enter the reference from the alert email, like K7Q-F3M-RW9" in page_text(wrong)
    practitioner = Browser(client).sign_in("practitioner")
    assert practitioner.get("/staff/out-of-hours").status_code == 403
