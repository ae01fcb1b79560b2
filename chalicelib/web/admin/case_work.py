"""Case work on one referral: finishing tasks (issue 13 part 4), case notes (part 5).

POST /admin/referrals/{reference}/tasks/{task_id}  {"action": "complete" | "dismiss", "note": "..."}
    practitioner, manager (a manager's task: managers only). 404 for an unknown task, 409 for one
    already finished or a closed referral, 422 for a bad body. Audited (ids and codes; the note sealed).

POST /admin/referrals/{reference}/notes  {"type": "phone_call", "text": "...", "corrects": "n1"}
    practitioner, manager (management oversight: managers only). 201 with the note. Append-only: a
    correction (type "correction", corrects the note's id) is a new note; the old one is shown as
    corrected. Up to 10,000 characters; sealed under the referral's key; audited (id and type).

GET /admin/referrals/{reference}/chronology
    practitioner, manager (the emergency duty team: referrals it was alerted to). One list in time
    order: received, screening, decisions, consent, parents told, contact plan, notes, emails and
    their delivery, enquiries, replies, tasks done, documents. An audited read (one KMS Decrypt);
    a closed referral needs ?reason=.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal

from chalice import Response
from pydantic import AfterValidator, StringConstraints

from chalicelib.domain.case_notes import NOTE_MAX_LENGTH, CaseNote, NoteType
from chalicelib.domain.referral import no_control_characters
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.domain.tasks import TASK_NOTE_MAX_LENGTH, TaskEnd, TaskNotFound
from chalicelib.web.admin.answers import answer_with
from chalicelib.web.admin.case_work_answers import entry_answer, note_answer, task_answer
from chalicelib.web.admin.common import (
    CASEWORK,
    STAFF_BODY_LIMIT,
    _access_reason,
    _json,
    _now,
    _reference,
    _request_id,
    admin,
)
from chalicelib.web.admin.request_fields import StaffRequest
from chalicelib.web.admin.shaping import shaped
from chalicelib.web.auth import admin_route, current_staff
from chalicelib.web.json_body import ANY_BODY, parse_json

# Task ids are the hub's own (`reply_to_read:r1`, `ack:translate`, `review:…`): never personal.
TASK_ID = re.compile(r"[A-Za-z0-9_:.-]{1,128}")
TASK_ID_IN_PATH = {
    "name": "task_id",
    "in": "path",
    "required": True,
    "description": "A task's id, as the whole picture lists it (`tasks[].id`)",
    "schema": {"type": "string", "pattern": f"^{TASK_ID.pattern}$"},
}
TASK_ACTIONS = {"complete": TaskEnd.COMPLETED, "dismiss": TaskEnd.DISMISSED}

TaskNote = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=TASK_NOTE_MAX_LENGTH),
    AfterValidator(no_control_characters),
]

if TYPE_CHECKING:
    from chalicelib.domain.referral_record import Referral


NoteText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NOTE_MAX_LENGTH),
    AfterValidator(no_control_characters),
]


class NoteRequest(StaffRequest):
    """A case note: its type, its words, and (a correction) the note it corrects."""

    type: NoteType
    text: NoteText
    corrects: Annotated[str, StringConstraints(strip_whitespace=True, pattern="^n[1-9][0-9]{0,4}$")] | None = None


class TaskRequest(StaffRequest):
    """Complete a task (it is done) or dismiss it (it is not needed), with an optional note."""

    action: Literal["complete", "dismiss"]
    note: TaskNote | None = None


class ConsoleTaskRequest(TaskRequest):
    """The console's form of it: the task is chosen on the page, not in the path."""

    task_id: Annotated[str, StringConstraints(strip_whitespace=True, pattern=f"^{TASK_ID.pattern}$")]


def finish_task_now(
    reference: str, task_id: str, body: TaskRequest, staff: StaffMember, request_id: str | None
) -> Referral:
    """The one service call, for the route and the console's form."""
    from chalicelib.services.tasks import finish_referral_task

    return finish_referral_task(
        reference, task_id, TASK_ACTIONS[body.action], note=body.note, staff=staff, request_id=request_id
    )


@admin_route(
    admin, "/admin/referrals/{reference}/tasks/{task_id}", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY
)
def finish_task(reference: str, task_id: str) -> Response:
    def work() -> Response:
        from chalicelib.web.admin.responses_case_work import TaskFinished

        # The body first, as every staff route: a bad body is a 400/422 whatever the path holds.
        body = parse_json(admin.current_request, TaskRequest, STAFF_BODY_LIMIT, "task")
        if not TASK_ID.fullmatch(task_id):
            raise TaskNotFound(task_id)
        referral = finish_task_now(
            _reference(reference), task_id, body, current_staff(admin.current_request), _request_id()
        )
        task = next(t for t in referral.tasks if t.task_id == task_id)
        answer = {
            "reference": referral.reference,
            "task": task_answer(task, _now()),
            "open_tasks": sum(1 for t in referral.tasks if t.open),
        }
        return _json(shaped(TaskFinished, answer))

    return answer_with(work)


def add_note_now(reference: str, body: NoteRequest, staff: StaffMember, request_id: str | None) -> CaseNote:
    """The one service call, for the route and the console's form."""
    from chalicelib.services.case_notes import add_case_note

    _saved, note = add_case_note(
        reference, body.type, body.text, corrects=body.corrects, staff=staff, request_id=request_id
    )
    return note


@admin_route(admin, "/admin/referrals/{reference}/notes", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def add_note(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.web.admin.responses_case_work import NoteAdded

        # Notes are long: the body limit is the staff one (16 KiB) plus room for 10,000 characters.
        body = parse_json(admin.current_request, NoteRequest, NOTE_BODY_LIMIT, "note")
        normalised = _reference(reference)
        note = add_note_now(normalised, body, current_staff(admin.current_request), _request_id())
        return _json(shaped(NoteAdded, {"reference": normalised, "note": note_answer(note, {})}), status=201)

    return answer_with(work)


# 10,000 characters of text, each up to 4 bytes of UTF-8 and up to 6 when JSON-escaped.
NOTE_BODY_LIMIT = STAFF_BODY_LIMIT + 6 * NOTE_MAX_LENGTH


@admin_route(admin, "/admin/referrals/{reference}/chronology", methods=["GET"], roles=CASEWORK | {Role.EDT})
def chronology(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.chronology import read_chronology
        from chalicelib.web.admin.responses_case_work import Chronology

        found = read_chronology(
            _reference(reference),
            staff=current_staff(admin.current_request),
            request_id=_request_id(),
            reason=_access_reason(),
        )
        answer = {"reference": found.referral.reference, "entries": [entry_answer(e) for e in found.entries]}
        return _json(shaped(Chronology, answer))

    return answer_with(work)
