"""Advice calls (a call to the MASH that is not, or not yet, a referral): record, list, read, count."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from chalice import Response
from pydantic import AwareDatetime, StringConstraints

from chalicelib.domain.referral import Agency
from chalicelib.web.admin.answers import answer_with
from chalicelib.web.admin.common import (
    CASEWORK,
    STAFF_BODY_LIMIT,
    _json,
    _limit,
    _request_id,
    admin,
)
from chalicelib.web.admin.request_fields import Rationale, StaffLine, StaffRequest
from chalicelib.web.admin.shaping import _iso, shaped
from chalicelib.web.admin_reports import REPORT_READERS
from chalicelib.web.auth import admin_route, current_staff
from chalicelib.web.json_body import ANY_BODY, parse_json
from chalicelib.web.request_parts import query_of

ADVICE_PATH = "/admin/advice-contacts"
ADVICE_REPORT_PATH = "/admin/reports/advice-contacts"

About = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class AdviceRequest(StaffRequest):
    called_at: AwareDatetime
    caller_kind: Literal["professional", "public"]
    # A professional's kind of agency (counted in clear); their organisation's name is sealed.
    caller_agency: Agency | None = None
    caller_name: StaffLine | None = None
    caller_organisation: StaffLine | None = None
    caller_phone: StaffLine | None = None
    about: About
    names: StaffLine | None = None
    advice: Rationale
    outcome: Literal["advice_only", "referral_invited", "made_into_referral"]
    referral_reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None


def perform_record(body: AdviceRequest, staff: Any, request_id: str | None) -> Any:
    """The one service call, for this route and the console's form."""
    from chalicelib.domain.advice_contacts import AdviceOutcome, AdviceProblem, CallerKind
    from chalicelib.domain.reference import normalise
    from chalicelib.services.advice_contacts import AdviceCall, record_advice_contact

    reference = None
    if body.referral_reference:
        reference = normalise(body.referral_reference)
        if reference is None:
            raise AdviceProblem("That is not a referral reference: it looks like K7Q-F3M-RW9")
    call = AdviceCall(
        called_at=body.called_at.astimezone(dt.UTC),
        caller_kind=CallerKind(body.caller_kind),
        outcome=AdviceOutcome(body.outcome),
        about=body.about,
        advice=body.advice,
        caller_agency=body.caller_agency,
        caller_name=body.caller_name or None,
        caller_organisation=body.caller_organisation or None,
        caller_phone=body.caller_phone or None,
        names=body.names or None,
        referral_reference=reference,
    )
    return record_advice_contact(call, staff=staff, request_id=request_id)


def advice_summary(row: Any) -> dict[str, Any]:
    from chalicelib.domain.advice_contacts import OUTCOME_LABELS

    return {
        "contact_id": row.contact_id,
        "called_at": _iso(row.called_at),
        "recorded_at": _iso(row.recorded_at),
        "recorded_by": row.recorded_by,
        "caller_kind": row.caller_kind.value,
        "caller_agency": row.caller_agency.value if row.caller_agency else None,
        "outcome": row.outcome.value,
        "outcome_text": OUTCOME_LABELS[row.outcome],
        "referral_reference": row.referral_reference,
    }


def advice_detail(contact: Any) -> dict[str, Any]:
    return {
        **advice_summary(contact),
        "retention_until": _iso(contact.retention_until),
        "caller_name": contact.caller_name,
        "caller_organisation": contact.caller_organisation,
        "caller_phone": contact.caller_phone,
        "about": contact.about,
        "names": contact.names,
        "advice": contact.advice,
    }


@admin_route(admin, ADVICE_PATH, methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def record_advice() -> Response:
    def work() -> Response:
        from chalicelib.web.admin.responses_advice import AdviceSummary

        body = parse_json(admin.current_request, AdviceRequest, STAFF_BODY_LIMIT, "advice contact")
        contact = perform_record(body, current_staff(admin.current_request), _request_id())
        return _json(shaped(AdviceSummary, advice_summary(contact)), status=201)

    return answer_with(work)


@admin_route(admin, ADVICE_PATH, methods=["GET"], roles=CASEWORK)
def advice_list() -> Response:
    def work() -> Response:
        from chalicelib.services.advice_contacts import list_advice_contacts
        from chalicelib.web.admin.responses_advice import AdviceList

        query = query_of(admin.current_request)
        page = list_advice_contacts(_limit(query.get("limit")), query.get("cursor"))
        answer = {"contacts": [advice_summary(row) for row in page.rows], "next_cursor": page.next_cursor}
        return _json(shaped(AdviceList, answer))

    return answer_with(work)


@admin_route(admin, ADVICE_PATH + "/{contact_id}", methods=["GET"], roles=CASEWORK)
def advice_item(contact_id: str) -> Response:
    def work() -> Response:
        from chalicelib.services.advice_contacts import read_advice_contact
        from chalicelib.web.admin.responses_advice import AdviceContactDetail

        contact = read_advice_contact(contact_id, staff=current_staff(admin.current_request), request_id=_request_id())
        return _json(shaped(AdviceContactDetail, advice_detail(contact)))

    return answer_with(work)


@admin_route(admin, ADVICE_PATH + "/{contact_id}/referral", methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def advice_referral(contact_id: str) -> Response:
    """Make a referral from this call: the body is a whole referral, as the public API takes it."""

    def work() -> Response:
        from chalicelib.domain.referral import ReferralSubmission
        from chalicelib.services.advice_contacts import make_referral_from_advice
        from chalicelib.settings import get_settings
        from chalicelib.web.admin.responses_advice import AdviceReferralMade

        body = parse_json(admin.current_request, ReferralSubmission, get_settings().max_body_bytes, "referral")
        staff = current_staff(admin.current_request)
        receipt = make_referral_from_advice(contact_id, body, staff=staff, request_id=_request_id())
        answer = {
            "contact_id": contact_id,
            "reference": receipt.reference,
            "status": receipt.status.value,
            "received_at": _iso(receipt.received_at),
            "created": receipt.created,
        }
        return _json(shaped(AdviceReferralMade, answer), status=201 if receipt.created else 200)

    return answer_with(work)


@admin_route(admin, ADVICE_REPORT_PATH, methods=["GET"], roles=REPORT_READERS)
def advice_report() -> Response:
    def work() -> Response:
        from chalicelib.services.advice_contacts import advice_counts_by_day
        from chalicelib.services.timeliness_report import InvalidRange, ReportRange
        from chalicelib.web.errors import problem

        query = query_of(admin.current_request)
        try:
            report_range = ReportRange.parse(query.get("from"), query.get("to"))
        except InvalidRange as invalid:
            return problem(422, invalid.code, str(invalid))
        counts = advice_counts_by_day(report_range.date_from, report_range.date_to)
        return _json(advice_report_answer(report_range, counts))

    return answer_with(work)


def advice_report_answer(report_range: Any, counts: Any) -> dict[str, Any]:
    from chalicelib.web.admin.responses_advice import AdviceReport

    answer = {
        "date_from": report_range.date_from.isoformat(),
        "date_to": report_range.date_to.isoformat(),
        "total": counts.total,
        "by_outcome": counts.by_outcome,
        "by_caller_kind": counts.by_caller_kind,
        "by_month": counts.by_month,
    }
    return shaped(AdviceReport, answer)
