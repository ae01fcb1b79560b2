"""Allocation, "my work" and the queue that recognises people: use cases on the in-memory twins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib import wiring as wiring_module
from chalicelib.domain.allocation import NotStaff
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.decision import NotAllowed
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.referral_record import ReferralClosed
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.domain.tasks import Task, TaskKind
from chalicelib.services.allocate import allocate_referral
from chalicelib.services.my_work import my_work
from chalicelib.services.queue_people import shown_rows
from tests.factories import in_memory_hub, stored_referral

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
PAT = StaffMember("staff-pat", frozenset({Role.PRACTITIONER}))
SAM = StaffMember("staff-sam", frozenset({Role.PRACTITIONER}))
MORGAN = StaffMember("staff-morgan", frozenset({Role.MANAGER}))


@pytest.fixture
def hub() -> Iterator[Any]:
    yield in_memory_hub(NOW)
    wiring_module.reset()


def allocated(hub: Any, reference: str) -> list[dict[str, str]]:
    events, _head = hub.referrals.audit_trail(reference)
    return [{"by": e.actor, **e.details} for e in events if e.action is AuditAction.ALLOCATED]


def test_a_practitioner_takes_a_referral_and_the_change_is_audited(hub: Any) -> None:
    reference = stored_referral(hub, NOW).reference
    saved = allocate_referral(reference, to="me", staff=PAT, request_id="r1")
    assert saved.owner == "staff-pat" == hub.referrals.fetch(reference).owner
    assert allocated(hub, reference) == [{"by": "staff-pat", "from": "", "to": "staff-pat"}]
    with pytest.raises(NotAllowed, match="already assigned to you"):
        allocate_referral(reference, to="staff-pat", staff=PAT, request_id=None)


def test_only_a_manager_gives_a_referral_to_someone_else_or_takes_it_from_a_colleague(hub: Any) -> None:
    reference = stored_referral(hub, NOW).reference
    with pytest.raises(NotAllowed, match="Only a manager can assign a referral to someone else"):
        allocate_referral(reference, to="staff-sam", staff=PAT, request_id=None)
    allocate_referral(reference, to="me", staff=PAT, request_id=None)
    with pytest.raises(NotAllowed, match="assigned to Pat Practitioner: only a manager"):
        allocate_referral(reference, to="me", staff=SAM, request_id=None)
    with pytest.raises(NotAllowed, match="assigned to Pat Practitioner"):
        allocate_referral(reference, to=None, staff=SAM, request_id=None)

    allocate_referral(reference, to="staff-sam", staff=MORGAN, request_id=None)
    assert hub.referrals.fetch(reference).owner == "staff-sam"
    assert allocated(hub, reference)[-1] == {"by": "staff-morgan", "from": "staff-pat", "to": "staff-sam"}


def test_the_owner_or_a_manager_unassigns(hub: Any) -> None:
    reference = stored_referral(hub, NOW).reference
    with pytest.raises(NotAllowed, match="not assigned to anyone"):
        allocate_referral(reference, to=None, staff=PAT, request_id=None)
    allocate_referral(reference, to="me", staff=PAT, request_id=None)
    assert allocate_referral(reference, to=None, staff=PAT, request_id=None).owner is None
    allocate_referral(reference, to="me", staff=SAM, request_id=None)
    assert allocate_referral(reference, to=None, staff=MORGAN, request_id=None).owner is None
    assert [e["to"] for e in allocated(hub, reference)] == ["staff-pat", "", "staff-sam", ""]


@pytest.mark.parametrize("to", ["staff-alex", "someone-unknown"])
def test_assigning_to_someone_who_is_not_casework_staff_is_refused_and_changes_nothing(hub: Any, to: str) -> None:
    reference = stored_referral(hub, NOW).reference
    with pytest.raises(NotStaff, match="not in the staff directory as a practitioner or manager"):
        allocate_referral(reference, to=to, staff=MORGAN, request_id=None)
    assert hub.referrals.fetch(reference).owner is None
    assert allocated(hub, reference) == []


def test_a_closed_referral_is_not_allocated(hub: Any) -> None:
    referral = stored_referral(hub, NOW)
    opened = hub.referrals.open(referral.reference)
    hub.referrals.save(opened, replace(opened.referral, status=ReferralStatus.CLOSED), [])
    with pytest.raises(ReferralClosed):
        allocate_referral(referral.reference, to="me", staff=PAT, request_id=None)


def test_two_people_taking_a_referral_at_once_do_not_overwrite_each_other(hub: Any) -> None:
    """Sam's change lands between Pat's read and Pat's write: Pat's step is re-applied to a fresh
    read, which now refuses it (it is Sam's), so nobody's allocation is silently lost."""
    reference = stored_referral(hub, NOW).reference
    store = hub.referrals
    real_open = store.open
    raced: list[bool] = []

    def open_then_race(ref: str) -> Any:
        opened = real_open(ref)
        if not raced:
            raced.append(True)
            allocate_referral(ref, to="me", staff=SAM, request_id=None)
        return opened

    store.open = open_then_race
    try:
        with pytest.raises(NotAllowed, match="assigned to Sam Second"):
            allocate_referral(reference, to="me", staff=PAT, request_id=None)
    finally:
        store.open = real_open
    assert store.fetch(reference).owner == "staff-sam"
    assert [e["to"] for e in allocated(hub, reference)] == ["staff-sam"]


def with_tasks(hub: Any, reference: str, *tasks: Task) -> None:
    opened = hub.referrals.open(reference)
    changed = opened.referral
    for task in tasks:
        changed = changed.with_task(task)
    hub.referrals.save(opened, changed, [])


def test_my_work_lists_my_open_referrals_and_their_tasks_most_urgent_first(hub: Any) -> None:
    first = stored_referral(hub, NOW, "AAA-AAA-AA1").reference
    second = stored_referral(hub, NOW, "AAA-AAA-AA2").reference
    someone_elses = stored_referral(hub, NOW, "AAA-AAA-AA3").reference
    for reference in (first, second):
        allocate_referral(reference, to="me", staff=PAT, request_id=None)
    allocate_referral(someone_elses, to="me", staff=SAM, request_id=None)
    yesterday, tomorrow = TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=1)
    with_tasks(
        hub,
        first,
        Task("t-read", TaskKind.REPLY_TO_READ, NOW),
        Task("t-done", TaskKind.CONSENT_ANSWERED, NOW, done_by="staff-pat", done_at=NOW),
    )
    with_tasks(
        hub,
        second,
        Task("t-review", TaskKind.REVIEW_PERSON_NOT_TOLD, NOW, due_on=tomorrow),
        Task("t-late", TaskKind.REVIEW_CONSENT_DISPENSED, NOW, due_on=yesterday),
    )
    with_tasks(hub, someone_elses, Task("t-theirs", TaskKind.REPLY_TO_READ, NOW))

    mine = my_work(PAT, today=TODAY)
    assert {shown.row.reference for shown in mine.referrals} == {first, second}
    assert [(t.reference, t.task.task_id, t.overdue) for t in mine.tasks] == [
        (second, "t-late", True),  # overdue first
        (second, "t-review", False),  # then the soonest due
        (first, "t-read", False),  # then undated, by the referral's urgency
    ]
    counts = {shown.row.reference: (shown.open_tasks, shown.overdue_tasks) for shown in mine.referrals}
    assert counts == {first: (1, 0), second: (2, 1)}
    assert not mine.more

    opened = hub.referrals.open(first)  # a closed referral leaves my work
    hub.referrals.save(opened, replace(opened.referral, status=ReferralStatus.CLOSED), [])
    assert [shown.row.reference for shown in my_work(PAT, today=TODAY).referrals] == [second]
    assert hub.referrals.fetch(first).owner == "staff-pat"  # who owned it is kept


def test_my_work_and_the_queue_need_no_decryption(hub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The queue names the children from their sealed cards and the owner from the directory; a
    referral with no card (stored before cards were kept on the item) shows by reference alone."""
    named = stored_referral(hub, NOW, "AAA-AAA-AA1", card=True).reference
    unnamed = stored_referral(hub, NOW, "AAA-AAA-AA2").reference
    allocate_referral(named, to="me", staff=PAT, request_id=None)  # a change keeps the card
    with_tasks(hub, named, Task("t-late", TaskKind.REVIEW_CONSENT_DISPENSED, NOW, due_on=TODAY - dt.timedelta(days=2)))

    def no_decryption(*_: Any) -> Any:
        raise AssertionError("the queue must not unwrap a referral's key")

    monkeypatch.setattr(hub.referrals.cipher, "open", no_decryption)
    rows = {shown.row.reference: shown for shown in shown_rows(hub.referrals.list_queue().rows, today=TODAY)}
    assert [(c.first_name, c.date_of_birth) for c in rows[named].children] == [("Sam", dt.date(2017, 3, 14))]
    assert (rows[named].owner_name, rows[named].open_tasks, rows[named].overdue_tasks) == ("Pat Practitioner", 1, 1)
    assert (rows[unnamed].children, rows[unnamed].owner_name) == ((), None)
    assert [shown.row.reference for shown in my_work(PAT, today=TODAY).referrals] == [named]


def test_an_owner_who_has_left_is_a_former_member_of_staff_never_an_id(hub: Any) -> None:
    reference = stored_referral(hub, NOW).reference
    allocate_referral(reference, to="me", staff=PAT, request_id=None)
    hub.staff_directory.entries = [e for e in hub.staff_directory.entries if e.id != "staff-pat"]
    [shown] = shown_rows(hub.referrals.list_queue().rows, today=TODAY)
    assert shown.owner_name == "a former member of staff"


def test_a_directory_outage_never_stops_someone_taking_the_work(hub: Any) -> None:
    from chalicelib.domain.failures import AwsError

    class Unreachable:
        def everyone(self) -> list[Any]:
            raise AwsError("cognito-idp", "ServiceUnavailable", retryable=True)

    reference = stored_referral(hub, NOW).reference
    hub.use(staff_directory=Unreachable())
    assert allocate_referral(reference, to="me", staff=PAT, request_id=None).owner == "staff-pat"
    with pytest.raises(AwsError):  # giving it to someone else needs the directory: try again
        allocate_referral(reference, to="staff-sam", staff=MORGAN, request_id=None)
    assert hub.referrals.fetch(reference).owner == "staff-pat"


def test_owners_are_named_a_member_of_staff_while_the_directory_cannot_be_read(hub: Any) -> None:
    from chalicelib.domain.failures import AwsError

    class Unreachable:
        def everyone(self) -> list[Any]:
            raise AwsError("cognito-idp", "ServiceUnavailable", retryable=True)

    reference = stored_referral(hub, NOW).reference
    allocate_referral(reference, to="me", staff=PAT, request_id=None)
    hub.use(staff_directory=Unreachable())
    [shown] = shown_rows(hub.referrals.list_queue().rows, today=TODAY)
    assert shown.owner_name == "a member of staff"  # not "former": they may well still be here
