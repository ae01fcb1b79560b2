"""The public referral form (RSHP): one page per question group, server-rendered, no JavaScript needed.

Every page follows one pattern: GET shows the stored answers; POST checks the CSRF token, reads
the page's inputs into the referral's JSON shape, validates them with the page's part of the
domain model, saves the draft server-side and redirects (303) to the next page. No personal
data is ever put in a URL: pages are addressed by position only (/referral/child/2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalice import Blueprint
from chalice.app import Response

from chalicelib.domain.referral import (
    AGENCY_LABELS,
    CONCERN_LABELS,
    LEVELS_OF_NEED,
    ReferralSubmission,
)
from chalicelib.domain.validation import InvalidReferral, validate
from chalicelib.logs import logger
from chalicelib.web import form_pages as pages
from chalicelib.web import form_session as session
from chalicelib.web.form_check import check_sections, error_links, list_rows
from chalicelib.web.form_fields import Form, PageErrors, text, yes_no
from chalicelib.web.form_http import FORM_CONTENT_TYPES, BodyTooLarge, form_body, page, redirect

public_form = Blueprint(__name__)

CHECK = "/referral/check"
FIRST_PAGE = "/referral/immediate-risk"

Answers = dict[str, Any]


@dataclass(frozen=True)
class Step:
    """One question page: its template, how to read and store it, and where to go next."""

    template: str
    read: Callable[[Form, PageErrors], Any]
    store: Callable[[Answers, Any], None]
    values: Callable[[Answers], dict[str, Any]]
    next: Callable[[Answers, Any], str]
    back: Callable[[Answers], str]
    context: dict[str, Any] = field(default_factory=dict)


def _after(answers: Answers, natural: str) -> str:
    """Once the referrer has seen check answers, a change takes them back there (via any gap)."""
    if answers.get("_checking"):
        return pages.first_incomplete(answers) or CHECK
    return natural


def _back(answers: Answers, natural: str) -> str:
    return CHECK if answers.get("_checking") else natural


# --- the pages -------------------------------------------------------------------------------


def _set(key: str) -> Callable[[Answers, Any], None]:
    def store(answers: Answers, value: Any) -> None:
        answers[key] = value

    return store


IMMEDIATE_RISK = Step(
    template="immediate_risk.html",
    read=pages.read_immediate_risk,
    store=_set("immediate_risk"),
    values=lambda a: {"immediate_risk": pages.yes_no_value(a.get("immediate_risk"))},
    next=lambda a, risk: "/referral/call-now" if risk else _after(a, "/referral/route"),
    back=lambda a: _back(a, "/"),
)

ROUTE = Step(
    template="route.html",
    read=pages.read_route,
    store=_set("route"),
    values=lambda a: {"route": a.get("route")},
    next=lambda a, _: _after(a, "/referral/about-you"),
    back=lambda a: _back(a, "/referral/call-now" if a.get("immediate_risk") else FIRST_PAGE),
)

ABOUT_YOU = Step(
    template="about_you.html",
    read=pages.read_referrer,
    store=_set("referrer"),
    values=lambda a: pages.referrer_values(a.get("referrer")),
    next=lambda a, _: _after(a, "/referral/child/1"),
    back=lambda a: _back(a, "/referral/route"),
    context={"agencies": AGENCY_LABELS},
)

CONCERNS = Step(
    template="concerns.html",
    read=pages.read_concerns,
    store=_set("concerns"),
    values=lambda a: pages.concerns_values(a.get("concerns")),
    next=lambda a, _: _after(a, "/referral/consent"),
    back=lambda a: _back(a, "/referral/parents"),
    context={"concern_labels": CONCERN_LABELS, "levels": LEVELS_OF_NEED},
)


def _store_in_list(key: str, number: int) -> Callable[[Answers, Any], None]:
    def store(answers: Answers, value: Any) -> None:
        items = answers.setdefault(key, [])
        if number <= len(items):
            items[number - 1] = value
        else:
            items.append(value)

    return store


def _item(answers: Answers, key: str, number: int) -> dict[str, Any] | None:
    items = answers.get(key) or []
    return items[number - 1] if number <= len(items) else None


def child_step(number: int) -> Step:
    return Step(
        template="child.html",
        read=pages.read_child,
        store=_store_in_list("children", number),
        values=lambda a: pages.child_values(_item(a, "children", number)),
        next=lambda a, _: _after(a, "/referral/children"),
        back=lambda a: _back(a, "/referral/about-you" if number == 1 else "/referral/children"),
        context={"number": number, "due_example": _due_example()},
    )


def _due_example() -> str:
    return (dt.date.today() + dt.timedelta(days=120)).strftime("%-d %-m %Y")


def parent_step(number: int) -> Step:
    return Step(
        template="parent.html",
        read=pages.read_parent,
        store=_store_in_list("parents_carers", number),
        values=lambda a: pages.parent_values(_item(a, "parents_carers", number)),
        next=lambda a, _: _after(a, "/referral/parents"),
        back=lambda a: _back(a, "/referral/parents"),
        context={"number": number},
    )


def _consent_step(answers: Answers) -> Step:
    if answers.get("route") == "protection":
        return Step(
            template="parents_informed.html",
            read=pages.read_parents_informed,
            store=_set("parents_informed"),
            values=lambda a: pages.parents_informed_values(a.get("parents_informed")),
            next=lambda a, _: CHECK,
            back=lambda a: _back(a, "/referral/concerns"),
        )
    return Step(
        template="consent.html",
        read=pages.read_consent,
        store=_set("consent"),
        values=lambda a: pages.consent_values(a.get("consent")),
        next=lambda a, _: CHECK,
        back=lambda a: _back(a, "/referral/concerns"),
    )


# --- the request cycle -----------------------------------------------------------------------


def _headers() -> Any:
    return public_form.current_request.headers


def _show(
    step: Step,
    answers: Answers,
    session_id: str,
    errors: PageErrors | None = None,
    values: dict[str, Any] | None = None,
    cookies: list[str] | None = None,
) -> Response:
    errors = errors or PageErrors()
    return page(
        step.template,
        cookies=cookies,
        values=values if values is not None else step.values(answers),
        errors=errors.messages,
        error_list=errors.summary(),
        csrf_token=session.csrf_token(session_id),
        back_href=step.back(answers),
        **step.context,
    )


StepOrFactory = Step | Callable[[Answers], "Step | Response"]


def _resolve(step: StepOrFactory, answers: Answers) -> Step | Response:
    return step if isinstance(step, Step) else step(answers)


def _get(step: StepOrFactory, first: bool = False) -> Response:
    session_id = session.session_id_from(_headers())
    cookies: list[str] = []
    if session_id is None and first:
        session_id = session.new_session_id()
        cookies.append(session.session_cookie(session_id))
    answers = session.load_answers(session_id) if session_id else None
    if answers is None:
        if not first:
            return expired_page()
        answers = {}
    resolved = _resolve(step, answers)
    if isinstance(resolved, Response):
        return resolved
    return _show(resolved, answers, session_id, cookies=cookies)


def _guarded_post(
    handle: Callable[[Form, Answers, str], Response],
    first: bool = False,
    when_gone: Callable[[], Response | None] | None = None,
) -> Response:
    """Size limit, CSRF and session checks shared by every POST, then the page's own handling."""
    try:
        form = form_body(public_form.current_request)
    except BodyTooLarge:
        return page("errors/too_large.html", status=413)
    except ValueError:
        return page("errors/bad_request.html", status=400)
    session_id = session.session_id_from(_headers())
    if session_id is None:
        return expired_page()
    if not session.csrf_valid(session_id, text(form, session.CSRF_FIELD)):
        # No log of the token or session id: just that it happened.
        logger.info("form post refused: CSRF token missing or wrong")
        return page("errors/csrf.html", status=400)
    answers = session.load_answers(session_id)
    if answers is None:
        if not first:
            return (when_gone and when_gone()) or expired_page()
        answers = {}
    return handle(form, answers, session_id)


