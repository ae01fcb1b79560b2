"""Case work's refusals (tasks, case notes) and their HTTP answers: `answer_with` catches these."""

from __future__ import annotations

from chalice import Response

from chalicelib.domain.case_notes import NoteForManager, NoteProblem
from chalicelib.domain.tasks import TaskAlreadyDone, TaskForManager, TaskNotFound
from chalicelib.web.errors import problem

REFUSALS: dict[type[Exception], tuple[int, str]] = {
    TaskNotFound: (404, "task_not_found"),
    TaskAlreadyDone: (409, "task_already_done"),
    TaskForManager: (403, "not_allowed"),
    NoteProblem: (422, "note_refused"),
    NoteForManager: (403, "not_allowed"),
}
CASE_WORK_REFUSALS = tuple(REFUSALS)


def case_work_problem(refused: Exception) -> Response:
    status, code = REFUSALS[type(refused)]
    return problem(status, code, str(refused))
