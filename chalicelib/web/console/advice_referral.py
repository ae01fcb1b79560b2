"""An advice call made into a referral: one staff form, prefilled from the call (the caller as the
referrer, the children it named, what was said as the concerns), with every section a referral needs
and as many children, parents and carers, household members and people who may pose a risk as the
referral holds ("Add another …" and "Remove" post the page back: `referral_form.arranged`).

It calls the service `POST /admin/advice-contacts/{id}/referral` calls, with that route's roles:
the referral is made as every referral is (channel `staff`), the call's outcome becomes "made into a
referral" with its reference, and the practitioner lands on the new referral's page.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.domain.referral import AGENCY_LABELS, CONCERN_LABELS, LEVELS_OF_NEED, NOT_SURE
from chalicelib.web.admin import advice as admin_advice
from chalicelib.web.admin import answer_with
from chalicelib.web.console.advice import ADVICE_LIST, answer_or_form
from chalicelib.web.console.referral_form import (
    arranged,
    people_sections,
    prefill_values,
    read_referral,
    typed_values,
)
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
from chalicelib.web.form_fields import PageErrors
from chalicelib.web.form_http import redirect

ADVICE_REFERRAL = ADVICE_LIST + "/{contact_id}/referral"
MAKERS = _api_roles(admin_advice.advice_referral)


@console_route(ADVICE_REFERRAL, methods=["GET"], roles=MAKERS)
def advice_referral_form(visit: Visit, contact_id: str) -> Response:
    from chalicelib.domain.advice_contacts import referral_prefill

    shown: dict[str, Any] = {}

    def work() -> Response:
        contact = _call_not_yet_made(visit, contact_id)
        shown["values"] = prefill_values(referral_prefill(contact))
        return Response(body="", status_code=200)

    refused = _refused(answer_with(work))
    if refused is not None:
        return _problem_page(*refused, visit.me)
    return _form_page(visit, contact_id, values=shown["values"])


@console_route(ADVICE_REFERRAL, methods=["POST"], roles=MAKERS)
def advice_referral_post(visit: Visit, contact_id: str) -> Response:
    from chalicelib.services.advice_contacts import make_referral_from_advice

    form, making = arranged(visit.form)
    values = typed_values(form)
    if not making:  # "Add another …" or "Remove": the page again, everything typed kept
        return _form_page(visit, contact_id, values=values)
    errors = PageErrors()
    submission = read_referral(form, errors)
    if submission is None:
        return _form_page(visit, contact_id, values=values, errors=errors, status=400)

    def work() -> Response:
        receipt = make_referral_from_advice(contact_id, submission, staff=visit.staff, request_id=_request_id())
        return redirect(referral_href(receipt.reference))

    return answer_or_form(
        answer_with(work), visit, lambda refusal, status: _form_page(visit, contact_id, values, refusal, status)
    )


def _call_not_yet_made(visit: Visit, contact_id: str) -> Any:
    """The call (an audited read), refused as the API refuses it once it was made into a referral."""
    from chalicelib.domain.advice_contacts import AdviceOutcome, AdviceProblem
    from chalicelib.services.advice_contacts import read_advice_contact

    contact = read_advice_contact(contact_id, staff=visit.staff, request_id=_request_id())
    if contact.outcome is AdviceOutcome.MADE_INTO_REFERRAL:
        raise AdviceProblem(f"This call was already made into the referral {contact.referral_reference}")
    return contact


def _form_page(
    visit: Visit,
    contact_id: str,
    values: dict[str, Any],
    errors: PageErrors | None = None,
    status: int = 200,
) -> Response:
    errors = errors or PageErrors()
    return _page(
        "staff/advice_referral.html",
        status=status,
        me=visit.me,
        nav="advice",
        contact_id=contact_id,
        values=values,
        people=people_sections(values),
        errors=errors.messages,
        error_list=errors.summary(),
        agencies=AGENCY_LABELS,
        concern_labels=CONCERN_LABELS,
        levels=LEVELS_OF_NEED,
        not_sure=NOT_SURE,
    )
