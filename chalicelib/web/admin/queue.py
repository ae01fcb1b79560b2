"""Who you are, the work queue, and the whole picture of one referral."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalice import Response

from chalicelib.domain.decision import Rag
from chalicelib.domain.london_time import london_date
from chalicelib.domain.staff import Role
from chalicelib.web.admin.answers import answer_with
from chalicelib.web.admin.common import (
    ANY_STAFF,
    CASEWORK,
    _access_reason,
    _check_choice,
    _json,
    _limit,
    _now,
    _reference,
    _request_id,
    _statuses,
    admin,
)
from chalicelib.web.admin.picture import referral_picture
from chalicelib.web.admin.shaping import _age, found_referral, shaped
from chalicelib.web.auth import admin_route, current_staff
from chalicelib.web.request_parts import query_of


@admin_route(admin, "/admin/whoami", methods=["GET"], roles=ANY_STAFF)
def whoami() -> Response:
    """Who the token says you are: the id and roles only, never a name or email."""
    from chalicelib.web.admin.responses import WhoAmI

    staff = current_staff(admin.current_request)
    return _json(shaped(WhoAmI, {"id": staff.id, "roles": sorted(role.value for role in staff.roles)}))


@admin_route(admin, "/admin/referrals", methods=["GET"], roles=CASEWORK)
def work_queue() -> Response:
    def work() -> Response:
        from chalicelib.services.queue_people import shown_rows
        from chalicelib.services.work_queue import list_work_queue
        from chalicelib.web.admin.responses import WorkQueue

        query = query_of(admin.current_request)
        status, rag = query.get("status"), query.get("rag")
        _check_choice("status", status, _statuses())
        _check_choice("rag", rag, [r.value for r in Rag])
        limit = _limit(query.get("limit"))
        undelivered = query.get("undelivered")
        _check_choice("undelivered", undelivered, ["true", "false"])
        page = list_work_queue(
            status=status, rag=rag, limit=limit, cursor=query.get("cursor"), undelivered=undelivered == "true"
        )
        today = london_date(_now())
        rows = [queue_entry(shown, today) for shown in shown_rows(page.rows, today=today)]
        return _json(shaped(WorkQueue, {"referrals": rows, "next_cursor": page.next_cursor}))

    return answer_with(work)


def queue_entry(shown: Any, today: dt.date) -> dict[str, Any]:
    """A queue row: its clear metadata, the owner by name, the tasks counted, the children by first name and age."""
    row = {name: value for name, value in vars(shown.row).items() if name not in ("open_tasks", "card")}
    children = [
        {
            "first_name": child.first_name,
            "date_of_birth": child.date_of_birth.isoformat() if child.date_of_birth else None,
            "age": _age(child.date_of_birth, today) if child.date_of_birth else None,
        }
        for child in shown.children
    ]
    return {
        **row,
        "owner_name": shown.owner_name,
        "children": children,
        "open_tasks": shown.open_tasks,
        "overdue_tasks": shown.overdue_tasks,
    }


@admin_route(admin, "/admin/referrals/{reference}", methods=["GET"], roles=CASEWORK | {Role.EDT})
def referral(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.view_referral import view_referral

        view = view_referral(
            _reference(reference),
            staff=current_staff(admin.current_request),
            request_id=_request_id(),
            reason=_access_reason(),
        )
        return _json(referral_picture(view))

    return answer_with(work)


@admin_route(admin, "/admin/search", methods=["GET"], roles=CASEWORK)
def search() -> Response:
    """Referrals by ?name=, ?dob= (2019-03-14 or 2019-03), ?postcode=, ?reference=, alone or together."""

    def work() -> Response:
        from chalicelib.domain.search_terms import search_query
        from chalicelib.services.search_referrals import search_referrals
        from chalicelib.web.admin.responses import SearchResults

        asked = query_of(admin.current_request)
        query = search_query(
            name=asked.get("name"),
            dob=asked.get("dob"),
            postcode=asked.get("postcode"),
            reference=asked.get("reference"),
        )
        found = search_referrals(query, staff=current_staff(admin.current_request), request_id=_request_id())
        today = london_date(_now())
        return _json(
            shaped(
                SearchResults,
                {"referrals": [found_referral(row, today) for row in found.referrals], "more": found.more},
            )
        )

    return answer_with(work)
