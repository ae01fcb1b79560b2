"""The answers' models for allocation and "my work" (see responses.py for how answers are shaped)."""

from __future__ import annotations

from pydantic import Field

from chalicelib.domain.decision import Rag
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.tasks import TaskKind
from chalicelib.web.admin.responses import REFERENCE_EXAMPLE, Count, Date, DateTime, StaffAnswer

OWNER = "Who owns the work: a staff id (null: nobody)"
OWNER_NAME = 'The owner by name from the staff directory ("a former member of staff" if no longer there)'


class Allocation(StaffAnswer):
    """After an allocation: who owns the referral now."""

    reference: str = Field(examples=[REFERENCE_EXAMPLE])
    status: ReferralStatus
    owner: str | None = Field(description=OWNER)
    owner_name: str | None = Field(description=OWNER_NAME)


class MyReferral(StaffAnswer):
    reference: str = Field(examples=[REFERENCE_EXAMPLE])
    status: ReferralStatus
    rag: Rag | None
    immediate_risk: bool
    received_at: DateTime
    due_at: DateTime | None = Field(description="The decision deadline")
    open_tasks: Count
    overdue_tasks: Count


class MyTask(StaffAnswer):
    reference: str = Field(examples=[REFERENCE_EXAMPLE])
    task_id: str
    kind: TaskKind
    text: str = Field(description="What to do, in words")
    created_at: DateTime
    due_on: Date | None
    overdue: bool


class MyWork(StaffAnswer):
    """The referrals I own (open ones, most urgent first) and their open tasks, most urgent first.
    Clear metadata only: nothing is decrypted."""

    referrals: list[MyReferral]
    tasks: list[MyTask]
    more: bool = Field(description="More referrals are yours than the 100 shown")
