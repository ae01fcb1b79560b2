"""Response models for case work on one referral: finishing tasks, case notes, the chronology
(admin/case_work.py)."""

from __future__ import annotations

from pydantic import Field

from chalicelib.web.admin.responses import REFERENCE_EXAMPLE, Count, StaffAnswer
from chalicelib.web.admin.responses_picture import CaseNote, Task


class TaskFinished(StaffAnswer):
    """A task completed or dismissed: it has left the to-do list and stays on the referral."""

    reference: str = Field(examples=[REFERENCE_EXAMPLE])
    task: Task
    open_tasks: Count = Field(description="Tasks still open on the referral")


class NoteAdded(StaffAnswer):
    reference: str = Field(examples=[REFERENCE_EXAMPLE])
    note: CaseNote
