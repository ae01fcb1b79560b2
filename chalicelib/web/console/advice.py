"""Advice calls in the console: the list (newest first, metadata only), "Record an advice call", and
one call (an audited read). Each page calls the service the matching /admin/ route calls, with that
route's roles and body model, and refusals read as the API's (`answer_with`)."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from chalice.app import Response

from chalicelib.domain.advice_contacts import CALLER_LABELS, OUTCOME_LABELS, AdviceOutcome
from chalicelib.domain.london_time import LONDON
from chalicelib.domain.referral import AGENCY_LABELS
from chalicelib.domain.validation import InvalidReferral, validate
from chalicelib.web.admin import advice as admin_advice
from chalicelib.web.admin import answer_with
from chalicelib.web.admin_reports import REPORT_READERS
from chalicelib.web.console.formatting import _now
from chalicelib.web.console.routing import (
    Visit,
    _api_roles,
    _page,
    _problem_page,
    _RefusalErrors,
    _refused,
    _request_id,
    console,
    console_route,
)
from chalicelib.web.form_fields import DATE_PARTS, PageErrors, read_date, text
from chalicelib.web.form_http import redirect
from chalicelib.web.request_parts import query_of

ADVICE_LIST = "/staff/advice"
ADVICE_NEW = "/staff/advice/new"
PAGE_SIZE = 25
FIGURE_DAYS = 30
TIME = re.compile(r"^([01]?[0-9]|2[0-3])[:.]([0-5][0-9])$")
# The form's inputs in the order the page asks them (the error summary follows it).
ORDER = (
    "called_at", "called_time", "caller_kind", "caller_agency", "caller_name", "caller_organisation", "caller_phone",
    "about", "names", "advice", "outcome", "referral_reference",
)  # fmt: skip
BLANK = {
    "called_time": "Enter the time of the call, like 09:30",
    "caller_kind": "Select who called",
    "about": "Enter who the call was about",
    "advice": "Enter the advice given",
    "outcome": "Select how the call ended",
}


def _choices() -> dict[str, Any]:
    return {
        "caller_kinds": [(kind.value, label) for kind, label in CALLER_LABELS.items()],
        "agencies": [(agency.value, label) for agency, label in AGENCY_LABELS.items()],
        "outcomes": [(outcome.value, label) for outcome, label in OUTCOME_LABELS.items()],
    }


@console_route(ADVICE_LIST, methods=["GET"], roles=_api_roles(admin_advice.advice_list))
def advice_list_page(visit: Visit) -> Response:
    shown: dict[str, Any] = {}
    refused = _refused(answer_with(lambda: _read_list(visit, shown)))
    if refused is not None:
        return _problem_page(*refused, visit.me)
    return _page(
        "staff/advice_list.html",
        me=visit.me,
        nav="advice",
        rows=[admin_advice.advice_summary(row) for row in shown["page"].rows],
        next_cursor=shown["page"].next_cursor,
        counts=shown.get("counts"),
        figure_days=FIGURE_DAYS,
        labels={**_choices(), "caller": CALLER_LABELS, "agency": AGENCY_LABELS},
    )


def _read_list(visit: Visit, shown: dict[str, Any]) -> Response:
    """A page of the list into `shown`, and the last days' counts for the reports' readers (theirs)."""
    from chalicelib.services.advice_contacts import advice_counts, list_advice_contacts

    shown["page"] = list_advice_contacts(PAGE_SIZE, query_of(console.current_request).get("cursor"))
    if visit.me.holds_any(REPORT_READERS):
        now = _now()
        shown["counts"] = advice_counts(now - dt.timedelta(days=FIGURE_DAYS), now)
    return Response(body="", status_code=200)


@console_route(ADVICE_NEW, methods=["GET"], roles=_api_roles(admin_advice.record_advice))
def advice_form(visit: Visit) -> Response:
    now = _now().astimezone(LONDON)
    values = {
        "called_at-day": str(now.day), "called_at-month": str(now.month), "called_at-year": str(now.year),
        "called_time": f"{now:%H:%M}",
    }  # fmt: skip
    return _form_page(visit, values=values)


@console_route(ADVICE_NEW, methods=["POST"], roles=_api_roles(admin_advice.record_advice))
def advice_post(visit: Visit) -> Response:
    form = visit.form
    errors = PageErrors()
    values = {name: text(form, name) for name in ORDER if name != "called_at"}
    values.update({f"called_at-{part}": text(form, f"called_at-{part}") for part in DATE_PARTS})
    data: dict[str, Any] = {
        name: text(form, name) for name in admin_advice.AdviceRequest.model_fields if text(form, name)
    }
    _read_called_at(form, data, errors)
    body = _advice_request(data, errors)
    if errors or body is None:
        errors.sort(ORDER)
        return _form_page(visit, values=values, errors=errors, status=400)

    def work() -> Response:
        contact_id = admin_advice.perform_record(body, visit.staff, _request_id()).contact_id
        return redirect(f"{ADVICE_LIST}/{contact_id}?" + urllib.parse.urlencode({"done": "recorded"}))

    return answer_or_form(
        answer_with(work),
        visit,
        lambda refusal, status: _form_page(visit, values=values, errors=refusal, status=status),
    )


def answer_or_form(answer: Response, visit: Visit, form_again: Callable[[PageErrors, int], Response]) -> Response:
    """A form's answer: the service's own (its redirect), or the form again saying why it was refused
    (what was typed kept); a missing record or an unavailable store is a page of its own."""
    refused = _refused(answer)
    if refused is None:
        return answer
    status, message = refused
    if status in (404, 503):
        return _problem_page(status, message, visit.me)
    return form_again(_RefusalErrors(message), status)


def _read_called_at(form: Any, data: dict[str, Any], errors: PageErrors) -> None:
    """The call's date and time, as a London moment in `data["called_at"]`, or errors in their own words."""
    called_on = read_date(form, "called_at", "The date of the call", errors)
    called_time = TIME.match(text(form, "called_time"))
    if not text(form, "called_time"):
        errors.add("called_time", BLANK["called_time"])
    elif called_time is None:
        errors.add("called_time", "Enter the time of the call as hours and minutes, like 09:30")
    if called_on is None and not errors:
        errors.add("called_at", "Enter the date of the call", "called_at-day")
    if called_on and called_time:
        moment = dt.datetime.combine(
            dt.date.fromisoformat(called_on), dt.time(int(called_time.group(1)), int(called_time.group(2)))
        )
        data["called_at"] = moment.replace(tzinfo=LONDON).isoformat()
    elif "called_at" in data:
        del data["called_at"]


