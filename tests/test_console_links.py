"""The console's links between referrals: one click from "known before", the link form, a manager's
removal, and marking a duplicate (each form over the admin API's links routes)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_console import browser, buttons, clock, error_summary, page_text, stored, submit

pytestmark = pytest.mark.usefixtures("issuer")
__all__ = ["browser", "clock"]  # the console tests' fixtures, used here


def test_a_known_before_match_is_linked_in_one_click_and_shows_on_both_pages(client: Any, browser: Any) -> None:
    first, second = submit(client), submit(client)  # the same child twice: known before
    person = browser("practitioner")
    page = person.get(f"/staff/referrals/{second}")
    assert f"Link {first} as the same child" in page_text(page)
    assert "Remove a link" not in buttons(page)  # a manager's act
    response = person.post(
        f"/staff/referrals/{second}/link",
        {"other": first, "kind": "same_child", "reason": "Known before: the same child's name and date of birth"},
    )
    assert (response.status_code, response.headers["Location"]) == (303, f"/staff/referrals/{second}?done=link")
    text = page_text(person.get(response.headers["Location"]))
    assert "Referrals linked: the link shows on both" in text
    assert f"{first} The same child Known before: the same child's name and date of birth" in text
    assert f"Link {first} as the same child" not in text
    assert f"{second} The same child" in page_text(person.get(f"/staff/referrals/{first}"))


def test_the_link_form_says_what_to_fix(client: Any, browser: Any) -> None:
    first = submit(client)
    person = browser("practitioner")
    assert "Link another referral" in buttons(person.get(f"/staff/referrals/{first}"))
    person.get(f"/staff/referrals/{first}/link")
    response = person.post(f"/staff/referrals/{first}/link", {})
    assert response.status_code == 400
    assert error_summary(response) == [
        "Enter the other referral's reference", "Select how the referrals are linked", "Enter why they are linked",
    ]  # fmt: skip
    response = person.post(f"/staff/referrals/{first}/link", {"other": first, "kind": "siblings", "reason": "x"})
    assert response.status_code == 422
    assert error_summary(response) == ["A referral cannot be linked to itself: give the other referral's reference"]


def test_a_manager_removes_a_link_with_a_reason(client: Any, browser: Any) -> None:
    first, second = submit(client), submit(client)
    person = browser("practitioner")
    person.get(f"/staff/referrals/{first}/link")
    person.post(f"/staff/referrals/{first}/link", {"other": second, "kind": "siblings", "reason": "Synthetic: sisters"})
    manager = browser("manager")
    assert "Remove a link" in buttons(manager.get(f"/staff/referrals/{first}"))
    form = manager.get(f"/staff/referrals/{first}/unlink")
    assert f"{second} (siblings)" in page_text(form)
    response = manager.post(f"/staff/referrals/{first}/unlink", {"other": second})
    assert error_summary(response) == ["Enter why the link is wrong"]
    response = manager.post(f"/staff/referrals/{first}/unlink", {"other": second, "reason": "Synthetic: cousins"})
    assert response.status_code == 303, response.body
    assert "Removed by" in page_text(manager.get(f"/staff/referrals/{second}"))
    assert [link.current for link in stored(second).links] == [False]


def test_marking_a_duplicate_closes_it_and_names_the_original(client: Any, browser: Any) -> None:
    original, duplicate = submit(client), submit(client)
    person = browser("practitioner")
    assert "Mark as a duplicate" in buttons(person.get(f"/staff/referrals/{duplicate}"))
    person.get(f"/staff/referrals/{duplicate}/duplicate")
    response = person.post(
        f"/staff/referrals/{duplicate}/duplicate",
        {"kind": "duplicate_of", "other": original, "reason": "Synthetic: sent twice"},
    )
    assert response.status_code == 303, response.body
    assert stored(duplicate).status.value == "closed"
    page = person.get(f"/staff/referrals/{duplicate}?reason=quality_audit")
    assert f"Closed as a duplicate of {original}" in page_text(page)
    assert "Mark as a duplicate" not in buttons(page)
