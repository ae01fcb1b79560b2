"""Allocation (who owns a referral) and "my work" (what I own, and its tasks)."""

from __future__ import annotations

from typing import Annotated, Any

from chalice import Response
from pydantic import AfterValidator, StringConstraints

from chalicelib.domain.london_time import london_date
from chalicelib.domain.referral import one_line
from chalicelib.domain.tasks import TASK_TEXT
from chalicelib.web.admin.answers import answer_with
from chalicelib.web.admin.common import CASEWORK, STAFF_BODY_LIMIT, _json, _now, _reference, _request_id, admin
from chalicelib.web.admin.request_fields import StaffRequest
from chalicelib.web.admin.shaping import _iso, shaped
from chalicelib.web.auth import admin_route, current_staff
from chalicelib.web.json_body import ANY_BODY, parse_json

StaffId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(one_line)
]


class AllocationRequest(StaffRequest):
    """`to`: a member of staff's id (from the staff directory), "me", or null to unassign."""

    to: StaffId | None


@admin_route(admin, "/admin/referrals/{reference}/allocation", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def allocation(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.allocate import allocate_referral
        from chalicelib.web.admin.responses_allocation import Allocation

        body = parse_json(admin.current_request, AllocationRequest, STAFF_BODY_LIMIT, "allocation")
        staff = current_staff(admin.current_request)
        referral = allocate_referral(_reference(reference), to=body.to, staff=staff, request_id=_request_id())
        return _json(shaped(Allocation, allocation_answer(referral)))

    return answer_with(work)


def allocation_answer(referral: Any) -> dict[str, Any]:
    from chalicelib.services.staff_names import staff_namer

    owner = referral.owner
    return {
        "reference": referral.reference,
        "status": referral.status.value,
        "owner": owner,
        "owner_name": staff_namer()(owner) if owner else None,
    }


@admin_route(admin, "/admin/my-work", methods=["GET"], roles=CASEWORK)
def my_work() -> Response:
    """The open referrals I own, most urgent first, and their open tasks, most urgent first."""

    def work() -> Response:
        from chalicelib.services.my_work import my_work as list_my_work
        from chalicelib.web.admin.responses_allocation import MyWork

        found = list_my_work(current_staff(admin.current_request), today=london_date(_now()))
        return _json(shaped(MyWork, my_work_answer(found)))

    return answer_with(work)


def my_work_answer(found: Any) -> dict[str, Any]:
    return {
        "referrals": [
            {
                "reference": shown.row.reference,
                "status": shown.row.status,
                "rag": shown.row.rag,
                "immediate_risk": shown.row.immediate_risk,
                "received_at": shown.row.received_at,
                "due_at": shown.row.due_at,
                "open_tasks": shown.open_tasks,
                "overdue_tasks": shown.overdue_tasks,
            }
            for shown in found.referrals
        ],
        "tasks": [
            {
                "reference": mine.reference,
                "task_id": mine.task.task_id,
                "kind": mine.task.kind.value,
                "text": TASK_TEXT.get(mine.task.kind, mine.task.kind.value),
                "created_at": _iso(mine.task.created_at),
                "due_on": mine.task.due_on.isoformat() if mine.task.due_on else None,
                "overdue": mine.overdue,
            }
            for mine in found.tasks
        ],
        "more": found.more,
    }
