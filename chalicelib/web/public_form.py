"""The public referral form (RSHP): one page per question group, server-rendered, no JavaScript needed.

Every page follows one pattern: GET shows the stored answers; POST checks the CSRF token, reads
the page's inputs into the referral's JSON shape, validates them with the page's part of the
domain model, saves the draft server-side and redirects (303) to the next page. No personal
data is ever put in a URL: pages are addressed by position only (/referral/child/2).

Every question page also has "Save and come back later": it keeps what was typed on the page,
even if incomplete (no errors are shown), and goes to /referral/save, where a passphrase is set
and a resume code given (chalicelib/services/save_and_resume.py). /referral/resume takes them back.

The form's rooms: form_steps.py (the question pages as `Step`s), form_cycle.py (the Blueprint and the
request cycle), form_lists.py (the add-another lists' routes), and this module: the remaining routes
(start, the fixed question pages, check answers and sending, confirmation, documents, save and resume,
quick exit). `public_form` is the one Blueprint app.py registers; importing this module registers all.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from chalice.app import Response

from chalicelib.domain import resume_codes
from chalicelib.domain.referral import (
    ReferralSubmission,
)
from chalicelib.domain.validation import InvalidReferral, validate
from chalicelib.logs import logger
from chalicelib.services import save_and_resume
from chalicelib.web import (
    form_lists,  # noqa: F401 - the lists' routes join the Blueprint
    form_resume,
)
from chalicelib.web import form_pages as pages
from chalicelib.web import form_session as session
from chalicelib.web.clock import hub_today
from chalicelib.web.form_check import check_sections, error_links
from chalicelib.web.form_cycle import (
    _get,
    _guarded_post,
    _headers,
    _landing,
    _post,
    csrf_refused,
    expired_page,
    public_form,
    read_posted_form,
)
from chalicelib.web.form_fields import Form, PageErrors, text
from chalicelib.web.form_http import FORM_CONTENT_TYPES, page, redirect
from chalicelib.web.form_steps import (
    ABOUT_YOU,
    CHECK,
    FIRST_PAGE,
    IMMEDIATE_RISK,
    RESUME_AT,
    RESUME_PAGE,
    ROUTE,
    SAVE_PAGE,
    SHOWN_ERRORS,
    Answers,
    Step,
    _consent_step,
    concerns_step,
)
from chalicelib.web.request_parts import query_of

if TYPE_CHECKING:
    from chalicelib.services.referral_attachments import DocumentsPage

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


@public_form.route("/referral/concerns", methods=["GET"])
def concerns() -> Response:
    return _get(concerns_step, "/referral/concerns")


@public_form.route("/referral/concerns", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def concerns_post() -> Response:
    return _post(concerns_step, "/referral/concerns")


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
    if session_id is None or answers is None:
        return expired_page()
    missing = pages.first_incomplete(answers)
    if missing:
        return redirect(missing)
    shown = (answers.get(SHOWN_ERRORS) or {}).pop(CHECK, None)
    if not answers.get(SHOWN_ERRORS):
        answers.pop(SHOWN_ERRORS, None)
    if not answers.get("_checking") or shown is not None:
        answers["_checking"] = True
        session.save_answers(session_id, answers)
    return _check_page(answers, session_id, shown["links"] if shown else None)


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
            # Post/Redirect/Get here too: the links to fix go in the session for the GET to show.
            answers.setdefault(SHOWN_ERRORS, {})[CHECK] = {"links": error_links(invalid.errors)}
            session.save_answers(session_id, answers)
            return redirect(CHECK, cookies=[session.session_cookie(session_id)])
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
    from chalicelib.domain.failures import AwsError, ReferralNotFound
    from chalicelib.domain.out_of_hours import WhatHappensNext
    from chalicelib.wiring import wiring

    try:
        summary = wiring().referrals.fetch_summary(reference)
    except (AwsError, ReferralNotFound):
        return None
    told = WhatHappensNext.at(summary.received_at, summary.route, summary.immediate_risk)
    return {"route": summary.route.value, **told.template_context()}


DOCUMENTS_ADDED = "/referral/documents?added=1"


@public_form.route("/referral/documents", methods=["GET"])
def documents() -> Response:
    """Add documents to the referral just sent (README "Documents"): the receipt cookie names it."""
    from chalicelib.services.referral_attachments import documents_for_form

    reference = session.reference_from(_headers())
    if reference is None:
        return redirect("/")
    query = query_of(public_form.current_request)
    if "key" in query:
        # S3's redirect after an upload adds the object's key, which holds the file's name: go on
        # to the same page without it, so the name stays out of the address bar and history.
        return redirect(DOCUMENTS_ADDED)
    found = documents_for_form(reference, redirect=_upload_return_address())
    response = _documents_page(found, reference, added=query.get("added") == "1")
    if found.post is not None:
        _let_form_post_to(response, found.post.url)
    return response


def _upload_return_address() -> str:
    """Where S3 sends the browser back once it has the file: an absolute address (locally, this host)."""
    from chalicelib.settings import get_settings

    settings = get_settings()
    host = _headers().get("host")
    here = f"http://{host}" if settings.is_local and host else settings.public_url
    return f"{here}{DOCUMENTS_ADDED}"


def _documents_page(found: DocumentsPage, reference: str, added: bool) -> Response:
    from chalicelib.domain.attachments import MAX_FILES, REFUSAL_TEXT, describe_size

    return page(
        "documents.html",
        page=found,
        reference=reference,
        added=added,
        max_files=MAX_FILES,
        max_size=describe_size(found.max_bytes),
        closes=form_resume.london_time(found.window_closes_at),
        refused_text=REFUSAL_TEXT,
        back_href="/referral/confirmation",
        cookies=[_receipt_kept_until(found.window_closes_at)],
    )


def _receipt_kept_until(closes_at: dt.datetime) -> str:
    """The receipt again, lasting as long as documents can be added (it is the same signed value)."""
    from chalicelib.wiring import wiring

    seconds = max(1, int((closes_at - wiring().clock()).total_seconds()))
    return session.set_cookie(
        session.RECEIPT_COOKIE, session.read_cookie(_headers(), session.RECEIPT_COOKIE) or "", seconds
    )


def _let_form_post_to(response: Response, post_url: str) -> None:
    """The documents page's form posts straight to the bucket: its origin, and only on this page."""
    from chalicelib.web.security import CONTENT_SECURITY_POLICY

    origin = "/".join(post_url.split("/")[:3])
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", f"form-action 'self' {origin}"
    )


