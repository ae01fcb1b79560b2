"""Response models for case work on one referral: finishing tasks, case notes, the chronology
(admin/case_work.py)."""

from __future__ import annotations

from pydantic import Field

from chalicelib.domain.chronology import EntryKind
from chalicelib.web.admin.responses import REFERENCE_EXAMPLE, Count, DateTime, StaffAnswer
from chalicelib.web.admin.responses_picture import CaseNote, Task


class TaskFinished(StaffAnswer):
    """A task completed or dismissed: it has left the to-do list and stays on the referral."""

    reference: str = Field(examples=[REFERENCE_EXAMPLE])
    task: Task
    open_tasks: Count = Field(description="Tasks still open on the referral")


class NoteAdded(StaffAnswer):
    reference: str = Field(examples=[REFERENCE_EXAMPLE])
    note: CaseNote


class ChronologyEntry(StaffAnswer):
    at: DateTime
    kind: EntryKind
    what: str = Field(description="What happened, in a plain sentence")
    who: str = Field(description="Who did it, in words (a member of staff, the hub, the referrer, a parent, an agency)")
    actor: str | None = Field(description="The staff id, when a member of staff did it")
    detail: str | None = Field(description="A note's words, or a finished task and its note")
    ref: str | None = Field(description="The note, notice, enquiry or task it is about")


class Chronology(StaffAnswer):
    """Everything that happened to a referral, oldest first (reads of it are in its audit trail)."""

    reference: str = Field(examples=[REFERENCE_EXAMPLE])
    entries: list[ChronologyEntry]
