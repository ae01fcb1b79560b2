"""Case work in the console (issue 13 parts 4 and 5): finishing a task.

The referral page shows each open task near its top with its own small form (a note, then "Mark as
done" or "Dismiss"), posting to the `task` action below; the action's own page (radios of the open
tasks) is where a refused or invalid post comes back to.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.staff import StaffMember
from chalicelib.domain.tasks import TASK_TEXT, open_tasks
from chalicelib.web.admin import case_work as case_work_api
from chalicelib.web.console.action_forms import ActionForm, register
from chalicelib.web.console.formatting import when


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
