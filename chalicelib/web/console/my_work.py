"""My work: the open referrals I own, most urgent first, and my open tasks across them (as
GET /admin/my-work lists them: clear metadata only)."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.domain.london_time import london_date
from chalicelib.domain.tasks import TASK_TEXT
from chalicelib.web import admin as admin_api
from chalicelib.web.console.formatting import RAG_TAGS, STATUS_LABELS, _now, is_overdue
from chalicelib.web.console.routing import Visit, _api_roles, _page, _problem_page, _refused, console_route

MY_WORK = "/staff/my-work"


@console_route(MY_WORK, methods=["GET"], roles=_api_roles(admin_api.my_work))
def my_work_page(visit: Visit) -> Response:
    found: dict[str, Any] = {}

    def work() -> Response:
        from chalicelib.services.my_work import my_work

        found["work"] = my_work(visit.staff, today=london_date(_now()))
        return Response(body="", status_code=200)

    refused = _refused(admin_api.answer_with(work))
    if refused is not None:
        return _problem_page(*refused, visit.me)
    return _page(
        "staff/my_work.html",
        me=visit.me,
        nav="my-work",
        work=found["work"],
        task_text=TASK_TEXT,
        rag_tags=RAG_TAGS,
        status_labels=STATUS_LABELS,
        is_overdue=is_overdue,
    )