def _advice_request(data: dict[str, Any], errors: PageErrors) -> Any:
    """The API's request model from the form's answers; its problems added to `errors` (None then)."""
    try:
        return validate(admin_advice.AdviceRequest, data)
    except InvalidReferral as invalid:
        for problem in invalid.errors:
            if problem.field == "called_at" and "called_at" not in data:
                continue  # said above, in the date's and time's own words
            blank = problem.field in BLANK and problem.field not in data
            errors.add(problem.field, BLANK[problem.field] if blank else problem.message)
        return None


@console_route(ADVICE_LIST + "/{contact_id}", methods=["GET"], roles=_api_roles(admin_advice.advice_item))
def advice_page(visit: Visit, contact_id: str) -> Response:
    from chalicelib.services.advice_contacts import read_advice_contact

    shown: dict[str, Any] = {}

    def work() -> Response:
        contact = read_advice_contact(contact_id, staff=visit.staff, request_id=_request_id())
        shown["contact"] = admin_advice.advice_detail(contact)
        return Response(body="", status_code=200)

    refused = _refused(answer_with(work))
    if refused is not None:
        return _problem_page(*refused, visit.me)
    return _page(
        "staff/advice_item.html",
        me=visit.me,
        nav="advice",
        c=shown["contact"],
        done=query_of(console.current_request).get("done") == "recorded",
        labels={"caller": CALLER_LABELS, "agency": AGENCY_LABELS},
        # "Make it a referral" only for those whose roles may, and only once.
        may_make=visit.me.holds_any(_api_roles(admin_advice.advice_referral))
        and shown["contact"]["outcome"] != AdviceOutcome.MADE_INTO_REFERRAL.value,
    )


def _form_page(
    visit: Visit, *, values: dict[str, Any], errors: PageErrors | None = None, status: int = 200
) -> Response:
    errors = errors or PageErrors()
    return _page(
        "staff/advice_new.html",
        status=status,
        me=visit.me,
        nav="advice",
        values=values,
        errors=errors.messages,
        error_list=errors.summary(),
        **_choices(),
    )
