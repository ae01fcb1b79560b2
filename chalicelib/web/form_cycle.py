"""The public form's request cycle: the one `public_form` Blueprint, showing a step (GET) and reading it
(POST: size, CSRF and session checks, then the page's own handling), and "Save and come back later"'s
bookkeeping of what was typed. The routes are in public_form.py and form_lists.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Blueprint
from chalice.app import Response

from chalicelib.logs import logger
from chalicelib.web import form_pages as pages
from chalicelib.web import form_session as session
from chalicelib.web.form_fields import Form, PageErrors, text
from chalicelib.web.form_http import BodyTooLarge, form_body, page, redirect
from chalicelib.web.form_steps import (
    ACTION_FIELD,
    CHECK,
    PARTIAL,
    RESUME_AT,
    SAVE_ACTION,
    SAVE_PAGE,
    SHOWN_ERRORS,
    Answers,
    Step,
)

# The import name stays the one the Blueprint had when the form was one module.
public_form = Blueprint("chalicelib.web.public_form")


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
    if session_id is None:
        if not first:
            return expired_page()
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
    shown = take_shown_errors(answers, session_id, path)
    if shown is not None:
        errors, typed = shown
        return _show(resolved, answers, session_id, errors=errors, values=typed, cookies=cookies)
    return _show(resolved, answers, session_id, values=_typed_on(answers, path), cookies=cookies)


# --- Post/Redirect/Get for a page with problems ----------------------------------------------------
# A page posted with problems is not answered with the page itself (Back or refresh would then ask
# "Confirm form resubmission"): its errors and what was typed go in the session, and the browser is
# sent to GET the same page, which shows them once.


def show_errors_after_redirect(
    answers: Answers, session_id: str, path: str, errors: PageErrors, typed: dict[str, Any]
) -> Response:
    answers.setdefault(SHOWN_ERRORS, {})[path] = {
        "messages": errors.messages,
        "anchors": errors.anchors,
        "typed": typed,
    }
    session.save_answers(session_id, answers)
    return redirect(path, cookies=[session.session_cookie(session_id)])


def take_shown_errors(answers: Answers, session_id: str, path: str) -> tuple[PageErrors, dict[str, Any]] | None:
    """The errors and typed values a POST left for this page, taken (so a refresh shows the page
    afresh); None when there are none."""
    waiting = answers.get(SHOWN_ERRORS) or {}
    shown = waiting.pop(path, None)
    if shown is None:
        return None
    if not waiting:
        answers.pop(SHOWN_ERRORS, None)
    session.save_answers(session_id, answers)
    return PageErrors(dict(shown["messages"]), dict(shown["anchors"])), shown["typed"]


def read_posted_form() -> Form | Response:
    """The posted form, or the page that says why it cannot be read (too large, or malformed)."""
    try:
        return form_body(public_form.current_request)
    except BodyTooLarge:
        return page("errors/too_large.html", status=413)
    except ValueError:
        return page("errors/bad_request.html", status=400)


def csrf_refused(cookies: list[str] | None = None) -> Response:
    # No log of the token or session id: just that it happened.
    logger.info("form post refused: CSRF token missing or wrong")
    return page("errors/csrf.html", status=400, cookies=cookies)


def _guarded_post(
    handle: Callable[[Form, Answers, str], Response],
    first: bool = False,
    when_gone: Callable[[], Response | None] | None = None,
    when_no_session: Callable[[], Response] = lambda: expired_page(),
) -> Response:
    """Size limit, CSRF and session checks shared by every POST, then the page's own handling."""
    form = read_posted_form()
    if isinstance(form, Response):
        return form
    session_id = session.session_id_from(_headers())
    if session_id is None:
        return when_no_session()
    if not session.csrf_valid(session_id, text(form, session.CSRF_FIELD)):
        return csrf_refused()
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
            return show_errors_after_redirect(answers, session_id, path, errors, _typed(form))
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
    """No answers for this browser: either the referral was sent (Back after "Referral sent": the
    receipt says so, and a worried person must not think it was lost and send it again) or the
    session really ended."""
    if session.session_id_from(_headers()) is None:
        reference = session.reference_from(_headers())
        if reference is not None:
            return page("already_sent.html", reference=reference)
    return page("errors/expired.html", status=200, cookies=[session.clear_cookie(session.SESSION_COOKIE)])


def _number(raw: str, limit: int) -> int | None:
    # isascii: str.isdigit() is true for "²", which int() refuses (a 500 before this check).
    return int(raw) if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= limit else None
