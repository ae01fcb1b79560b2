"""The staff console for issue 11: withdrawing one enquiry, consent refused withdrawing them all
(shown on the referral page), and review dates in the queue and the referral's tasks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from chalicelib.domain.agencies import AgencyId
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.services.deliver_notices import dispatch_due
from tests.conftest import sent_emails
from tests.test_console import THURSDAY_10AM, Browser, act, buttons, error_summary, page_text, screen, stored, submit

pytestmark = pytest.mark.usefixtures("issuer")
PRACTITIONER = StaffMember("0b6f7c1e-0000-4000-8000-000000000001", frozenset({Role.PRACTITIONER}))
REASON = "Asked the wrong agency: the family never lived in this area"


@pytest.fixture
def clock(aws: Any) -> dict[str, dt.datetime]:
    """The wiring clock, movable (as in tests/test_console.py)."""
    now = {"now": THURSDAY_10AM}
    aws.clock = lambda: now["now"]
    return now


@pytest.fixture
def browser(client: Any, clock: Any) -> Any:
    return lambda who=None: Browser(client).sign_in(who) if who else Browser(client)


def emailed_enquiries(client: Any, aws: Any, person: Browser) -> str:
    """A support referral (consent given), screened, with the police and health asked and emailed."""
    from chalicelib.services.agency_requests import send_request_from_message
    from chalicelib.services.open_enquiries import open_enquiries
    from tests.test_replies_api import queued_messages

    reference = submit(client)
    screen(person, reference, rag="amber")
    open_enquiries(reference, [AgencyId.POLICE, AgencyId.HEALTH], "Any contact with the family this year?",
                   staff=PRACTITIONER, request_id=None)  # fmt: skip
    for bodies in queued_messages(aws).values():
        for message in bodies:
            send_request_from_message(message)
    return reference


def withdrawals(aws: Any) -> list[str]:
    return sorted(str(m["To"]) for m in sent_emails(aws) if str(m["Subject"]).startswith("Withdrawn"))


def test_a_practitioner_withdraws_one_enquiry_with_a_reason_and_sees_it_withdrawn(
    client: Any, aws: Any, browser: Any
) -> None:
    person = browser("practitioner")
    reference = emailed_enquiries(client, aws, person)
    assert "Withdraw an enquiry" in buttons(person.get(f"/staff/referrals/{reference}"))
    form = page_text(person.get(f"/staff/referrals/{reference}/withdraw-enquiry"))
    assert "Police" in form and "Health" in form and "Enquiry e1" in form

    blank = person.post(f"/staff/referrals/{reference}/withdraw-enquiry", {})
    assert blank.status_code == 400
    assert error_summary(blank) == ["Select the enquiry to withdraw", "Enter why the enquiry is withdrawn"]

    done = person.post(f"/staff/referrals/{reference}/withdraw-enquiry", {"enquiry_id": "e2", "reason": REASON})
    assert (done.status_code, done.headers["Location"]) == (303, f"/staff/referrals/{reference}?done=withdraw-enquiry")
    page = page_text(person.get(done.headers["Location"]))
    assert "Enquiry withdrawn: the agency is emailed not to send information" in page
    assert "Health Withdrawn" in page and "withdrawn by staff" in page and REASON in page
    assert "Police Requested" in page
    assert withdrawals(aws) == ["mash-checks@health.example"]
    assert [e.withdrawn_at is not None for e in stored(reference).enquiries] == [False, True]

    # Only the police one is left to offer; withdrawing health again is the domain's refusal.
    assert 'value="e2"' not in person.get(f"/staff/referrals/{reference}/withdraw-enquiry").body.decode()
    again = person.post(f"/staff/referrals/{reference}/withdraw-enquiry", {"enquiry_id": "e2", "reason": REASON})
    assert again.status_code == 409 and error_summary(again) == ["Enquiry e2 is already withdrawn"]


def test_recording_a_refusal_in_the_console_withdraws_every_enquiry_shown_on_the_page(
    client: Any, aws: Any, browser: Any
) -> None:
    person = browser("practitioner")
    reference = emailed_enquiries(client, aws, person)
    response = act(person, reference, "consent", {"state": "refused", "refused-reason": "Mother does not agree"})
    assert response.status_code == 303, page_text(response)
    page = page_text(person.get(f"/staff/referrals/{reference}"))
    assert "Police Withdrawn" in page and "Health Withdrawn" in page
    assert page.count("consent refused. The agency was asked not to send information") == 2
    assert "Withdraw an enquiry" not in buttons(person.get(f"/staff/referrals/{reference}"))
    assert withdrawals(aws) == ["mash-checks@health.example", "mash-checks@police.example"]


def test_a_review_date_shows_in_the_queue_and_as_a_task_with_its_due_date(
    client: Any, aws: Any, browser: Any, clock: Any
) -> None:
    reference = submit(client)
    manager = browser("manager")
    act(manager, reference, "consent", {"state": "dispensed", "dispensed-reason": "Asking would alert the carer",
        "review_on-day": "10", "review_on-month": "12", "review_on-year": "2026"})  # fmt: skip
    assert "Review due" not in page_text(manager.get("/staff/"))

    clock["now"] = dt.datetime(2026, 12, 10, 8, 0, tzinfo=dt.UTC)
    dispatch_due(aws.referrals, aws.mailer, aws.settings, clock["now"])
    person = browser("practitioner")
    queue = page_text(person.get("/staff/"))
    assert "Review due 10 December 2026" in queue
    page = page_text(person.get(f"/staff/referrals/{reference}"))
    assert "Review date: a manager dispensed with consent" in page and "due 10 December 2026" in page
