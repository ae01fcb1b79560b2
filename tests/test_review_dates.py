"""Review dates act (issue 11 item 4), under moto with the clock injected: on each review date the
outbox sweep raises one task for the practitioner, due that day, shown in the whole picture and the
work queue; nothing is sent because of it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.services.deliver_notices import dispatch_due
from tests.conftest import sent_emails
from tests.factories import example

pytestmark = pytest.mark.usefixtures("issuer")

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)  # a Thursday in MASH hours
CONSENT_REVIEW = "2026-12-10"
NOTICE_REVIEW = "2026-12-15"
TOLD_REVIEW = "2027-06-03"  # in British Summer Time: the day starts at 23:00 UTC the day before


def body(response: Any) -> Any:
    return json.loads(response.body)


def london_midnight(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=LONDON).astimezone(dt.UTC)


@pytest.fixture
def clock(aws: Any) -> dict[str, dt.datetime]:
    now = {"now": NOW}
    aws.clock = lambda: now["now"]
    return now


def submit(client: Any, name: str) -> str:
    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(example(name))
    )
    assert response.status_code == 201, response.body
    return body(response)["reference"]


def sweep_at(aws: Any, clock: dict[str, dt.datetime], moment: dt.datetime, times: int = 2) -> None:
    """The every-minute sweep, run more than once at the same moment (EventBridge may repeat it)."""
    clock["now"] = moment
    for _ in range(times):
        dispatch_due(aws.referrals, aws.mailer, aws.settings, moment)


def review_tasks(staff: Callable[..., Any], reference: str) -> list[tuple[str, str, str | None]]:
    picture = body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))
    return [(t["kind"], t["about"], t["due_on"]) for t in picture["tasks"] if t["kind"].startswith("review_")]


def queue_rows(staff: Callable[..., Any]) -> dict[str, Any]:
    return {row["reference"]: row for row in body(staff("practitioner", "GET", "/admin/referrals"))["referrals"]}


def test_each_review_date_raises_one_task_on_its_day_shown_with_its_date_and_nothing_is_sent(
    client: Any, aws: Any, staff: Callable[..., Any], clock: dict[str, dt.datetime]
) -> None:
    support = submit(client, "referral-support.json")
    protection = submit(client, "referral-protection.json")
    dispensed = staff(
        "manager",
        "POST",
        f"/admin/referrals/{support}/consent",
        {"state": "dispensed", "reason": "Asking would alert the carer", "review_on": CONSENT_REVIEW},
    )
    assert dispensed.status_code == 200, dispensed.body
    withheld = staff(
        "manager",
        "POST",
        f"/admin/referrals/{support}/outcome-notice",
        {"withhold": True, "reason": "Telling them now could raise the risk", "review_on": NOTICE_REVIEW},
    )
    assert withheld.status_code == 200, withheld.body
    not_told = staff(
        "manager",
        "POST",
        f"/admin/referrals/{protection}/parents-told",
        {"tell": False, "reason": "Telling them could put the child at more risk", "review_on": TOLD_REVIEW},
    )
    assert not_told.status_code == 200, not_told.body
    sweep_at(aws, clock, NOW + dt.timedelta(minutes=5))  # the acknowledgements, if any were left
    sent = len(sent_emails(aws))

    # The minute before the first review day: nothing.
    sweep_at(aws, clock, london_midnight(CONSENT_REVIEW) - dt.timedelta(minutes=1))
    assert review_tasks(staff, support) == [] and review_tasks(staff, protection) == []
    assert queue_rows(staff)[support]["review_due_on"] is None

    # On the day: one task, however many sweeps run that day.
    sweep_at(aws, clock, london_midnight(CONSENT_REVIEW) + dt.timedelta(seconds=30))
    sweep_at(aws, clock, london_midnight(CONSENT_REVIEW) + dt.timedelta(hours=9))
    assert review_tasks(staff, support) == [("review_consent_dispensed", "consent", CONSENT_REVIEW)]
    assert queue_rows(staff)[support]["review_due_on"] == CONSENT_REVIEW

    sweep_at(aws, clock, london_midnight(NOTICE_REVIEW) + dt.timedelta(hours=1))
    assert review_tasks(staff, support) == [
        ("review_consent_dispensed", "consent", CONSENT_REVIEW),
        ("review_outcome_notice_withheld", "outcome_notice", NOTICE_REVIEW),
    ]
    assert queue_rows(staff)[support]["review_due_on"] == CONSENT_REVIEW  # the earliest still open

    # British Summer Time: the review day starts at 23:00 UTC the evening before.
    sweep_at(aws, clock, london_midnight(TOLD_REVIEW) - dt.timedelta(minutes=1))
    assert review_tasks(staff, protection) == []
    sweep_at(aws, clock, london_midnight(TOLD_REVIEW) + dt.timedelta(minutes=1))
    assert london_midnight(TOLD_REVIEW).hour == 23
    assert review_tasks(staff, protection) == [("review_parents_not_told", "parents_told", TOLD_REVIEW)]
    assert queue_rows(staff)[protection]["review_due_on"] == TOLD_REVIEW

    # Weeks later, many sweeps on: still one task each, and not one email sent because of them.
    for days in (1, 7, 30):
        sweep_at(aws, clock, london_midnight(TOLD_REVIEW) + dt.timedelta(days=days))
    assert len(review_tasks(staff, support)) == 2 and len(review_tasks(staff, protection)) == 1
    assert len(sent_emails(aws)) == sent
    picture = body(staff("manager", "GET", f"/admin/referrals/{support}"))
    assert picture["outcome_notice"]["held_because"] == "withheld_by_manager"
    assert picture["consent"] == "dispensed"
    [task] = [t for t in picture["tasks"] if t["kind"] == "review_consent_dispensed"]
    assert "Review date" in task["text"] and task["created_at"].startswith(CONSENT_REVIEW)


def test_a_decision_reversed_before_its_review_date_raises_no_task(
    client: Any, aws: Any, staff: Callable[..., Any], clock: dict[str, dt.datetime]
) -> None:
    support = submit(client, "referral-support.json")
    staff(
        "manager",
        "POST",
        f"/admin/referrals/{support}/consent",
        {"state": "dispensed", "reason": "Asking would alert the carer", "review_on": CONSENT_REVIEW},
    )
    given = staff(
        "manager",
        "POST",
        f"/admin/referrals/{support}/consent",
        {"state": "implicit", "service": "Early help family support"},
    )
    assert given.status_code == 200, given.body
    sweep_at(aws, clock, london_midnight(CONSENT_REVIEW) + dt.timedelta(hours=1))
    assert review_tasks(staff, support) == []
    assert queue_rows(staff)[support]["review_due_on"] is None


def test_a_person_not_told_by_the_contact_plan_is_reviewed_on_its_date(
    client: Any, aws: Any, staff: Callable[..., Any], clock: dict[str, dt.datetime]
) -> None:
    """The per-person "not told" of the contact plan is a review date like the others."""
    reference = submit(client, "referral-protection-household.json")
    not_told = {
        "person": "parent:1",
        "tell": False,
        "reason": "Synthetic: police checks first",
        "review_on": CONSENT_REVIEW,
    }
    assert staff("practitioner", "POST", f"/admin/referrals/{reference}/contact-plan", not_told).status_code == 200
    sent_before = len(sent_emails(aws))
    sweep_at(aws, clock, london_midnight(CONSENT_REVIEW) - dt.timedelta(minutes=1))
    assert review_tasks(staff, reference) == []
    sweep_at(aws, clock, london_midnight(CONSENT_REVIEW))
    assert review_tasks(staff, reference) == [("review_person_not_told", "parent:1", CONSENT_REVIEW)]
    assert len(sent_emails(aws)) == sent_before
