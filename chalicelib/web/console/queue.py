"""The work queue: referrals by status and RAG rating, a page at a time, with the triage count."""

from __future__ import annotations

import urllib.parse
from typing import Any

from chalice.app import Response

from chalicelib.domain.decision import Rag
from chalicelib.domain.failures import AwsError
from chalicelib.domain.london_time import london_date
from chalicelib.web import admin as admin_api
from chalicelib.web.admin.shaping import _age
from chalicelib.web.console.formatting import RAG_TAGS, STATUS_LABELS, _now, is_overdue
from chalicelib.web.console.routing import (
    HOME,
    Visit,
    _api_roles,
    _page,
    _problem_page,
    _refused,
    console,
    console_route,
)
from chalicelib.web.form_fields import PageErrors
from chalicelib.web.request_parts import query_of

QUEUE_PAGE_SIZE = 25
TRIAGE_COUNT_LIMIT = 100


@console_route("/staff", methods=["GET"], roles=_api_roles(admin_api.work_queue))
def work_queue(visit: Visit) -> Response:
    query = query_of(console.current_request)
    filters, errors = _queue_filters(query)
    if errors:
        return _queue_page(visit, filters, None, errors, status=400)
    found: dict[str, Any] = {}
    refused = _refused(admin_api.answer_with(lambda: _list_queue(filters, query.get("cursor") or None, found)))
    if refused is not None:
        status, message = refused
        if status == 422:  # a cursor from another query or tampered with: say so, beside the list
            errors.add("cursor", "The link to the next page no longer works: start again from the first page")
            return _queue_page(visit, filters, None, errors, status=400)
        return _problem_page(status, message, visit.me)
    return _queue_page(visit, filters, found["page"], errors)


def _queue_filters(query: Any) -> tuple[dict[str, str], PageErrors]:
    """The filters asked for, and what is wrong with any of them."""
    filters = {name: query.get(name, "") for name in ("status", "rag", "undelivered")}
    errors = PageErrors()
    if filters["status"] and filters["status"] not in admin_api._statuses():
        errors.add("status", "Select a status from the list")
    if filters["rag"] and filters["rag"] not in [r.value for r in Rag]:
        errors.add("rag", "Select a RAG rating from the list")
    if filters["undelivered"] not in ("", "true"):
        errors.add("undelivered", "Tick the box to see only referrals with an undelivered email, or leave it empty")
    return filters, errors


def _list_queue(filters: dict[str, str], cursor: str | None, found: dict[str, Any]) -> Response:
    """One page of the queue (as admin.work_queue lists it), into `found`."""
    from chalicelib.services.work_queue import list_work_queue

    found["page"] = list_work_queue(
        status=filters["status"] or None,
        rag=filters["rag"] or None,
        limit=QUEUE_PAGE_SIZE,
        cursor=cursor,
        undelivered=filters["undelivered"] == "true",
    )
    return Response(body="", status_code=200)


def _queue_page(visit: Visit, filters: dict[str, str], found: Any, errors: PageErrors, status: int = 200) -> Response:
    from chalicelib.services.queue_people import shown_rows
    from chalicelib.services.triage import list_triage

    today = london_date(_now())
    # Each row named: the children's first names and ages (their sealed cards, no KMS call when warm), the owner.
    rows = shown_rows(found.rows, today=today) if found else []
    kept = {name: value for name, value in filters.items() if value}
    next_href = None
    if found is not None and found.next_cursor:
        next_href = HOME + "?" + urllib.parse.urlencode({**kept, "cursor": found.next_cursor})
    triage: tuple[int, bool] | None = None
    if visit.me.holds_any(_api_roles(admin_api.triage_list)):
        try:
            items, more = list_triage("waiting", TRIAGE_COUNT_LIMIT)
            triage = (len(items), more is not None)
        except AwsError:
            triage = None  # the queue matters more than the count: show it without
    return _page(
        "staff/queue.html",
        status=status,
        me=visit.me,
        nav="queue",
        rows=rows,
        filters=filters,
        next_href=next_href,
        first_href=HOME + ("?" + urllib.parse.urlencode(kept) if kept else ""),
        paged=bool(console.current_request.query_params and console.current_request.query_params.get("cursor")),
        statuses=[(value, STATUS_LABELS.get(value, value)) for value in admin_api._statuses()],
        rags=[r.value for r in Rag],
        rag_tags=RAG_TAGS,
        status_labels=STATUS_LABELS,
        is_overdue=is_overdue,
        age=lambda born: _age(born, today),
        triage=triage,
        errors=errors.messages,
        error_list=errors.summary(),
    )
