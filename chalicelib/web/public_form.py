"""The public referral form (RSHP): one page per question group, server-rendered, no JavaScript needed.

Every page follows one pattern: GET shows the stored answers; POST checks the CSRF token, reads
the page's inputs into the referral's JSON shape, validates them with the page's part of the
domain model, saves the draft server-side and redirects (303) to the next page. No personal
data is ever put in a URL: pages are addressed by position only (/referral/child/2).

Every question page also has "Save and come back later": it keeps what was typed on the page,
even if incomplete (no errors are shown), and goes to /referral/save, where a passphrase is set
and a resume code given (chalicelib/web/form_resume.py). /referral/resume takes them back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalice import Blueprint
from chalice.app import Response

from chalicelib.domain import resume_codes
from chalicelib.domain.referral import (
    AGENCY_LABELS,
    CONCERN_LABELS,
    LEVELS_OF_NEED,
    ReferralSubmission,
)
from chalicelib.domain.validation import InvalidReferral, validate
from chalicelib.logs import logger
from chalicelib.web import form_pages as pages
from chalicelib.web import form_resume
from chalicelib.web import form_session as session
from chalicelib.web.clock import hub_today
from chalicelib.web.form_check import check_sections, error_links, list_rows
from chalicelib.web.form_fields import Form, PageErrors, text, yes_no
from chalicelib.web.form_http import FORM_CONTENT_TYPES, BodyTooLarge, form_body, page, redirect

public_form = Blueprint(__name__)

CHECK = "/referral/check"
HOUSEHOLD = "/referral/household"
RISKS = "/referral/risks"
FIRST_PAGE = "/referral/immediate-risk"
SAVE_PAGE = "/referral/save"
RESUME_PAGE = "/referral/resume"
# The secondary button's name and value on every question page.
ACTION_FIELD = "action"
SAVE_ACTION = "save"
# Form bookkeeping in the answers (dropped before submitting): what was typed on a page that was
# saved unfinished, by page path; and the page "Save and come back later" was pressed on.
PARTIAL = "_partial"
RESUME_AT = "_resume_at"

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
    back=lambda a: _back(a, RISKS),
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


def household_step(number: int) -> Step:
    return Step(
        template="household_member.html",
        read=pages.read_household_member,
        store=_store_in_list("household_members", number),
        values=lambda a: pages.household_member_values(_item(a, "household_members", number)),
        next=lambda a, _: _after(a, HOUSEHOLD),
        back=lambda a: _back(a, HOUSEHOLD),
        context={"number": number},
    )


def risk_step(number: int) -> Step:
    return Step(
        template="risk_person.html",
        read=pages.read_person_posing_risk,
        store=_store_in_list("people_posing_risk", number),
        values=lambda a: pages.person_posing_risk_values(_item(a, "people_posing_risk", number)),
        next=lambda a, _: _after(a, RISKS),
        back=lambda a: _back(a, RISKS),
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
        exit_token=session.csrf_token(session_id),
        back_href=step.back(answers),
        **step.context,
    )


StepOrFactory = Step | Callable[[Answers], "Step | Response"]


def _resolve(step: StepOrFactory, answers: Answers) -> Step | Response:
    return step if isinstance(step, Step) else step(answers)


def _get(step: StepOrFactory, path: str, first: bool = False) -> Response:
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
    return _show(resolved, answers, session_id, values=_typed_on(answers, path), cookies=cookies)


def _guarded_post(
    handle: Callable[[Form, Answers, str], Response],
    first: bool = False,
    when_gone: Callable[[], Response | None] | None = None,
    when_no_session: Callable[[], Response] = lambda: expired_page(),
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
        return when_no_session()
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


def _post(step: StepOrFactory, path: str, first: bool = False) -> Response:
    def handle(form: Form, answers: Answers, session_id: str) -> Response:
        resolved = _resolve(step, answers)
        if isinstance(resolved, Response):
            return resolved
        errors = PageErrors()
        result = resolved.read(form, errors)
        if _saving(form):
            # Keep everything typed: a complete page is stored as an answer, an unfinished one as
            # it was typed, to show again. No errors now: they come when the page is continued.
            if errors:
                _keep_typed(answers, path, form)
            else:
                resolved.store(answers, result)
                _forget_typed(answers, path)
            return _to_save_page(answers, session_id, path)
        if errors:
            return _show(resolved, answers, session_id, errors=errors, values=_typed(form))
        resolved.store(answers, result)
        _forget_typed(answers, path)
        session.save_answers(session_id, answers)
        return redirect(resolved.next(answers, result), cookies=[session.session_cookie(session_id)])

    return _guarded_post(handle, first=first)


def _saving(form: Form) -> bool:
    return text(form, ACTION_FIELD) == SAVE_ACTION


def _typed(form: Form) -> dict[str, Any]:
    """A posted page's values as its template reads them (a checkbox group's as a list)."""
    return {
        name: (vals if len(vals) > 1 or name == "categories" else vals[0])
        for name, vals in form.items()
        if name not in (session.CSRF_FIELD, ACTION_FIELD)
    }


def _keep_typed(answers: Answers, path: str, form: Form) -> None:
    typed = _typed(form)
    if any(value for value in typed.values()):
        answers.setdefault(PARTIAL, {})[path] = typed
    else:
        _forget_typed(answers, path)


def _forget_typed(answers: Answers, path: str) -> None:
    partial = answers.get(PARTIAL) or {}
    partial.pop(path, None)
    if not partial:
        answers.pop(PARTIAL, None)


def _typed_on(answers: Answers, path: str) -> dict[str, Any] | None:
    return (answers.get(PARTIAL) or {}).get(path)


def _to_save_page(answers: Answers, session_id: str, path: str) -> Response:
    answers[RESUME_AT] = path
    session.save_answers(session_id, answers)
    return redirect(SAVE_PAGE, cookies=[session.session_cookie(session_id)])


def _landing(answers: Answers) -> str:
    """Where a resumed referral opens: the page saved unfinished, else the first gap, else check answers."""
    saved_on = answers.pop(RESUME_AT, None)
    if saved_on and _typed_on(answers, saved_on):
        return saved_on
    return pages.first_incomplete(answers) or CHECK


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
    return _get(IMMEDIATE_RISK, FIRST_PAGE, first=True)


@public_form.route(FIRST_PAGE, methods=["POST"], content_types=FORM_CONTENT_TYPES)
def immediate_risk_post() -> Response:
    return _post(IMMEDIATE_RISK, FIRST_PAGE, first=True)


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
        ),
        "/referral/call-now",
    )


@public_form.route("/referral/route", methods=["GET"])
def route() -> Response:
    return _get(ROUTE, "/referral/route")


@public_form.route("/referral/route", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def route_post() -> Response:
    return _post(ROUTE, "/referral/route")


@public_form.route("/referral/about-you", methods=["GET"])
def about_you() -> Response:
    return _get(ABOUT_YOU, "/referral/about-you")


@public_form.route("/referral/about-you", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def about_you_post() -> Response:
    return _post(ABOUT_YOU, "/referral/about-you")


@public_form.route("/referral/child/{number}", methods=["GET"])
def child(number: str) -> Response:
    index = _number(number, pages.MAX_CHILDREN)
    if index is None:
        return page("errors/not_found.html", status=404)
    return _get(lambda a: _in_range(a, "children", index, child_step), f"/referral/child/{index}")


@public_form.route("/referral/child/{number}", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def child_post(number: str) -> Response:
    index = _number(number, pages.MAX_CHILDREN)
    if index is None:
        return page("errors/not_found.html", status=404)
    return _post(lambda a: _in_range(a, "children", index, child_step), f"/referral/child/{index}")


# Each list of people on the form: its answers key, the path of one item, and of its summary.
LISTS: dict[str, tuple[str, str]] = {
    "children": ("child", "/referral/children"),
    "parents_carers": ("parent", "/referral/parents"),
    "household_members": ("household", HOUSEHOLD),
    "people_posing_risk": ("risk", RISKS),
}
KIND_KEYS = {kind: key for key, (kind, _) in LISTS.items()}


def _in_range(answers: Answers, key: str, index: int, make: Callable[[int], Step]) -> Step | Response:
    """Page n of a list exists for the items so far and one more; beyond that, go to the next new one."""
    count = len(answers.get(key) or [])
    if index > count + 1:
        return redirect(f"/referral/{LISTS[key][0]}/{count + 1}")
    return make(index)


@public_form.route("/referral/children", methods=["GET"])
def children() -> Response:
    return _summary_get("children", "children.html", "/referral/child/1")


@public_form.route("/referral/children", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def children_post() -> Response:
    def handle(form: Form, answers: Answers, session_id: str) -> Response:
        if _saving(form):
            return _to_save_page(answers, session_id, "/referral/children")
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
    return _get(lambda a: _in_range(a, "parents_carers", index, parent_step), f"/referral/parent/{index}")


@public_form.route("/referral/parent/{number}", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def parent_post(number: str) -> Response:
    index = _number(number, pages.MAX_PARENTS)
    if index is None:
        return page("errors/not_found.html", status=404)
    return _post(lambda a: _in_range(a, "parents_carers", index, parent_step), f"/referral/parent/{index}")


@public_form.route("/referral/parents", methods=["GET"])
def parents() -> Response:
    return _summary_get("parents_carers", "parents.html", None)


@public_form.route("/referral/parents", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def parents_post() -> Response:
    def handle(form: Form, answers: Answers, session_id: str) -> Response:
        if _saving(form):
            return _to_save_page(answers, session_id, "/referral/parents")
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
        return redirect(_after(answers, HOUSEHOLD))

    return _guarded_post(handle)


@public_form.route("/referral/household/{number}", methods=["GET"])
def household_member(number: str) -> Response:
    index = _number(number, pages.MAX_HOUSEHOLD)
    if index is None:
        return page("errors/not_found.html", status=404)
    return _get(lambda a: _in_range(a, "household_members", index, household_step), f"/referral/household/{index}")


@public_form.route("/referral/household/{number}", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def household_member_post(number: str) -> Response:
    index = _number(number, pages.MAX_HOUSEHOLD)
    if index is None:
        return page("errors/not_found.html", status=404)
    return _post(lambda a: _in_range(a, "household_members", index, household_step), f"/referral/household/{index}")


@public_form.route(HOUSEHOLD, methods=["GET"])
def household() -> Response:
    return _summary_get("household_members", "household.html", None)


@public_form.route(HOUSEHOLD, methods=["POST"], content_types=FORM_CONTENT_TYPES)
def household_post() -> Response:
    return _list_summary_post(
        "household_members", "household.html", pages.MAX_HOUSEHOLD, "_household_answered", RISKS,
        "Select yes if any other adult lives in the child's household",
    )  # fmt: skip


@public_form.route("/referral/risk/{number}", methods=["GET"])
def risk_person(number: str) -> Response:
    index = _number(number, pages.MAX_RISKS)
    if index is None:
        return page("errors/not_found.html", status=404)
    return _get(lambda a: _in_range(a, "people_posing_risk", index, risk_step), f"/referral/risk/{index}")


@public_form.route("/referral/risk/{number}", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def risk_person_post(number: str) -> Response:
    index = _number(number, pages.MAX_RISKS)
    if index is None:
        return page("errors/not_found.html", status=404)
    return _post(lambda a: _in_range(a, "people_posing_risk", index, risk_step), f"/referral/risk/{index}")


@public_form.route(RISKS, methods=["GET"])
def risks() -> Response:
    return _summary_get("people_posing_risk", "risks.html", None)


@public_form.route(RISKS, methods=["POST"], content_types=FORM_CONTENT_TYPES)
def risks_post() -> Response:
    return _list_summary_post(
        "people_posing_risk", "risks.html", pages.MAX_RISKS, "_risks_answered", "/referral/concerns",
        "Select yes if you know of anyone who may pose a risk to the child",
    )  # fmt: skip


def _list_summary_post(key: str, template: str, limit: int, answered: str, then: str, message: str) -> Response:
    """An optional list's summary page: add another (the next item's page) or go on."""

    def handle(form: Form, answers: Answers, session_id: str) -> Response:
        summary = LISTS[key][1]
        if _saving(form):
            return _to_save_page(answers, session_id, summary)
        count = len(answers.get(key, []))
        another = yes_no(form, "add_another") if count < limit else False
        if another is None:
            errors = PageErrors()
            errors.add("add_another", message)
            return _summary_page(key, template, answers, session_id, errors)
        if another:
            return redirect(f"/referral/{LISTS[key][0]}/{count + 1}")
        answers[answered] = True
        session.save_answers(session_id, answers)
        return redirect(_after(answers, then))

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
    before = {"parents_carers": "/referral/children", "household_members": "/referral/parents", "people_posing_risk": HOUSEHOLD}
    back = before.get(key) or f"/referral/child/{len(answers.get(key, []))}"
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
            "limit": pages.MAX_CHILDREN,  # every list holds ten at most
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
    return _get(
        lambda a: step if index <= len(a.get(key, [])) else redirect(_summary_path(key)),
        f"/referral/{kind}/{index}/remove",
    )


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
            # Pages after it move up one: what was typed on them no longer belongs to their number.
            for path in [path for path in answers.get(PARTIAL) or {} if path.startswith(f"/referral/{kind}/")]:
                _forget_typed(answers, path)
            session.save_answers(session_id, answers)
        return redirect(_summary_path(key))

    return _guarded_post(handle)


def _removable(kind: str, number: str) -> tuple[str, int] | None:
    key = KIND_KEYS.get(kind)
    index = _number(number, pages.MAX_CHILDREN)
    return (key, index) if key and index else None


def _summary_path(key: str) -> str:
    return LISTS[key][1]


@public_form.route("/referral/concerns", methods=["GET"])
def concerns() -> Response:
    return _get(CONCERNS, "/referral/concerns")


@public_form.route("/referral/concerns", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def concerns_post() -> Response:
    return _post(CONCERNS, "/referral/concerns")


@public_form.route("/referral/consent", methods=["GET"])
def consent() -> Response:
    return _get(_consent_step, "/referral/consent")


@public_form.route("/referral/consent", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def consent_post() -> Response:
    return _post(_consent_step, "/referral/consent")


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
        exit_token=session.csrf_token(session_id),
        back_href="/referral/consent",
    )


@public_form.route(CHECK, methods=["POST"], content_types=FORM_CONTENT_TYPES)
def submit() -> Response:
    def handle(form: Form, answers: Answers, session_id: str) -> Response:
        try:
            submission = validate(ReferralSubmission, pages.submission_data(answers), today=hub_today())
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
    return page("confirmation.html", reference=reference, next=_what_happens_next(reference))


def _what_happens_next(reference: str) -> dict[str, Any] | None:
    """What the page says will happen, by the working-hours clock when the referral came in
    (clear metadata, no KMS call); None if it cannot be read just now: the page says it generally."""
    from chalicelib.adapters.aws import AwsError
    from chalicelib.adapters.referrals import ReferralNotFound
    from chalicelib.domain.out_of_hours import WhatHappensNext
    from chalicelib.wiring import wiring

    try:
        summary = wiring().referrals.fetch_summary(reference)
    except (AwsError, ReferralNotFound):
        return None
    told = WhatHappensNext.at(summary.received_at, summary.route, summary.immediate_risk)
    return {"route": summary.route.value, **told.template_context()}


@public_form.route("/referral/documents", methods=["GET"])
def documents() -> Response:
    """Add documents to the referral just sent (README "Documents"): the receipt cookie names it."""
    from chalicelib.domain.attachments import MAX_FILES, REFUSAL_TEXT, describe_size
    from chalicelib.services.referral_attachments import documents_for_form
    from chalicelib.settings import get_settings
    from chalicelib.web.security import CONTENT_SECURITY_POLICY
    from chalicelib.wiring import wiring

    reference = session.reference_from(_headers())
    if reference is None:
        return redirect("/")
    query = public_form.current_request.query_params or {}
    if "key" in query:
        # S3's redirect after an upload adds the object's key, which holds the file's name: go on
        # to the same page without it, so the name stays out of the address bar and history.
        return redirect("/referral/documents?added=1")
    settings = get_settings()
    # S3 sends the browser back here once it has the file (an absolute address; locally, this host).
    host = _headers().get("host")
    here = f"http://{host}" if settings.is_local and host else settings.public_url
    found = documents_for_form(reference, redirect=f"{here}/referral/documents?added=1")
    response = page(
        "documents.html",
        page=found,
        reference=reference,
        added=query.get("added") == "1",
        max_files=MAX_FILES,
        max_size=describe_size(found.max_bytes),
        closes=form_resume.london_time(found.window_closes_at),
        refused_text=REFUSAL_TEXT,
        back_href="/referral/confirmation",
        # The receipt lasts as long as documents can be added (it is the same signed value).
        cookies=[
            session.set_cookie(
                session.RECEIPT_COOKIE,
                session.read_cookie(_headers(), session.RECEIPT_COOKIE) or "",
                max(1, int((found.window_closes_at - wiring().clock()).total_seconds())),
            )
        ],
    )
    if found.post is not None:
        # This page's form posts straight to the bucket: its origin, and only on this page.
        origin = "/".join(found.post.url.split("/")[:3])
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", f"form-action 'self' {origin}"
        )
    return response


# --- save and come back later -----------------------------------------------------------------


@public_form.route(SAVE_PAGE, methods=["GET"])
def save_for_later() -> Response:
    session_id = session.session_id_from(_headers())
    answers = session.load_answers(session_id) if session_id else None
    if answers is None:
        return expired_page()
    return _save_page(answers, session_id)


def _save_page(answers: Answers, session_id: str, errors: PageErrors | None = None) -> Response:
    errors = errors or PageErrors()
    return page(
        "save.html",
        errors=errors.messages,
        error_list=errors.summary(),
        csrf_token=session.csrf_token(session_id),
        exit_token=session.csrf_token(session_id),
        back_href=answers.get(RESUME_AT) or pages.first_incomplete(answers) or CHECK,
    )


@public_form.route(SAVE_PAGE, methods=["POST"], content_types=FORM_CONTENT_TYPES)
def save_for_later_post() -> Response:
    def handle(form: Form, answers: Answers, session_id: str) -> Response:
        # As typed: a passphrase is not trimmed (a space may be part of it), and never shown back.
        passphrase = (form.get("passphrase") or [""])[0]
        problem = resume_codes.passphrase_problem(passphrase)
        if problem:
            errors = PageErrors()
            errors.add("passphrase", problem)
            return _save_page(answers, session_id, errors)
        saved = form_resume.save_for_later(answers, passphrase)
        # The session ends here: on a shared device nobody can press Back into the answers.
        session.forget_answers(session_id)
        # Shown once, in this answer to the POST, rather than after a redirect: the code is never
        # stored in clear, so there is nothing a later GET could show it from.
        return page(
            "saved.html",
            cookies=[session.clear_cookie(session.SESSION_COOKIE)],
            code=saved.code,
            expires=form_resume.london_time(saved.expires),
        )

    # Saving ends the session, so a second "Save" (a double click without JavaScript, or a refresh
    # of the code page) finds none: say the answers may already be saved and the code is shown once.
    def save_gone() -> Response:
        return page("save_gone.html")

    return _guarded_post(handle, when_gone=save_gone, when_no_session=save_gone)


@public_form.route(RESUME_PAGE, methods=["GET"])
def resume() -> Response:
    session_id = session.session_id_from(_headers())
    cookies: list[str] = []
    if session_id is None:  # a session only to tie the CSRF token to; nothing is stored for it yet
        session_id = session.new_session_id()
        cookies.append(session.session_cookie(session_id))
    return _resume_page(session_id, cookies=cookies)


def _resume_page(
    session_id: str,
    errors: PageErrors | None = None,
    code: str = "",
    cookies: list[str] | None = None,
    status: int = 200,
) -> Response:
    errors = errors or PageErrors()
    summary = errors.summary()
    if errors.messages.get("resume_code") == WRONG_DETAILS:
        # One message in the summary, and the same words beside both boxes: neither is singled out.
        summary = summary[:1]
        errors.messages["passphrase"] = WRONG_DETAILS
    return page(
        "resume.html",
        status=status,
        cookies=cookies,
        errors=errors.messages,
        error_list=summary,
        values={"resume_code": code},
        csrf_token=session.csrf_token(session_id),
        back_href="/",
    )


WRONG_DETAILS = "The resume code or passphrase is not right. Check both and try again"


@public_form.route(RESUME_PAGE, methods=["POST"], content_types=FORM_CONTENT_TYPES)
def resume_post() -> Response:
    try:
        form = form_body(public_form.current_request)
    except BodyTooLarge:
        return page("errors/too_large.html", status=413)
    except ValueError:
        return page("errors/bad_request.html", status=400)
    session_id = session.session_id_from(_headers())
    if session_id is None or not session.csrf_valid(session_id, text(form, session.CSRF_FIELD)):
        logger.info("form post refused: CSRF token missing or wrong")
        return page("errors/csrf.html", status=400)

    typed_code = text(form, "resume_code")
    passphrase = (form.get("passphrase") or [""])[0]
    code = resume_codes.normalise(typed_code)
    errors = PageErrors()
    if not typed_code:
        errors.add("resume_code", "Enter your resume code")
    elif code is None:
        errors.add(
            "resume_code",
            f"Enter the resume code as you were given it: 12 letters and numbers, like {resume_codes.EXAMPLE_CODE}",
        )
    if not passphrase:
        errors.add("passphrase", "Enter your passphrase")
    if errors or code is None:
        return _resume_page(session_id, errors, code=typed_code)

    refused = _resume_rate_limited()
    if refused is not None:
        return refused

    new_session_id = session.new_session_id()  # never the one from before the passphrase
    outcome = form_resume.resume(code, passphrase, new_session_id)
    if isinstance(outcome, form_resume.Resumed):
        if session_id != new_session_id:
            session.forget_answers(session_id)
        answers = outcome.answers
        landing = _landing(answers)
        session.save_answers(new_session_id, answers)
        return redirect(landing, cookies=[session.session_cookie(new_session_id)])
    if isinstance(outcome, form_resume.Locked):
        return page(
            "resume_locked.html",
            until=form_resume.london_time(outcome.until),
            tries=resume_codes.MAX_WRONG_PASSPHRASES,
        )
    if isinstance(outcome, form_resume.Expired):
        return page("resume_expired.html")
    errors.add("resume_code", WRONG_DETAILS)
    return _resume_page(session_id, errors, code=resume_codes.formatted(code))


def _resume_rate_limited() -> Response | None:
    """Tries at a saved draft per client (on top of the form's own limit), in the app's rate-limit store."""
    import math

    from chalicelib.domain.failures import AwsError
    from chalicelib.domain.rate_limit import RateLimit, client_key
    from chalicelib.web.rate_limit import source_ip
    from chalicelib.wiring import wiring

    hub = wiring()
    limit = RateLimit("resume", hub.settings.rate_limit_resume_requests, hub.settings.rate_limit_window_seconds)
    ip = source_ip(public_form.current_request)
    if not limit.enabled or ip is None:
        return None
    now = hub.clock()
    window = limit.window_at(now)
    try:
        allowed = hub.rate_limits.take(client_key(ip, hub.settings.hmac_secret), limit.scope, window, limit.requests)
    except AwsError as error:
        # As the form's limit does: let it through; the per-code lock still stands.
        logger.warning("rate limit not checked: store unavailable", extra={"scope": limit.scope, "error": error.code})
        return None
    if allowed:
        return None
    logger.info("rate limit reached", extra={"scope": limit.scope})
    retry_after = window.retry_after(now)
    response = page("resume_too_many.html", status=429, wait_minutes=math.ceil(retry_after / 60))
    response.headers["Retry-After"] = str(retry_after)
    return response


# --- quick exit ---------------------------------------------------------------------------------


@public_form.route("/referral/exit", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def exit_page() -> Response:
    """Sent by "Exit this page" (a beacon from init.js) as the browser leaves: ends the form session,
    so Back or a reopened tab finds no answers, and forgets the receipt, so the confirmation and
    documents pages (the reference, the files' names) no longer show on a shared device. The exit
    itself never waits for this."""
    try:
        form = form_body(public_form.current_request)
    except BodyTooLarge:
        return page("errors/too_large.html", status=413)
    except ValueError:
        return page("errors/bad_request.html", status=400)
    headers = _headers()
    # Forgetting the receipt changes nothing on the server, so it needs no token: the pages after
    # sending have no form session left to carry one.
    cleared = [session.clear_cookie(session.RECEIPT_COOKIE)] if session.read_cookie(headers, session.RECEIPT_COOKIE) else []
    session_id = session.session_id_from(headers)
    if session_id is None:
        return page("exited.html", cookies=cleared)
    if not session.csrf_valid(session_id, text(form, session.CSRF_FIELD)):
        logger.info("form post refused: CSRF token missing or wrong")
        return page("errors/csrf.html", status=400, cookies=cleared)
    session.forget_answers(session_id)
    logger.info("form session ended by exit this page")
    # A page, like every form POST's answer, though the browser that sent it has already gone.
    return page("exited.html", cookies=[session.clear_cookie(session.SESSION_COOKIE), *cleared])
