"""The console in people's words (issue 13 part 8): staff by name, history as sentences, the decision
on the approval page, a warning when deciding with enquiries unanswered, and actions (and choices
within them) offered only to the roles that may do them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from chalicelib.domain.staff import Role
from tests.factories import protection_referral
from tests.test_console import THURSDAY_10AM, Browser, act, buttons, decide, page_text, screen, submit

pytestmark = pytest.mark.usefixtures("issuer")
PRACTITIONER_ID = "0b6f7c1e-0000-4000-8000-000000000001"
MANAGER_ID = "0b6f7c1e-0000-4000-8000-000000000002"


@pytest.fixture
def clock(aws: Any) -> dict[str, dt.datetime]:
    now = {"now": THURSDAY_10AM}
    aws.clock = lambda: now["now"]
    return now


@pytest.fixture
def browser(client: Any, clock: Any) -> Any:
    return lambda who=None: Browser(client).sign_in(who) if who else Browser(client)


def test_the_history_and_the_record_name_staff_and_say_what_they_did(client: Any, browser: Any) -> None:
    reference = submit(client)
    practitioner, manager = browser("practitioner"), browser("manager")
    screen(practitioner, reference, rag="amber", level="3")
    decide(practitioner, reference, "strategy_discussion_s47", "Significant harm is suspected")
    act(manager, reference, "approval", {"approve": "true"})
    page = page_text(manager.get(f"/staff/referrals/{reference}"))
    for said in (
        "Pat Practitioner screened it Amber, level 3",
        "Pat Practitioner recorded the decision: Strategy discussion (child protection, section 47)",
        "Morgan Manager approved the decision: Strategy discussion (child protection, section 47)",
        "Morgan Manager opened the referral",
        "by Pat Practitioner",  # the screening and the decision recorded
        "Approved 26 November 2026 at 10am by Morgan Manager",
    ):
        assert said in page, said
    assert PRACTITIONER_ID not in page and MANAGER_ID not in page
    assert not re.search(r"\b(referral|decision)\.\w+\b", page)  # no audit codes


def test_someone_no_longer_in_the_directory_is_a_former_member_of_staff(client: Any, browser: Any, aws: Any) -> None:
    from chalicelib.adapters.staff_directory import InMemoryStaffDirectory

    reference = submit(client)
    practitioner = browser("practitioner")
    screen(practitioner, reference)
    aws.use(staff_directory=InMemoryStaffDirectory([]))  # they left
    page = page_text(practitioner.get(f"/staff/referrals/{reference}"))
    assert "A former member of staff screened it Red, level 3" in page
    assert PRACTITIONER_ID not in page


def offered(person: Browser, reference: str) -> list[str]:
    return [title.strip() for title in buttons(person.get(f"/staff/referrals/{reference}"))]


@pytest.mark.parametrize("who", ["practitioner", "manager"])
@pytest.mark.parametrize("route", ["support", "protection"])
def test_each_role_is_offered_only_the_actions_its_role_may_take(
    client: Any, browser: Any, who: str, route: str
) -> None:
    from chalicelib.web import console

    reference = submit(client, protection_referral() if route == "protection" else None)
    person = browser(who)
    screen(browser("practitioner"), reference)
    role = Role.MANAGER if who == "manager" else Role.PRACTITIONER
    titles = {form.title: form for form in console.ACTION_FORMS.values()}
    shown = offered(person, reference)
    assert shown, "nothing offered"
    for title in shown:
        form = titles[title]
        assert role in form.roles, f"{who} offered {title}"
        assert person.get(f"/staff/referrals/{reference}/{form.slug}").status_code == 200, title
    for form in console.ACTION_FORMS.values():
        if role not in form.roles:
            assert form.title not in shown
            assert person.get(f"/staff/referrals/{reference}/{form.slug}").status_code == 403


def test_an_auditor_is_offered_no_casework(client: Any, browser: Any) -> None:
    reference = submit(client)
    auditor = browser("auditor")
    response = auditor.get(f"/staff/referrals/{reference}")
    assert response.status_code == 403
    assert buttons(response) == []


def test_the_manager_only_choices_are_offered_to_managers_alone(client: Any, browser: Any) -> None:
    support, protection = submit(client), submit(client, protection_referral())
    practitioner, manager = browser("practitioner"), browser("manager")

    consent = page_text(practitioner.get(f"/staff/referrals/{support}/consent"))
    assert "Dispense with consent" not in consent and "Only a manager can dispense with consent" in consent
    assert 'value="dispensed"' not in practitioner.text()
    assert "Dispense with consent" in page_text(manager.get(f"/staff/referrals/{support}/consent"))

    told = page_text(practitioner.get(f"/staff/referrals/{protection}/parents-told"))
    assert "No, do not tell them" not in told and "Only a manager can decide the parents are not told" in told
    assert "No, do not tell them" in page_text(manager.get(f"/staff/referrals/{protection}/parents-told"))

    # The rule is the domain's: posting the choice anyway is still refused.
    refused = practitioner.post(
        f"/staff/referrals/{support}/consent",
        {"state": "dispensed", "dispensed-reason": "Synthetic", "review_on-day": "10", "review_on-month": "12",
         "review_on-year": "2026"},
    )  # fmt: skip
    assert refused.status_code == 403 and "Only a manager can dispense with consent" in page_text(refused)


def test_the_approval_page_shows_the_decision_it_approves(client: Any, browser: Any) -> None:
    reference = submit(client)
    practitioner, manager = browser("practitioner"), browser("manager")
    screen(practitioner, reference)
    decide(practitioner, reference, "strategy_discussion_s47", "Bruising seen twice this term")
    page = page_text(manager.get(f"/staff/referrals/{reference}/approval"))
    assert "The decision you are asked to approve" in page
    for said in (
        "Outcome Strategy discussion (child protection, section 47)",
        "Reasons Bruising seen twice this term",
        "Proposed by Pat Practitioner",
        "Proposed 26 November 2026 at 10am",
    ):
        assert said in page, said


def test_deciding_with_an_enquiry_unanswered_is_warned_not_blocked(client: Any, browser: Any) -> None:
    reference = submit(client)
    practitioner = browser("practitioner")
    screen(practitioner, reference)
    assert "have not answered" not in page_text(practitioner.get(f"/staff/referrals/{reference}/decision"))
    opened = act(practitioner, reference, "enquiries", [("agencies", "police"), ("question", "Known to you?")])
    assert opened.status_code == 303, page_text(opened)
    form = page_text(practitioner.get(f"/staff/referrals/{reference}/decision"))
    assert "An agency has not answered yet: Police (enquiry e1, asked 26 November 2026 at 10am)" in form
    assert "You can still decide" in form
    assert decide(practitioner, reference, "early_help").status_code == 303  # a warning, not a block
    # The referral page shows each enquiry's id, which triage asks for.
    assert "Enquiry e1 Police" in page_text(practitioner.get(f"/staff/referrals/{reference}"))


def test_a_referrer_not_sure_of_the_level_is_shown_so(client: Any, browser: Any) -> None:
    from tests.factories import example

    reference = submit(client, example("referral-protection-household.json"))
    page = page_text(browser("practitioner").get(f"/staff/referrals/{reference}"))
    assert "The referrer was not sure of the level" in page


def test_triage_offers_the_named_referrals_enquiries_by_agency_and_date(client: Any, aws: Any, browser: Any) -> None:
    from tests.test_console import triaged

    reference, triage_id = triaged(aws)
    person = browser("practitioner")
    page = person.get(f"/staff/triage/{triage_id}")
    body = person.text()
    assert re.search(r'name="enquiry_id" type="radio" value="e1"\s+checked', body)  # the one the email names
    text = page_text(page)
    assert f"The enquiries of referral {reference}" in text
    assert re.search(r"Police, asked \d+ \w+ \d{4} at [\d:]+[ap]m Enquiry e1", text), text
    response = person.post(f"/staff/triage/{triage_id}/attach", {"reference": reference, "enquiry_id": "e1"})
    assert response.headers["Location"] == "/staff/triage?done=attached"


def test_while_the_directory_cannot_be_read_staff_are_a_member_of_staff_and_the_page_opens(
    client: Any, browser: Any, aws: Any
) -> None:
    from chalicelib.domain.failures import AwsError

    class Unreadable:
        def everyone(self) -> list[Any]:
            raise AwsError("cognito-idp", "ServiceUnavailable", retryable=True)

    reference = submit(client)
    practitioner = browser("practitioner")
    screen(practitioner, reference)
    aws.use(staff_directory=Unreadable())
    response = practitioner.get(f"/staff/referrals/{reference}")
    assert response.status_code == 200
    page = page_text(response)
    assert "A member of staff screened it Red, level 3" in page
    assert "former member of staff" not in page and PRACTITIONER_ID not in page