def _post(step: StepOrFactory, first: bool = False) -> Response:
    def handle(form: Form, answers: Answers, session_id: str) -> Response:
        resolved = _resolve(step, answers)
        if isinstance(resolved, Response):
            return resolved
        errors = PageErrors()
        result = resolved.read(form, errors)
        if errors:
            values = {name: (vals if len(vals) > 1 or name == "categories" else vals[0]) for name, vals in form.items()}
            return _show(resolved, answers, session_id, errors=errors, values=values)
        resolved.store(answers, result)
        session.save_answers(session_id, answers)
        return redirect(resolved.next(answers, result), cookies=[session.session_cookie(session_id)])

    return _guarded_post(handle, first=first)


def expired_page() -> Response:
    return page("errors/expired.html", status=200, cookies=[session.clear_cookie(session.SESSION_COOKIE)])


def _number(raw: str, limit: int) -> int | None:
    # isascii: str.isdigit() is true for "²", which int() refuses (a 500 before this check).
    return int(raw) if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= limit else None


# --- routes ------------------------------------------------------------------------------------


@public_form.route("/", methods=["GET"])
def start() -> Response:
    return page("start.html")


@public_form.route(FIRST_PAGE, methods=["GET"])
def immediate_risk() -> Response:
    return _get(IMMEDIATE_RISK, first=True)


