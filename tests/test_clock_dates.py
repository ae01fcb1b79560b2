"""Dates a person sends are judged against London's date on the hub's injected clock (issue 12
item 8), not the server's date: a baby born just after midnight on a summer night in London is
born "today", though it is still yesterday in UTC."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from tests.factories import support_referral


def post(client: Any, data: dict[str, Any]) -> Any:
    return client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(data))


@pytest.mark.parametrize(
    ("now", "born", "accepted"),
    [
        # 00:30 BST on 1 July is 23:30 UTC on 30 June: born on 1 July is today in London.
        (dt.datetime(2025, 6, 30, 23, 30, tzinfo=dt.UTC), "2025-07-01", True),
        (dt.datetime(2025, 6, 30, 23, 30, tzinfo=dt.UTC), "2025-07-02", False),
        # In winter London is UTC: 23:30 on 31 December is still 31 December.
        (dt.datetime(2024, 12, 31, 23, 30, tzinfo=dt.UTC), "2025-01-01", False),
        (dt.datetime(2024, 12, 31, 23, 30, tzinfo=dt.UTC), "2024-12-31", True),
    ],
)
def test_a_date_of_birth_is_judged_against_londons_date_on_the_hubs_clock(
    client: Any, aws: Any, now: dt.datetime, born: str, accepted: bool
) -> None:
    aws.clock = lambda: now
    response = post(client, support_referral(**{"children.0.date_of_birth": born, "consent.given_on": born}))
    if accepted:
        assert response.status_code == 201, response.body
    else:
        assert response.status_code == 422, response.body
        fields = {e["field"]: e["message"] for e in json.loads(response.body)["errors"]}
        assert fields["children.0.date_of_birth"].startswith("Date of birth must be today or in the past")
        assert fields["consent.given_on"] == "The date consent was given must be today or in the past"


def test_a_stored_referral_is_read_back_whatever_the_date_now(client: Any, aws: Any) -> None:
    """Judged once, when it arrived: a child who has since turned 19 does not make it unreadable."""
    aws.clock = lambda: dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
    reference = json.loads(post(client, support_referral(**{"children.0.date_of_birth": "2008-01-10"})).body)[
        "reference"
    ]
    aws.clock = lambda: dt.datetime(2032, 1, 1, 10, 0, tzinfo=dt.UTC)
    assert aws.referrals.fetch(reference).submission.children[0].date_of_birth == dt.date(2008, 1, 10)
