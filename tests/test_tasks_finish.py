"""Tasks finish (issue 13 part 4), at the service level against the in-memory twins: completed or
dismissed through the one change path, with who, when, how and a sealed note."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib import wiring as wiring_module
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.referral_record import ReferralClosed, ReferralStatus
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.domain.tasks import Task, TaskAlreadyDone, TaskEnd, TaskForManager, TaskKind, TaskNotFound, open_tasks
from chalicelib.services.tasks import finish_referral_task
from tests.factories import in_memory_hub, stored_referral

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
PRACTITIONER = StaffMember("0b6f7c1e-0000-4000-8000-000000000001", frozenset({Role.PRACTITIONER}))
MANAGER = StaffMember("0b6f7c1e-0000-4000-8000-000000000002", frozenset({Role.MANAGER}))
NOTE = "Rang Alex Testparent on 01632 960001: she has the letter"
TASKS = (
    Task("ack:no-email", TaskKind.CONTACT_PARENT_ANOTHER_WAY, NOW - dt.timedelta(hours=2), about="ack"),
    Task("e1:escalated", TaskKind.ENQUIRY_ESCALATED, NOW - dt.timedelta(hours=1), about="e1"),
    Task("review:x", TaskKind.REVIEW_PERSON_NOT_TOLD, NOW, due_on=dt.date(2026, 11, 20)),
)


@pytest.fixture
def hub() -> Iterator[Any]:
    yield in_memory_hub(NOW)
    wiring_module.reset()


def with_tasks(hub: Any, tasks: tuple[Task, ...] = TASKS) -> str:
    reference = stored_referral(hub, NOW).reference
    opened = hub.referrals.open(reference)
    hub.referrals.save(opened, replace(opened.referral, tasks=tasks), [])
    return reference


def test_a_completed_task_leaves_the_to_do_list_and_keeps_who_when_how_and_the_note(hub: Any) -> None:
    reference = with_tasks(hub)
    saved = finish_referral_task(
        reference, "ack:no-email", TaskEnd.COMPLETED, note=NOTE, staff=PRACTITIONER, request_id="req-1"
    )
    task = next(t for t in saved.tasks if t.task_id == "ack:no-email")
    assert (task.open, task.done_by, task.done_at, task.ended, task.note) == (
        False,
        PRACTITIONER.id,
        NOW,
        TaskEnd.COMPLETED,
        NOTE,
    )
    assert [t.task_id for t in open_tasks(saved.tasks)] == ["review:x", "e1:escalated"]  # due first
    # As stored and read back: the note is sealed, never in the clear item.
    again = hub.referrals.fetch(reference)
    assert next(t for t in again.tasks if t.task_id == "ack:no-email").note == NOTE
    raw = str(hub.referrals._get(reference))
    assert "Testparent" not in raw and "01632" not in raw
    events, _ = hub.referrals.audit_trail(reference)
    [event] = [e for e in events if e.action is AuditAction.TASK_FINISHED]
    assert event.details == {
        "task": "ack:no-email",
        "kind": "contact_parent_another_way",
        "how": "completed",
        "note": "yes",
    }
    assert (event.actor, event.request_id) == (PRACTITIONER.id, "req-1")


def test_a_dismissed_task_says_so_and_cannot_be_finished_twice(hub: Any) -> None:
    reference = with_tasks(hub)
    saved = finish_referral_task(reference, "review:x", TaskEnd.DISMISSED, note=None, staff=MANAGER, request_id=None)
    assert next(t for t in saved.tasks if t.task_id == "review:x").ended is TaskEnd.DISMISSED
    with pytest.raises(TaskAlreadyDone):
        finish_referral_task(reference, "review:x", TaskEnd.COMPLETED, note=None, staff=MANAGER, request_id=None)


def test_an_unknown_task_is_not_found_and_nothing_is_audited(hub: Any) -> None:
    reference = with_tasks(hub)
    with pytest.raises(TaskNotFound):
        finish_referral_task(reference, "nope", TaskEnd.COMPLETED, note=None, staff=PRACTITIONER, request_id=None)
    events, _ = hub.referrals.audit_trail(reference)
    assert not [e for e in events if e.action is AuditAction.TASK_FINISHED]


def test_a_managers_task_is_finished_by_a_manager_only(hub: Any) -> None:
    reference = with_tasks(hub)
    with pytest.raises(TaskForManager):
        finish_referral_task(
            reference, "e1:escalated", TaskEnd.COMPLETED, note=None, staff=PRACTITIONER, request_id=None
        )
    saved = finish_referral_task(
        reference, "e1:escalated", TaskEnd.COMPLETED, note=None, staff=MANAGER, request_id=None
    )
    assert not next(t for t in saved.tasks if t.task_id == "e1:escalated").open


def test_a_closed_referral_refuses_it(hub: Any) -> None:
    reference = with_tasks(hub)
    opened = hub.referrals.open(reference)
    hub.referrals.save(opened, replace(opened.referral, status=ReferralStatus.CLOSED), [])
    with pytest.raises(ReferralClosed):
        finish_referral_task(reference, "review:x", TaskEnd.COMPLETED, note=None, staff=MANAGER, request_id=None)


def test_finishing_a_task_unwraps_the_referrals_key_once_and_makes_no_new_one(hub: Any) -> None:
    reference = with_tasks(hub)
    keys = hub.referrals.cipher._keys
    generated, unwrapped = keys.generated, keys.unwrapped
    finish_referral_task(reference, "review:x", TaskEnd.COMPLETED, note=NOTE, staff=MANAGER, request_id=None)
    assert (keys.generated - generated, keys.unwrapped - unwrapped) == (0, 1)


def test_the_delivery_path_keeps_a_finished_tasks_note(hub: Any) -> None:
    reference = with_tasks(hub)
    finish_referral_task(reference, "review:x", TaskEnd.COMPLETED, note=NOTE, staff=MANAGER, request_id=None)
    referral = hub.referrals.fetch(reference)
    hub.referrals.save_notices(referral)  # rewrites the clear tasks map, as a bounce does
    task = next(t for t in hub.referrals.fetch(reference).tasks if t.task_id == "review:x")
    assert (task.ended, task.note) == (TaskEnd.COMPLETED, NOTE)
