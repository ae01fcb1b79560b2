"""Case work over HTTP (issue 13 parts 4 and 5): the routes' answers and refusals, under moto."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.test_translations import polish_parent, submit

pytestmark = pytest.mark.usefixtures("issuer")


def with_a_task(client: Any, staff: Callable[..., Any]) -> tuple[str, str]:
    """A referral whose consent request is held for its translation: one open task."""
    reference = submit(client, polish_parent())
    asked = staff("practitioner", "POST", f"/admin/referrals/{reference}/consent", {"state": "requested", "parent": 0})
    assert asked.status_code == 200, asked.body
    [task] = json.loads(staff("practitioner", "GET", f"/admin/referrals/{reference}").body)["tasks"]
    return reference, task["id"]


def test_a_task_is_completed_with_a_note_and_stays_in_the_picture(client: Any, staff: Callable[..., Any]) -> None:
    reference, task_id = with_a_task(client, staff)
    url = f"/admin/referrals/{reference}/tasks/{task_id}"
    response = staff("practitioner", "POST", url, {"action": "complete", "note": "Interpreter booked for Monday"})
    assert response.status_code == 200, response.body
    answer = json.loads(response.body)
    assert answer["open_tasks"] == 0
    assert (answer["task"]["ended"], answer["task"]["note"], answer["task"]["overdue"]) == (
        "completed",
        "Interpreter booked for Monday",
        False,
    )
    [task] = json.loads(staff("manager", "GET", f"/admin/referrals/{reference}").body)["tasks"]
    assert task["done_at"] and task["done_by"] and task["ended"] == "completed"

    again = staff("manager", "POST", url, {"action": "dismiss"})
    assert (again.status_code, json.loads(again.body)["error"]) == (409, "task_already_done")


def test_an_unknown_task_is_404_and_a_bad_body_422(client: Any, staff: Callable[..., Any]) -> None:
    reference, task_id = with_a_task(client, staff)
    unknown = staff("practitioner", "POST", f"/admin/referrals/{reference}/tasks/nope", {"action": "complete"})
    assert (unknown.status_code, json.loads(unknown.body)["error"]) == (404, "task_not_found")
    url = f"/admin/referrals/{reference}/tasks/{task_id}"
    for body in ({"action": "finish"}, {"action": "complete", "note": "x" * 2001}, {"note": "no action"}):
        refused = staff("practitioner", "POST", url, body)
        assert refused.status_code == 422, (body, refused.body)
    assert staff("auditor", "POST", url, {"action": "complete"}).status_code == 403


def test_a_note_is_added_shown_in_the_picture_and_corrected_by_a_later_one(
    client: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client, polish_parent())
    url = f"/admin/referrals/{reference}/notes"
    added = staff("practitioner", "POST", url, {"type": "phone_call", "text": "Rang the school: Sam was in today."})
    assert added.status_code == 201, added.body
    note = json.loads(added.body)["note"]
    assert (note["id"], note["type"], note["corrects"], note["corrected_by"]) == ("n1", "phone_call", None, None)
    fix = staff("practitioner", "POST", url, {"type": "correction", "text": "Sam was not in.", "corrects": "n1"})
    assert fix.status_code == 201, fix.body
    notes = json.loads(staff("manager", "GET", f"/admin/referrals/{reference}").body)["case_notes"]
    assert [(n["id"], n["corrects"], n["corrected_by"]) for n in notes] == [("n1", None, "n2"), ("n2", "n1", None)]
    assert notes[0]["text"] == "Rang the school: Sam was in today."  # never edited


def test_a_bad_note_is_422_with_a_clear_message_and_oversight_is_for_managers(
    client: Any, staff: Callable[..., Any]
) -> None:
    reference = submit(client, polish_parent())
    url = f"/admin/referrals/{reference}/notes"
    long = staff("practitioner", "POST", url, {"type": "phone_call", "text": "x" * 10_001})
    assert long.status_code == 422 and "10000" in long.body.decode().replace(",", ""), long.body
    assert staff("practitioner", "POST", url, {"type": "chat", "text": "Hello"}).status_code == 422
    unknown = staff("practitioner", "POST", url, {"type": "correction", "text": "Fix", "corrects": "n7"})
    assert (unknown.status_code, json.loads(unknown.body)["error"]) == (422, "note_refused")
    oversight = {"type": "management_oversight", "text": "Plan agreed"}
    assert staff("practitioner", "POST", url, oversight).status_code == 403
    assert staff("manager", "POST", url, oversight).status_code == 201
    assert staff("practitioner", "POST", url, {"type": "phone_call", "text": "x" * 10_000}).status_code == 201


def test_the_chronology_lists_what_happened_in_order(client: Any, staff: Callable[..., Any]) -> None:
    reference, task_id = with_a_task(client, staff)
    staff("practitioner", "POST", f"/admin/referrals/{reference}/notes", {"type": "phone_call", "text": "Rang mum"})
    staff("practitioner", "POST", f"/admin/referrals/{reference}/tasks/{task_id}", {"action": "dismiss"})
    response = staff("manager", "GET", f"/admin/referrals/{reference}/chronology")
    assert response.status_code == 200, response.body
    entries = json.loads(response.body)["entries"]
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    kinds = [e["kind"] for e in entries]
    assert kinds[0] == "received" and {"email", "consent", "note", "task"} <= set(kinds)
    [note] = [e for e in entries if e["kind"] == "note"]
    assert (note["what"], note["detail"]) == ("Phone call note added (note n1)", "Rang mum")
    assert staff("auditor", "GET", f"/admin/referrals/{reference}/chronology").status_code == 403
    assert staff("manager", "GET", "/admin/referrals/K7Q-F3M-RW9/chronology").status_code == 404


def test_a_notes_and_a_tasks_words_are_never_stored_or_logged_in_clear(
    client: Any,
    aws: Any,
    staff: Callable[..., Any],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tests.conftest import table_items

    reference, task_id = with_a_task(client, staff)
    staff(
        "practitioner", "POST", f"/admin/referrals/{reference}/notes", {"type": "phone_call", "text": "CANARYNOTE1zq"}
    )
    staff(
        "practitioner",
        "POST",
        f"/admin/referrals/{reference}/tasks/{task_id}",
        {"action": "complete", "note": "CANARYTASK1zq"},
    )
    assert staff("manager", "GET", f"/admin/referrals/{reference}/chronology").status_code == 200
    dump = json.dumps(table_items(aws), default=repr)
    logs = capsys.readouterr().out + "\n".join(json.dumps(vars(r), default=str) for r in caplog.records)
    assert reference in dump and "case_note.added" in logs
    assert [c for c in ("CANARYNOTE1zq", "CANARYTASK1zq") if c in dump or c in logs] == []