# --- save and come back later -----------------------------------------------------------------


@public_form.route(SAVE_PAGE, methods=["GET"])
def save_for_later() -> Response:
    session_id = session.session_id_from(_headers())
    answers = session.load_answers(session_id) if session_id else None
    if session_id is None or answers is None:
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
        saved = save_and_resume.save_for_later(answers, passphrase)
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
    form = read_posted_form()
    if isinstance(form, Response):
        return form
    session_id = session.session_id_from(_headers())
    if session_id is None or not session.csrf_valid(session_id, text(form, session.CSRF_FIELD)):
        return csrf_refused()
    code, passphrase, errors = _resume_details(form)
    if code is None:
        return _resume_page(session_id, errors, code=text(form, "resume_code"))
    refused = _resume_rate_limited()
    if refused is not None:
        return refused
    return _resume_draft(code, passphrase, session_id)


def _resume_details(form: Form) -> tuple[str | None, str, PageErrors]:
    """The resume code (normalised; None while anything is missing or malformed), the passphrase
    as typed (not trimmed: a space may be part of it), and what to fix."""
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
    return (None if errors else code), passphrase, errors


def _resume_draft(code: str, passphrase: str, session_id: str) -> Response:
    """The saved answers in a new session, opened where they were left; else why not."""
    new_session_id = session.new_session_id()  # never the one from before the passphrase
    outcome = save_and_resume.resume(code, passphrase, new_session_id)
    if isinstance(outcome, save_and_resume.Resumed):
        if session_id != new_session_id:
            session.forget_answers(session_id)
        answers = outcome.answers
        landing = _landing(answers)
        session.save_answers(new_session_id, answers)
        return redirect(landing, cookies=[session.session_cookie(new_session_id)])
    if isinstance(outcome, save_and_resume.Locked):
        return page(
            "resume_locked.html",
            until=form_resume.london_time(outcome.until),
            tries=resume_codes.MAX_WRONG_PASSPHRASES,
        )
    if isinstance(outcome, save_and_resume.Expired):
        return page("resume_expired.html")
    errors = PageErrors()
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
    form = read_posted_form()
    if isinstance(form, Response):
        return form
    headers = _headers()
    # Forgetting the receipt changes nothing on the server, so it needs no token: the pages after
    # sending have no form session left to carry one.
    cleared = (
        [session.clear_cookie(session.RECEIPT_COOKIE)] if session.read_cookie(headers, session.RECEIPT_COOKIE) else []
    )
    session_id = session.session_id_from(headers)
    if session_id is None:
        return page("exited.html", cookies=cleared)
    if not session.csrf_valid(session_id, text(form, session.CSRF_FIELD)):
        return csrf_refused(cookies=cleared)
    session.forget_answers(session_id)
    logger.info("form session ended by exit this page")
    # A page, like every form POST's answer, though the browser that sent it has already gone.
    return page("exited.html", cookies=[session.clear_cookie(session.SESSION_COOKIE), *cleared])
