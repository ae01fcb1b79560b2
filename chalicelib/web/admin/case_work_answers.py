"""Tasks, case notes and chronology entries as the staff API shows them: in the whole picture, in the
answers to finishing a task or adding a note, and in the chronology."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from chalicelib.domain.case_notes import CaseNote, corrections
from chalicelib.domain.london_time import london_date
from chalicelib.domain.tasks import TASK_TEXT, Task
from chalicelib.web.admin.shaping import _iso

if TYPE_CHECKING:
    from chalicelib.domain.chronology import Entry  # an annotation only: the module is heavy to import


def task_answer(task: Task, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": task.task_id,
        "kind": task.kind.value,
        "text": TASK_TEXT[task.kind],
        "created_at": _iso(task.created_at),
        "about": task.about,
        "done_at": _iso(task.done_at),
        "due_on": task.due_on.isoformat() if task.due_on else None,
        "done_by": task.done_by,
        "ended": task.ended.value if task.ended else None,
        "note": task.note,
        "overdue": task.overdue(london_date(now)),
    }


def note_answer(note: CaseNote, corrected: dict[str, str]) -> dict[str, Any]:
    return {
        "id": note.note_id,
        "type": note.kind.value,
        "text": note.text,
        "written_by": note.written_by,
        "written_at": _iso(note.written_at),
        "corrects": note.corrects,
        "corrected_by": corrected.get(note.note_id),
    }


def notes_answer(notes: tuple[CaseNote, ...]) -> list[dict[str, Any]]:
    corrected = corrections(notes)
    return [note_answer(note, corrected) for note in notes]


def entry_answer(entry: Entry) -> dict[str, Any]:
    return {
        "at": _iso(entry.at),
        "kind": entry.kind.value,
        "what": entry.what,
        "who": entry.who,
        "actor": entry.actor,
        "detail": entry.detail,
        "ref": entry.ref,
    }
