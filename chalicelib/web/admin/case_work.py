"""Case work on one referral: finishing tasks (issue 13 part 4).

POST /admin/referrals/{reference}/tasks/{task_id}  {"action": "complete" | "dismiss", "note": "..."}
    practitioner, manager (a manager's task: managers only). 404 for an unknown task, 409 for one
    already finished or a closed referral, 422 for a bad body. Audited (ids and codes; the note sealed).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from chalice import Response
from pydantic import AfterValidator, StringConstraints

from chalicelib.domain.referral import no_control_characters
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.domain.tasks import TASK_NOTE_MAX_LENGTH, TaskEnd, TaskNotFound
from chalicelib.web.admin.answers import answer_with
from chalicelib.web.admin.common import CASEWORK, STAFF_BODY_LIMIT, _json, _now, _reference, _request_id, admin
from chalicelib.web.admin.models import StaffRequest
from chalicelib.web.admin.responses import shaped
from chalicelib.web.admin.responses_case_work import TaskFinished
from chalicelib.web.admin.task_answers import task_answer
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
        if not TASK_ID.fullmatch(task_id):
            raise TaskNotFound(task_id)
        body = parse_json(admin.current_request, TaskRequest, STAFF_BODY_LIMIT, "task")
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
