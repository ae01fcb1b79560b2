"""Search: find a family by what a caller says (a name, a date of birth, a postcode, a reference).

The form is posted, not sent as a query string: the terms are personal data, and a GET would put
them in the address bar, the browser's history and any access log. The page is `no-store` like
every console page. The search itself is the service `GET /admin/search` calls, with its roles
and its refusals (`search_query` for what is missing or too broad, the service for too many
matches and the per-person rate limit); each search is audited there, never with its terms.
A result links to the referral page, which is the usual audited read (and asks a closed
referral's reason itself).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from chalice.app import Response

from chalicelib.domain.london_time import london_date
from chalicelib.domain.search_terms import SearchQuery, SearchRefused, search_query
from chalicelib.web import admin as admin_api
from chalicelib.web.console.formatting import STATUS_LABELS, _now
from chalicelib.web.console.routing import (
    Visit,
    _api_roles,
    _page,
    _problem_page,
    _refused,
    _request_id,
    console_route,
    referral_href,
)
from chalicelib.web.form_fields import PageErrors, text

SEARCH_PATH = "/staff/search"
SEARCH_FIELDS = ("name", "dob", "postcode", "reference")
# Which field a refusal of the terms is about, so the error summary links to it.
_REFUSAL_FIELDS = {
    "name_too_short": "name",
    "invalid_dob": "dob",
    "search_too_broad": "dob",  # from search_query: a year or a month of birth alone
    "invalid_postcode": "postcode",
    "invalid_reference": "reference",
    "search_empty": "name",
}
_EMPTY_MESSAGE = "Enter a name, a date of birth, a postcode or a reference"
# A date typed the British way: 14/3/2019, 14 03 2019, 14-3-2019; or a month: 3/2019.
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[/\s.-]+(\d{1,2})[/\s.-]+(\d{4})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[/\s.-]+(\d{4})$")


@console_route(SEARCH_PATH, methods=["GET"], roles=_api_roles(admin_api.search))
def search_page(visit: Visit) -> Response:
    return _search_page(visit, {}, None, PageErrors())


@console_route(SEARCH_PATH, methods=["POST"], roles=_api_roles(admin_api.search))
def search_results(visit: Visit) -> Response:
    typed = {name: text(visit.form, name) for name in SEARCH_FIELDS}
    errors = PageErrors()
    try:
        query = search_query(**{**typed, "dob": _as_iso_date(typed["dob"])})
    except SearchRefused as refused:
        message = _EMPTY_MESSAGE if refused.code == "search_empty" else refused.message
        errors.add(_REFUSAL_FIELDS.get(refused.code, "name"), message)
        return _search_page(visit, typed, None, errors, status=400)
    found: dict[str, Any] = {}
    refused_search = _refused(admin_api.answer_with(lambda: _search(visit, query, found)))
    if refused_search is not None:
        status, message = refused_search
        if status in (422, 429):  # too many matches, or too many searches: say so above the form
            errors.add(_first_given(typed), message)
            return _search_page(visit, typed, None, errors, status=status)
        return _problem_page(status, message, visit.me)
    return _search_page(visit, typed, found["results"], errors)


def _as_iso_date(typed: str) -> str:
    """A date of birth typed the British way (14/3/2019, 3/2019) as search_query reads it; else as typed."""
    if found := _DAY_MONTH_YEAR.match(typed):
        day, month, year = (int(part) for part in found.groups())
        try:
            return dt.date(year, month, day).isoformat()
        except ValueError:
            return typed  # search_query says how to type it
    if found := _MONTH_YEAR.match(typed):
        month, year = int(found.group(1)), int(found.group(2))
        return f"{year:04d}-{month:02d}" if 1 <= month <= 12 else typed
    return typed


def _first_given(typed: dict[str, str]) -> str:
    return next((name for name in SEARCH_FIELDS if typed[name]), "name")


def _search(visit: Visit, query: SearchQuery, found: dict[str, Any]) -> Response:
    """The search (as admin.search runs it), into `found`."""
    from chalicelib.services.search_referrals import search_referrals

    found["results"] = search_referrals(query, staff=visit.staff, request_id=_request_id())
    return Response(body="", status_code=200)


def _search_page(visit: Visit, typed: dict[str, str], results: Any, errors: PageErrors, status: int = 200) -> Response:
    today = london_date(_now())
    return _page(
        "staff/search.html",
        status=status,
        me=visit.me,
        nav="search",
        values=typed,
        results=[_result_row(found, today) for found in results.referrals] if results else [],
        searched=results is not None,
        more=bool(results and results.more),
        errors=errors.messages,
        error_list=errors.summary(),
    )


def _result_row(found: Any, today: dt.date) -> dict[str, Any]:
    return {
        "reference": found.reference,
        "href": referral_href(found.reference),
        "status": STATUS_LABELS.get(found.status.value, found.status.value),
        "received_at": found.received_at,
        "children": [_child_words(child, today) for child in found.children],
    }


def _child_words(child: Any, today: dt.date) -> str:
    """'Oliwia, 7 years old': enough to recognise a child, no more."""
    born = child.date_of_birth
    if born is None:
        return f"{child.first_name}, age not known"
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if years < 1:
        return f"{child.first_name}, under 1 year old"
    return f"{child.first_name}, {years} year{'' if years == 1 else 's'} old"
