"""The staff console for allocation (issue 13): "Assign to me", a manager's "Assign to" by name, the
owner at the top of the referral page, "My work", and a queue that names the children and the owner."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from local.issuer import SYNTHETIC_STAFF
from tests.test_console import THURSDAY_10AM, Browser, error_summary, page_text, stored, submit

pytestmark = pytest.mark.usefixtures("issuer")
PAT = SYNTHETIC_STAFF["practitioner"]


@pytest.fixture
def clock(aws: Any) -> dict[str, dt.datetime]:
    """The wiring clock, movable (as in tests/test_console.py)."""
    now = {"now": THURSDAY_10AM}
    aws.clock = lambda: now["now"]
    return now


@pytest.fixture
def browser(client: Any, clock: Any) -> Any:
    return lambda who=None: Browser(client).sign_in(who) if who else Browser(client)


def test_a_practitioner_assigns_a_referral_to_themself_and_finds_it_in_my_work(client: Any, browser: Any) -> None:
    reference = submit(client)
    person = browser("practitioner")
    page = person.get(f"/staff/referrals/{reference}")
    assert "Owner: Nobody yet" in page_text(page)
    assert "Assign to me" in page_text(page) and 'id="assign-to"' not in person.text()  # no select: not a manager

    response = person.post(f"/staff/referrals/{reference}/allocation", {"to": "me"})
    assert response.status_code == 303, person.text(response)
    page = person.get(response.headers["Location"])
    assert "Assignment saved" in page_text(page)
    assert "Owner: Pat Practitioner (you)" in page_text(page)
    assert stored(reference).owner == PAT.id

    work = person.get("/staff/my-work")
    assert work.status_code == 200
    assert reference in page_text(work) and "No open tasks on your referrals" in page_text(work)
    assert PAT.id not in person.text(work)  # never an id on a page


def test_a_manager_assigns_a_referral_to_a_practitioner_by_name(client: Any, browser: Any) -> None:
    reference = submit(client)
    manager = browser("manager")
    manager.get(f"/staff/referrals/{reference}")
    assert f'<option value="{PAT.id}">Pat Practitioner</option>' in manager.text()
    assert SYNTHETIC_STAFF["auditor"].id not in manager.text()  # only casework staff are offered

    response = manager.post(f"/staff/referrals/{reference}/allocation", {"to": PAT.id})
    assert response.status_code == 303, manager.text(response)
    assert "Owner: Pat Practitioner" in page_text(manager.get(response.headers["Location"]))
    queue = page_text(manager.get("/staff/"))
    assert "Sam, aged 9" in queue and "Pat Practitioner" in queue


def test_the_allocation_form_says_what_is_wrong(client: Any, browser: Any) -> None:
    reference = submit(client)
    person = browser("practitioner")
    person.get(f"/staff/referrals/{reference}/allocation")
    response = person.post(f"/staff/referrals/{reference}/allocation", {"to": ""})
    assert response.status_code == 400
    assert error_summary(response) == ["Select who to assign the referral to"]
    response = person.post(f"/staff/referrals/{reference}/allocation", {"to": SYNTHETIC_STAFF["manager"].id})
    assert response.status_code == 403
    assert error_summary(response) == ["Only a manager can assign a referral to someone else: assign it to yourself"]
