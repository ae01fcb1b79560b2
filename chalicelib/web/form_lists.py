"""The form's add-another lists: children, parents and carers, household members and people who may pose
a risk. One item's page (/referral/child/2), each list's summary (add another or go on), and removing
an item; `LISTS` names each list's answers key, item path and summary path.
"""

from __future__ import annotations

from collections.abc import Callable

from chalice.app import Response

from chalicelib.web import form_pages as pages
from chalicelib.web import form_session as session
from chalicelib.web.form_check import list_rows
from chalicelib.web.form_cycle import (
    _forget_typed,
    _get,
    _guarded_post,
    _headers,
    _number,
    _post,
    _saving,
    _show,
    _to_save_page,
    expired_page,
    public_form,
    show_errors_after_redirect,
    take_shown_errors,
)
from chalicelib.web.form_fields import Form, PageErrors, yes_no
from chalicelib.web.form_http import FORM_CONTENT_TYPES, page, redirect
from chalicelib.web.form_steps import (
    CHECK,
    HOUSEHOLD,
    PARTIAL,
    RISKS,
    Answers,
    Step,
    _after,
    _back,
    child_step,
    household_step,
    parent_step,
    risk_step,
)


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
            return show_errors_after_redirect(answers, session_id, "/referral/children", errors, {})
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
            return show_errors_after_redirect(answers, session_id, "/referral/parents", errors, {})
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
            return show_errors_after_redirect(answers, session_id, summary, errors, {})
        if another:
            return redirect(f"/referral/{LISTS[key][0]}/{count + 1}")
        answers[answered] = True
        session.save_answers(session_id, answers)
        return redirect(_after(answers, then))

    return _guarded_post(handle)


def _summary_get(key: str, template: str, when_empty: str | None) -> Response:
    session_id = session.session_id_from(_headers())
    answers = session.load_answers(session_id) if session_id else None
    if session_id is None or answers is None:
        return expired_page()
    if when_empty and not answers.get(key):
        return redirect(when_empty)
    shown = take_shown_errors(answers, session_id, LISTS[key][1])
    return _summary_page(key, template, answers, session_id, shown[0] if shown else None)


def _summary_page(
    key: str, template: str, answers: Answers, session_id: str, errors: PageErrors | None = None
) -> Response:
    before = {
        "parents_carers": "/referral/children",
        "household_members": "/referral/parents",
        "people_posing_risk": HOUSEHOLD,
    }
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
