"""A table dump reveals nothing: canaries in every personal field never appear in clear."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import sent_emails, table_items
from tests.factories import canary_referral

# Shaped values a canary can't be put into: the originals are searched for instead.
SHAPED_VALUES = {
    "support": ["020 7946 0000", "07700 900000", "E17 1AA", "2017-03-14", "2026-11-20"],
    "protection": ["020 7946 0001", "07700 900001", "E17 2BB", "2024-06-02"],
}


@pytest.mark.parametrize("route", ["support", "protection"])
def test_no_personal_value_is_stored_logged_or_emailed_in_clear(
    client: Any, aws: Any, route: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    referral, canaries = canary_referral(route)
    assert len(canaries) >= 15
    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(referral)
    )
    assert response.status_code == 201
    reference = json.loads(response.body)["reference"]

    dump = json.dumps(table_items(aws), default=repr)
    assert reference in dump  # the scan really saw the referral
    leaked = [value for value in canaries + SHAPED_VALUES[route] if value.lower() in dump.lower()]
    assert leaked == []

    # Every attribute of every record (the structured extras included), and whatever reached stdout.
    logs = capsys.readouterr().out + "\n".join(json.dumps(vars(r), default=str) for r in caplog.records)
    assert reference in logs  # the logs really were captured
    assert [c for c in canaries if c.lower() in logs.lower()] == []

    # The acknowledgement, and out of hours the emergency duty team's alert too: none holds a canary.
    emails = sent_emails(aws)
    assert emails
    for email in emails:
        body = email.get_body(("plain",)).get_content() + email.get_body(("html",)).get_content()
        assert reference in body
        assert [c for c in canaries if c.lower() in body.lower()] == []
    assert [c for c in canaries if c.lower() in response.body.decode().lower()] == []


def test_stored_referral_still_decrypts_to_every_canary(client: Any, aws: Any) -> None:
    referral, canaries = canary_referral("support")
    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(referral)
    )
    stored = aws.referrals.fetch(json.loads(response.body)["reference"])
    clear = stored.submission.model_dump_json().lower()
    assert [c for c in canaries if c.lower() not in clear] == []
