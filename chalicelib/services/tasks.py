"""Staff finish a task: complete it or dismiss it, with an optional note (issue 13 part 4).

One audited, version-checked change through `change_referral`, refused on a closed referral like
every change; the task leaves the to-do list and stays on the referral with who, when, how and why.
"""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.domain.tasks import TaskEnd, finish_task
from chalicelib.services.referral_changes import change_referral
from chalicelib.wiring import wiring


def finish_referral_task(
    reference: str,
    task_id: str,
    how: TaskEnd,
    *,
    note: str | None,
    staff: StaffMember,
    request_id: str | None,
) -> Referral:
    now = wiring().clock()

    def step(referral: Referral) -> Referral:
        tasks = finish_task(
            referral.tasks, task_id, how, by=staff.id, at=now, note=note, by_manager=Role.MANAGER in staff.roles
        )
        return replace(referral, tasks=tasks)

    def details(referral: Referral) -> dict[str, str]:
        kind = next(t.kind.value for t in referral.tasks if t.task_id == task_id)
        # Codes only: the note stays sealed on the referral.
        return {"task": task_id, "kind": kind, "how": how.value, "note": "yes" if note else "no"}

    return change_referral(reference, staff, request_id, AuditAction.TASK_FINISHED, step, details)