@public_form.route(FIRST_PAGE, methods=["POST"], content_types=FORM_CONTENT_TYPES)
def immediate_risk_post() -> Response:
    return _post(IMMEDIATE_RISK, first=True)


@public_form.route("/referral/call-now", methods=["GET"])
def call_now() -> Response:
    return _get(
        Step(
            template="call_now.html",
            read=lambda f, e: None,
            store=lambda a, v: None,
            values=lambda a: {},
            next=lambda a, v: "/referral/route",
            back=lambda a: FIRST_PAGE,
        )
    )


@public_form.route("/referral/route", methods=["GET"])
def route() -> Response:
    return _get(ROUTE)


@public_form.route("/referral/route", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def route_post() -> Response:
    return _post(ROUTE)


@public_form.route("/referral/about-you", methods=["GET"])
def about_you() -> Response:
    return _get(ABOUT_YOU)


@public_form.route("/referral/about-you", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def about_you_post() -> Response:
    return _post(ABOUT_YOU)


@public_form.route("/referral/child/{number}", methods=["GET"])
def child(number: str) -> Response:
    index = _number(number, pages.MAX_CHILDREN)
    if index is None:
        return page("errors/not_found.html", status=404)
    return _get(lambda a: _in_range(a, "children", index, child_step))


@public_form.route("/referral/child/{number}", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def child_post(number: str) -> Response:
    index = _number(number, pages.MAX_CHILDREN)
    if index is None:
        return page("errors/not_found.html", status=404)
    return _post(lambda a: _in_range(a, "children", index, child_step))


def _in_range(answers: Answers, key: str, index: int, make: Callable[[int], Step]) -> Step | Response:
    """Page n of a list exists for the items so far and one more; beyond that, go to the next new one."""
    count = len(answers.get(key) or [])
    if index > count + 1:
        return redirect(f"/referral/{'child' if key == 'children' else 'parent'}/{count + 1}")
    return make(index)


@public_form.route("/referral/children", methods=["GET"])
def children() -> Response:
    return _summary_get("children", "children.html", "/referral/child/1")


@public_form.route("/referral/children", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def children_post() -> Response:
    def handle(form: Form, answers: Answers, session_id: str) -> Response:
        count = len(answers.get("children", []))
        if count == 0:
            return redirect("/referral/child/1")
        another = yes_no(form, "add_another") if count < pages.MAX_CHILDREN else False
        if another is None:
            errors = PageErrors()
            errors.add("add_another", "Select yes if you need to tell us about another child")
            return _summary_page("children", "children.html", answers, session_id, errors)
        if another:
            return redirect(f"/referral/child/{count + 1}")
        return redirect(_after(answers, "/referral/parents"))

    return _guarded_post(handle)


@public_form.route("/referral/parent/{number}", methods=["GET"])
def parent(number: str) -> Response:
    index = _number(number, pages.MAX_PARENTS)
    if index is None:
        return page("errors/not_found.html", status=404)
    return _get(lambda a: _in_range(a, "parents_carers", index, parent_step))


@public_form.route("/referral/parent/{number}", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def parent_post(number: str) -> Response:
    index = _number(number, pages.MAX_PARENTS)
    if index is None:
        return page("errors/not_found.html", status=404)
    return _post(lambda a: _in_range(a, "parents_carers", index, parent_step))


@public_form.route("/referral/parents", methods=["GET"])
def parents() -> Response:
    return _summary_get("parents_carers", "parents.html", None)


@public_form.route("/referral/parents", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def parents_post() -> Response:
    def handle(form: Form, answers: Answers, session_id: str) -> Response:
        count = len(answers.get("parents_carers", []))
        another = yes_no(form, "add_another") if count < pages.MAX_PARENTS else False
        if another is None:
            errors = PageErrors()
            message = (
                "Select yes if you need to tell us about another parent or carer"
                if count
                else "Select yes if you can tell us about a parent or carer"
            )
            errors.add("add_another", message)
            return _summary_page("parents_carers", "parents.html", answers, session_id, errors)
        if another:
            return redirect(f"/referral/parent/{count + 1}")
        answers["_parents_answered"] = True
        session.save_answers(session_id, answers)
        return redirect(_after(answers, "/referral/concerns"))

    return _guarded_post(handle)


def _summary_get(key: str, template: str, when_empty: str | None) -> Response:
    session_id = session.session_id_from(_headers())
    answers = session.load_answers(session_id) if session_id else None
    if answers is None:
        return expired_page()
    if when_empty and not answers.get(key):
        return redirect(when_empty)
    return _summary_page(key, template, answers, session_id)


def _summary_page(
    key: str, template: str, answers: Answers, session_id: str, errors: PageErrors | None = None
) -> Response:
    back = "/referral/children" if key == "parents_carers" else f"/referral/child/{len(answers.get(key, []))}"
    step = Step(
        template=template,
        read=lambda f, e: None,
        store=lambda a, v: None,
        values=lambda a: {},
        next=lambda a, v: CHECK,
        back=lambda a: _back(a, back),
        context={
            "items": answers.get(key, []),
            "rows": list_rows(key, answers.get(key, [])),
            "limit": pages.MAX_CHILDREN,
        },
    )
    return _show(step, answers, session_id, errors=errors)


@public_form.route("/referral/{kind}/{number}/remove", methods=["GET"])
def remove(kind: str, number: str) -> Response:
    found = _removable(kind, number)
    if found is None:
        return page("errors/not_found.html", status=404)
    key, index = found
    step = Step(
        template="remove.html",
        read=lambda f, e: None,
        store=lambda a, v: None,
        values=lambda a: {},
        next=lambda a, v: CHECK,
        back=lambda a: _summary_path(key),
        context={"kind": kind, "number": index},
    )
    return _get(lambda a: step if index <= len(a.get(key, [])) else redirect(_summary_path(key)))


@public_form.route("/referral/{kind}/{number}/remove", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def remove_post(kind: str, number: str) -> Response:
    found = _removable(kind, number)
    if found is None:
        return page("errors/not_found.html", status=404)
    key, index = found

    def handle(form: Form, answers: Answers, session_id: str) -> Response:
        items = answers.get(key, [])
        if yes_no(form, "confirm") and index <= len(items):
            del items[index - 1]
            session.save_answers(session_id, answers)
        return redirect(_summary_path(key))

    return _guarded_post(handle)


def _removable(kind: str, number: str) -> tuple[str, int] | None:
    key = {"child": "children", "parent": "parents_carers"}.get(kind)
    index = _number(number, pages.MAX_CHILDREN)
    return (key, index) if key and index else None


def _summary_path(key: str) -> str:
    return "/referral/children" if key == "children" else "/referral/parents"


@public_form.route("/referral/concerns", methods=["GET"])
def concerns() -> Response:
    return _get(CONCERNS)


@public_form.route("/referral/concerns", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def concerns_post() -> Response:
    return _post(CONCERNS)


@public_form.route("/referral/consent", methods=["GET"])
def consent() -> Response:
    return _get(_consent_step)


@public_form.route("/referral/consent", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def consent_post() -> Response:
    return _post(_consent_step)


@public_form.route(CHECK, methods=["GET"])
def check_answers() -> Response:
    session_id = session.session_id_from(_headers())
    answers = session.load_answers(session_id) if session_id else None
    if answers is None:
        return expired_page()
    missing = pages.first_incomplete(answers)
    if missing:
        return redirect(missing)
    if not answers.get("_checking"):
        answers["_checking"] = True
        session.save_answers(session_id, answers)
    return _check_page(answers, session_id)


def _check_page(answers: Answers, session_id: str, errors: list[dict[str, str]] | None = None) -> Response:
    return page(
        "check.html",
        sections=check_sections(answers),
        error_list=errors or [],
        csrf_token=session.csrf_token(session_id),
        back_href="/referral/consent",
    )


@public_form.route(CHECK, methods=["POST"], content_types=FORM_CONTENT_TYPES)
def submit() -> Response:
    def handle(form: Form, answers: Answers, session_id: str) -> Response:
        try:
            submission = validate(ReferralSubmission, pages.submission_data(answers))
            receipt = send_referral(submission, session_id)
        except InvalidReferral as invalid:
            return _check_page(answers, session_id, error_links(invalid.errors))
        session.forget_answers(session_id)
        return redirect(
            "/referral/confirmation",
            cookies=[
                session.clear_cookie(session.SESSION_COOKIE),
                session.receipt_cookie(receipt.reference, session_id),
            ],
        )

    def already_sent() -> Response | None:
        # A second "Send" after the first has finished: show its confirmation, not "session ended".
        session_id = session.session_id_from(_headers()) or ""
        return redirect("/referral/confirmation") if session.sent_by(_headers(), session_id) else None

    return _guarded_post(handle, when_gone=already_sent)


def send_referral(submission: ReferralSubmission, session_id: str) -> Any:
    # Imported here: the service pulls in the store and KMS adapters, which only a submit needs.
    from chalicelib.domain.referral_record import Channel
    from chalicelib.services.submit_referral import submit_referral

    # One referral per form session, however many times "Send" is pressed.
    return submit_referral(submission, idempotency_key=f"form:{session_id}", channel=Channel.FORM)


@public_form.route("/referral/confirmation", methods=["GET"])
def confirmation() -> Response:
    reference = session.reference_from(_headers())
    if reference is None:
        return redirect("/")
    return page("confirmation.html", reference=reference)
