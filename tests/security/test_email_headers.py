"""CR/LF and other control characters never reach an email header: refused at the edge, and at compose."""

from __future__ import annotations

import json
from email.message import EmailMessage
from typing import Any

import pytest

from chalicelib.mail.compose import compose
from tests.factories import support_referral
from tests.security.conftest import stored_records
from tests.test_public_form import REFERRER, Browser, error_messages

# Each would add a header, hide a character, or make the stdlib send to another address.
HOSTILE_ADDRESSES = {
    "CRLF and a Bcc": "priya@school.example\r\nBcc: everyone@elsewhere.example",
    "LF only": "priya@school.example\nBcc: everyone@elsewhere.example",
    "NUL": "priya\x00@school.example",
    "escape": "priya\x1b[2J@school.example",
    "DEL": "priya\x7f@school.example",
    "next line (C1)": "priya\x85@school.example",
    "right-to-left override": "priya\u202e@school.example",
    "zero-width space": "pri\u200bya@school.example",
    "group syntax": "undisclosed:priya@school.example",
    "comment": "priya(hidden)@school.example",
}
ADDRESS_FIELDS = ["referrer.email", "parents_carers.0.email"]


def with_value(dotted: str, value: str) -> dict[str, Any]:
    from tests.factories import set_path

    referral = support_referral()
    set_path(referral, dotted, value)
    return referral


@pytest.mark.parametrize("field", ADDRESS_FIELDS)
def test_the_api_refuses_every_hostile_address_before_storing_anything(client: Any, aws: Any, field: str) -> None:
    answers = {
        name: client.http.post(
            "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(with_value(field, value))
        )
        for name, value in HOSTILE_ADDRESSES.items()
    }
    assert {name: a.status_code for name, a in answers.items() if a.status_code != 422} == {}
    assert all(field in a.body.decode() for a in answers.values())  # the problem names the field
    assert stored_records(aws) == []


def test_the_form_refuses_a_hostile_address_with_a_message(browser: Browser) -> None:
    browser.get("/referral/immediate-risk")
    browser.answer("/referral/immediate-risk", {"immediate_risk": "no"})
    browser.answer("/referral/route", {"route": "support"})
    for value in HOSTILE_ADDRESSES.values():
        shown = browser.post("/referral/about-you", {**REFERRER, "email": value})
        assert shown.status_code == 200
        assert "Enter an email address in the correct format, like name@example.com" in error_messages(shown)


def test_surrounding_whitespace_is_trimmed_before_an_address_is_stored(client: Any, aws: Any) -> None:
    referral = with_value("referrer.email", "  priya@school.example\n\n")
    answer = client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(referral))
    stored = aws.referrals.fetch(json.loads(answer.body)["reference"])
    assert stored.submission.referrer.email == "priya@school.example"


def test_ordinary_addresses_are_still_accepted(client: Any) -> None:
    for value in ("priya.example@school.example", "o'neil+mash@sub.example.co.uk", "ALEX@FAMILY.EXAMPLE"):
        referral = with_value("referrer.email", value)
        answer = client.http.post(
            "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(referral)
        )
        assert answer.status_code == 201, value


# --- at compose time: the last line of defence for anything stored before these rules ---------


@pytest.mark.parametrize("header", ["To", "Reply-To", "Subject"])
def test_the_stdlib_refuses_cr_or_lf_in_any_header(header: str) -> None:
    message = EmailMessage()
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        message[header] = "priya@school.example\r\nBcc: everyone@elsewhere.example"


def acknowledgement(**overrides: Any) -> EmailMessage:
    arguments: dict[str, Any] = {
        "sender": "mash-hub@mash.example",
        "to": "priya@school.example",
        "mail_domain": "mash.example",
        "context": {"reference": "K7Q-F3M-RW9", "route": "support"},
        **overrides,
    }
    return compose("acknowledgement", **arguments)


CONTROL_CHARACTERS = ["CRLF and a Bcc", "LF only", "NUL", "escape", "DEL", "next line (C1)"]


@pytest.mark.parametrize("name", CONTROL_CHARACTERS)
@pytest.mark.parametrize("header", ["to", "reply_to"])
def test_compose_refuses_control_characters_in_recipient_headers(name: str, header: str) -> None:
    # The stdlib refuses CR and LF itself; compose refuses the rest (the stdlib writes NUL as it is).
    with pytest.raises(ValueError):
        acknowledgement(**{header: HOSTILE_ADDRESSES[name]})


def test_a_subject_built_from_a_hostile_value_stays_one_header() -> None:
    message = acknowledgement(context={"reference": "K7Q\r\nBcc: everyone@elsewhere.example", "route": "support"})
    assert message["Bcc"] is None
    assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])
    headers = message.as_bytes().split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in headers
