"""Triage: replies the hub could not place, waiting for a person to attach or reject each one."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

from chalice.app import Response
from pydantic import BaseModel

from chalicelib.domain.validation import InvalidReferral, validate
from chalicelib.services.staff_names import name_of, staff_entries
from chalicelib.web import admin as admin_api
from chalicelib.web.console.formatting import when
from chalicelib.web.console.queue import QUEUE_PAGE_SIZE
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
from chalicelib.web.form_fields import PageErrors, text
from chalicelib.web.form_http import redirect
from chalicelib.web.request_parts import query_of

TRIAGE_DONE = {
    "attached": "The email is attached to the enquiry as its reply",
    "rejected": "The email is rejected: it will be deleted in 30 days",
}


@console_route("/staff/triage", methods=["GET"], roles=_api_roles(admin_api.triage_list))
def triage_list(visit: Visit) -> Response:
    """Replies the hub could not match, waiting for a person: metadata only (no KMS call)."""
    from chalicelib.domain.agency_replies import TRIAGE_TEXT
    from chalicelib.services.triage import list_triage

    cursor = query_of(console.current_request).get("cursor") or None
    try:
        items, next_cursor = list_triage("waiting", QUEUE_PAGE_SIZE, cursor)
    except ValueError:
        return _page("staff/refused.html", status=400, me=visit.me,
                     message="The link to the next page no longer works: start again from the first page")  # fmt: skip
    next_href = "/staff/triage?" + urllib.parse.urlencode({"cursor": next_cursor}) if next_cursor else None
    done = TRIAGE_DONE.get(query_of(console.current_request).get("done") or "")
    return _page(
        "staff/triage.html", me=visit.me, nav="triage", items=items, reasons=TRIAGE_TEXT, next_href=next_href,
        done=done,
    )  # fmt: skip


def _triage_item_page(
    visit: Visit,
    triage_id: str,
    *,
    errors: PageErrors | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    """The item with its content: each showing is a read, recorded on the item by the service."""
    from chalicelib.domain.agency_replies import TRIAGE_TEXT, TriageReason
    from chalicelib.services.triage import view_triage

    found: dict[str, Any] = {}

    def work() -> Response:
        found["item"] = view_triage(admin_api._triage_id(triage_id), visit.staff)
        return Response(body="", status_code=200)

    refused = _refused(admin_api.answer_with(work))
    if refused is not None:
        return _problem_page(*refused, visit.me)
    item = found["item"]
    errors = errors or PageErrors()
    prefilled = {"reference": item.claimed_reference or "", "enquiry_id": item.claimed_enquiry_id or ""}
    return _page(
        "staff/triage_item.html",
        status=status,
        me=visit.me,
        nav="triage",
        item=item,
        reason_text=TRIAGE_TEXT[item.reason],
        quarantined=item.reason is TriageReason.VIRUS,
        back_href="/staff/triage",
        decided_by=name_of(item.decided_by, staff_entries()) if item.decided_by else None,
        enquiry_choices=_enquiry_choices(item.claimed_reference),
        values={**prefilled, **(values or {})},
        errors=errors.messages,
        error_list=errors.summary(),
    )


def _enquiry_choices(reference: str | None) -> list[dict[str, str]]:
    """The enquiries of the referral the email names, by agency and date, to choose from instead of
    typing an id: from the referral's clear metadata (no KMS call, no personal data)."""
    from chalicelib.domain.agencies import AGENCY_NAMES
    from chalicelib.domain.failures import AwsError, ReferralNotFound
    from chalicelib.wiring import wiring

    if not reference:
        return []
    try:
        summary = wiring().referrals.fetch_summary(admin_api._reference(reference))
    except (AwsError, ReferralNotFound, ValueError):
        return []
    return [
        {
            "enquiry_id": enquiry.enquiry_id,
            "text": f"{AGENCY_NAMES[enquiry.agency]}, asked {when(enquiry.opened_at)}",
            "hint": f"Enquiry {enquiry.enquiry_id}" + ("; already answered" if enquiry.answered else ""),
        }
        for enquiry in summary.enquiries
        if not enquiry.withdrawn
    ]


@console_route("/staff/triage/{triage_id}", methods=["GET"], roles=_api_roles(admin_api.triage_item))
def triage_item(visit: Visit, triage_id: str) -> Response:
    return _triage_item_page(visit, triage_id)


def _triage_post(
    visit: Visit,
    triage_id: str,
    model: type[BaseModel],
    blank_messages: dict[str, str],
    perform: Callable[[Any], Any],
    done: str,
) -> Response:
    data = {name: text(visit.form, name) for name in model.model_fields if text(visit.form, name)}
    values = {name: text(visit.form, name) for name in model.model_fields}
    try:
        body = validate(model, data)
    except InvalidReferral as invalid:
        errors = _field_errors(invalid, model, blank_messages, data)
        return _triage_item_page(visit, triage_id, errors=errors, values=values, status=400)

    def work() -> Response:
        perform(body)
        return redirect("/staff/triage?" + urllib.parse.urlencode({"done": done}))

    answer = admin_api.answer_with(work)
    refused = _refused(answer)
    if refused is None:
        return answer
    status, message = refused
    if status in (404, 503):
        return _problem_page(status, message, visit.me)
    return _triage_item_page(visit, triage_id, errors=_RefusalErrors(message), values=values, status=status)


def _field_errors(
    invalid: InvalidReferral, model: type[BaseModel], blank_messages: dict[str, str], data: dict[str, str]
) -> PageErrors:
    """The model's problems beside their fields, in the form's order; a blank field says what to enter."""
    errors = PageErrors()
    for problem in invalid.errors:
        blank = problem.field in blank_messages and problem.field not in data
        errors.add(problem.field, blank_messages[problem.field] if blank else problem.message)
    errors.sort(tuple(model.model_fields))
    return errors


@console_route("/staff/triage/{triage_id}/attach", methods=["POST"], roles=_api_roles(admin_api.triage_attach))
def triage_attach(visit: Visit, triage_id: str) -> Response:
    from chalicelib.services.triage import attach_triage

    return _triage_post(
        visit,
        triage_id,
        admin_api.TriageAttachRequest,
        {
            "reference": "Enter the reference of the referral the reply is about",
            "enquiry_id": "Enter the enquiry it answers, like e1",
        },
        lambda body: attach_triage(
            admin_api._triage_id(triage_id),
            admin_api._reference(body.reference),
            body.enquiry_id,
            visit.staff,
            _request_id(),
        ),
        "attached",
    )


@console_route("/staff/triage/{triage_id}/reject", methods=["POST"], roles=_api_roles(admin_api.triage_reject))
def triage_reject(visit: Visit, triage_id: str) -> Response:
    from chalicelib.services.triage import reject_triage

    return _triage_post(
        visit,
        triage_id,
        admin_api.TriageRejectRequest,
        {"note": "Enter why the email is rejected"},
        lambda body: reject_triage(admin_api._triage_id(triage_id), body.note, visit.staff),
        "rejected",
    )
