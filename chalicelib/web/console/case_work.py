"""Case work in the console (issue 13 parts 4 and 5): finishing a task, adding a case note, and the
referral's chronology (its own page, linked from the referral page).

The referral page shows each open task near its top with its own small form (a note, then "Mark as
done" or "Dismiss"), posting to the `task` action below; the action's own page (radios of the open
tasks) is where a refused or invalid post comes back to. "Add a note" is a button of its own; the
notes are listed near the top of the referral page.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.domain.audit import AccessReason
from chalicelib.domain.case_notes import MANAGER_NOTES, NOTE_MAX_LENGTH, NOTE_TYPE_LABELS, corrections
from chalicelib.domain.staff import StaffMember
from chalicelib.domain.tasks import TASK_TEXT, open_tasks
from chalicelib.web.admin import case_work as case_work_api
from chalicelib.web.console.action_forms import ActionForm, Branches, register
from chalicelib.web.console.formatting import when
from chalicelib.web.console.routing import (
    Visit,
    _api_roles,
    _page,
    _request_id,
    audited_read_page,
    console_route,
    referral_href,
)


def _finish_task(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    return case_work_api.finish_task_now(reference, body.task_id, body, staff, request_id)


def _open_task_choices(view: Any) -> dict[str, Any]:
    return {
        "open_tasks": [
            (task.task_id, TASK_TEXT[task.kind], when(task.created_at)) for task in open_tasks(view.referral.tasks)
        ]
    }


TASK = register(
    ActionForm(
        slug="task",
        title="Complete or dismiss a task",
        api_route=case_work_api.finish_task,
        model=case_work_api.ConsoleTaskRequest,
        perform=_finish_task,
        done="Task finished: it has left the to-do list and stays in the referral's history",
        # Offered by each open task on the referral page, not as a button of its own.
        offered=lambda picture: False,
        blank_messages={
            "task_id": "Select the task",
            "action": "Select whether the task is done or dismissed",
        },
        record_choices=_open_task_choices,
        button="Save",
    )
)


def _add_note(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    return case_work_api.add_note_now(reference, body, staff, request_id)


def _note_types() -> dict[str, Any]:
    return {
        "note_types": [
            (kind.value, label, "Managers only" if kind in MANAGER_NOTES else None)
            for kind, label in NOTE_TYPE_LABELS.items()
        ],
        "note_max_length": NOTE_MAX_LENGTH,
    }


def _notes_to_correct(view: Any) -> dict[str, Any]:
    notes = view.referral.case_notes
    corrected = corrections(notes)
    return {
        "notes_to_correct": [
            (note.note_id, NOTE_TYPE_LABELS[note.kind], when(note.written_at), note.note_id in corrected)
            for note in notes
        ]
    }


NOTE = register(
    ActionForm(
        slug="note",
        title="Add a note",
        api_route=case_work_api.add_note,
        model=case_work_api.NoteRequest,
        perform=_add_note,
        done="Note added",
        offered=lambda picture: picture["status"] != "closed",
        blank_messages={
            "type": "Select the type of note",
            "text": "Enter the note",
            "corrects": "Select the note this corrects",
        },
        choices=_note_types,
        branches=Branches("type", {"correction": ("corrects",)}),
        record_choices=_notes_to_correct,
        button="Add the note",
    )
)


@console_route("/staff/referrals/{reference}/chronology", methods=["GET"], roles=_api_roles(case_work_api.chronology))
def chronology_page(visit: Visit, reference: str) -> Response:
    """What happened to the referral, oldest first; the read is audited (as the API's chronology)."""
    from chalicelib.services.chronology import read_chronology

    def read(normalised: str, reason: AccessReason | None) -> Any:
        return read_chronology(normalised, staff=visit.staff, request_id=_request_id(), reason=reason).entries

    def show(normalised: str, access_reason: str | None, entries: Any) -> Response:
        return _page(
            "staff/chronology.html",
            me=visit.me,
            nav="queue",
            reference=normalised,
            entries=entries,
            back_href=referral_href(normalised, access_reason=access_reason),
        )

    return audited_read_page(visit, reference, read, show)
