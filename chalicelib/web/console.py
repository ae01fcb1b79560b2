"""The MASH staff console under /staff/: GOV.UK pages over the same services as the admin JSON API.

Nothing here decides anything: each page calls the service the matching /admin/ route calls, with
that route's roles (read from its `admin_route` declaration) and its pydantic body model, and
domain refusals go through admin.py's own mapping (`_answer`), so a message reads the same on both.

Every page is made with `console_route` (deny by default: a session, its token re-verified, the
roles, and on POST the CSRF token); `undeclared_console_routes(app)` finds any /staff/ page made
otherwise that is not one of the sign-in pages in `OPEN_PATHS`.

## Adding an action form

One `ActionForm` per action, registered with `register`. It makes GET and POST
`/staff/referrals/{reference}/<slug>`: GET shows `templates/staff/actions/<slug>.html` (which
extends `staff/action.html` and fills `{% block fields %}`); POST checks the CSRF token, reads the
posted fields named like the model's fields, validates them with the model (field errors beside
their inputs and in the error summary), calls `perform`, and redirects to the referral page with
`?done=<slug>`, where `done` is shown in a success banner. A domain refusal (illegal transition,
approving one's own decision, ...) comes back as the error summary with the domain's message.
The referral page offers the action's button when `offered(picture)` is true and the staff member
holds one of its roles. For example, legal hold (admin.py's LegalHoldRequest, manager only):

    LEGAL_HOLD = register(ActionForm(
        slug="legal-hold",
        title="Place or lift a legal hold",
        api_route=admin_api.legal_hold,             # roles: MANAGERS, as the API declares
        model=admin_api.LegalHoldRequest,
        perform=_legal_hold,                         # (reference, body, staff, request_id) -> referral
        done="Legal hold recorded",
        blank_messages={"hold": "Select whether to place or lift the hold", "reason": "Enter why"},
        offered=lambda picture: True,                # placed or lifted at any status
        choices=lambda: {"holds": [("true", "Place a hold"), ("false", "Lift the hold")]},
    ))

    def _legal_hold(reference, body, staff, request_id):   # what admin.legal_hold calls, nothing more
        if body.hold:
            return place_legal_hold(reference, reason=body.reason, staff=staff, request_id=request_id)
        return lift_legal_hold(reference, staff=staff, request_id=request_id)

and `templates/staff/actions/legal-hold.html` with its radios (`hold`: true/false) and textarea
(`reason`), each input's id the field name so the error summary links to it. Choices a template
needs (labels, options) go in `choices`; a field posted as several values (checkboxes) is listed
in `multiple`.
"""

from __future__ import annotations

import datetime as dt
import functools
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from chalice import Blueprint
from chalice.app import Response
from pydantic import BaseModel

from chalicelib.adapters.aws import AwsError
from chalicelib.domain.audit import AccessReason
from chalicelib.domain.decision import OUTCOME_LABELS, Outcome, Rag
from chalicelib.domain.referral import AGENCY_LABELS, CONCERN_LABELS, LEVELS_OF_NEED
from chalicelib.domain.staff import Role, StaffMember, describe_roles
from chalicelib.domain.validation import InvalidReferral, validate
from chalicelib.logs import logger
from chalicelib.web import admin as admin_api
from chalicelib.web import console_session as sessions
from chalicelib.web.auth import declared_roles
from chalicelib.web.form_fields import Form, PageErrors, text
from chalicelib.web.form_http import FORM_CONTENT_TYPES, BodyTooLarge, form_body, page, redirect

console = Blueprint(__name__)

HOME = "/staff/"
SIGN_IN = "/staff/sign-in"
STAFF_PREFIX = "/staff"
LONDON = ZoneInfo("Europe/London")
QUEUE_PAGE_SIZE = 25
TRIAGE_COUNT_LIMIT = 100
# Sign-in pages: the only /staff/ routes without a session (console_local_sign_in adds its own).
OPEN_PATHS = {"/staff/sign-in", "/staff/callback", "/staff/signed-out", "/staff/local-sign-in"}

REASON_LABELS: dict[AccessReason, str] = {
    AccessReason.NEW_CONCERN: "A new concern about the same child",
    AccessReason.SUBJECT_ACCESS: "A subject access request",
    AccessReason.COURT_OR_POLICE: "A request from a court or the police",
    AccessReason.COMPLAINT: "A complaint or a case review",
    AccessReason.QUALITY_AUDIT: "A quality audit",
}
STATUS_LABELS = {
    "received": "Received",
    "screened": "Screened",
    "decision_proposed": "Decision waiting for approval",
    "decided": "Decided",
    "closed": "Closed",
}
RAG_TAGS = {"red": "govuk-tag--red", "amber": "govuk-tag--orange", "green": "govuk-tag--green"}


# --- who may see what ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """One request to a console page: who is signed in, and the posted form (POST only)."""

    me: sessions.SignedIn
    form: Form = field(default_factory=dict)

    @property
    def staff(self) -> StaffMember:
        return self.me.staff


_DECLARED: dict[Callable[..., Any], frozenset[Role]] = {}


def console_route(
    path: str, *, methods: list[str], roles: Iterable[Role]
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """A console page for these roles: `handler(visit, **params)`; POSTs must carry the CSRF token."""
    allowed = frozenset(roles)
    if not path.startswith(STAFF_PREFIX):
        raise ValueError(f"console pages live under {STAFF_PREFIX}/: {path}")
    if not allowed:
        raise ValueError(f"{path} must declare at least one Role that may use it")

    def register_view(handler: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(handler)
        def view(**params: Any) -> Response:
            request = console.current_request
            form: Form = {}
            if request.method == "POST":
                # The size first: an oversized body is refused before anything reads it.
                try:
                    form = form_body(request)
                except BodyTooLarge:
                    return _page("staff/too_large.html", status=413)
                except ValueError:
                    return _page("staff/bad_request.html", status=400)
            try:
                me = sessions.current_session(request.headers)
            except sessions.SessionEnded as ended:
                return _session_ended(ended, request.method)
            except (sessions.SignInUnavailable, AwsError):
                return _page("staff/unavailable.html", status=503)
            if not me.holds_any(allowed):
                return _page("staff/forbidden.html", status=403, me=me, needs=describe_roles(allowed))
            if request.method != "POST":
                return handler(Visit(me), **params)
            if not sessions.csrf_valid(me.session_id, text(form, "csrf_token")):
                logger.info("console post refused: CSRF token missing or wrong")
                return _page("staff/csrf.html", status=400, me=me)
            return handler(Visit(me, form), **params)

        _DECLARED[view] = allowed
        options = {"content_types": FORM_CONTENT_TYPES} if "POST" in methods else {}
        console.route(path, methods=methods, **options)(view)
        return view

    return register_view


def undeclared_console_routes(app: Any) -> list[str]:
    """`METHOD /path` of each /staff/ page not made with `console_route` and not a sign-in page."""
    return [
        f"{method} {path}"
        for path, entries in sorted(app.routes.items())
        if path == STAFF_PREFIX or path.startswith(STAFF_PREFIX + "/")
        if path not in OPEN_PATHS
        for method, entry in sorted(entries.items())
        if entry.view_function not in _DECLARED
    ]


def console_roles(view: Callable[..., Any]) -> frozenset[Role] | None:
    return _DECLARED.get(view)


def _api_roles(api_view: Callable[..., Any]) -> frozenset[Role]:
    roles = declared_roles(api_view)
    if roles is None:
        raise ValueError(f"{api_view.__name__} is not an admin_route: the console takes its roles from one")
    return roles


def _session_ended(ended: sessions.SessionEnded, method: str) -> Response:
    clear = [sessions.clear_session_cookie()]
    if ended.reason == sessions.SessionEnded.NONE and method == "GET":
        return redirect(SIGN_IN)
    return _page("staff/signed_out.html", status=401, cookies=clear, reason=ended.reason, message=ended.message)


# --- pages ----------------------------------------------------------------------------------------


def _page(
    template: str,
    *,
    status: int = 200,
    me: sessions.SignedIn | None = None,
    cookies: list[str] | None = None,
    **context: Any,
) -> Response:
    return page(
        template,
        status=status,
        cookies=cookies,
        me=me,
        when=when,
        time_left=lambda due: time_left(due, _now()),
        **context,
    )


def _now() -> dt.datetime:
    from chalicelib.wiring import wiring

    return wiring().clock()


def _request_id() -> str | None:
    return (console.current_request.context or {}).get("requestId")


def _as_datetime(value: str | dt.datetime | None) -> dt.datetime | None:
    if value is None or value == "":
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def when(value: str | dt.datetime | None, *, date_only: bool = False) -> str:
    """A moment as GOV.UK writes it, in London time: 26 November 2026 at 2:05pm."""
    moment = _as_datetime(value)
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    day = f"{local.day} {local:%B %Y}"
    if date_only:
        return day
    hour = local.hour % 12 or 12
    clock = f"{hour}{local:%p}".lower() if local.minute == 0 else f"{hour}:{local:%M%p}".lower()
    return f"{day} at {clock}"


def _plural(number: int, unit: str) -> str:
    return f"{number} {unit}{'' if number == 1 else 's'}"


def time_left(due: str | dt.datetime | None, now: dt.datetime) -> str:
    """'2 hours 10 minutes left', 'overdue by 1 day': the two largest units, by the wiring clock."""
    moment = _as_datetime(due)
    if moment is None:
        return ""
    delta = moment - now
    overdue = delta < dt.timedelta(0)
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        span = _plural(days, "day") + (f" {_plural(hours, 'hour')}" if hours else "")
    elif hours:
        span = _plural(hours, "hour") + (f" {_plural(minutes, 'minute')}" if minutes else "")
    elif minutes:
        span = _plural(minutes, "minute")
    else:
        span = "less than a minute"
    return f"overdue by {span}" if overdue else f"{span} left"


def is_overdue(due: str | dt.datetime | None) -> bool:
    moment = _as_datetime(due)
    return moment is not None and moment < _now()


def _refused(response: Response) -> tuple[int, str] | None:
    """(status, message) when admin.py's `_answer` turned the work into a problem answer."""
    if response.status_code < 400 or not isinstance(response.body, dict):
        return None
    return response.status_code, str(response.body.get("message", ""))


def _problem_page(status: int, message: str, me: sessions.SignedIn) -> Response:
    if status == 404:
        return _page("staff/not_found.html", status=404, me=me, message=message)
    if status == 503:
        return _page("staff/unavailable.html", status=503, me=me)
    return _page("staff/refused.html", status=status, me=me, message=message)


# --- signing in and out ----------------------------------------------------------------------------


@console.route(SIGN_IN, methods=["GET"])
def sign_in() -> Response:
    from chalicelib.wiring import wiring

    settings = wiring().settings
    hosted = sessions.hosted_ui(settings)
    if hosted is not None:
        pending_id = sessions.new_pending_id()
        return _external_redirect(hosted.authorize_url(pending_id), [sessions.sign_in_cookie(pending_id)])
    if settings.is_local:
        return redirect("/staff/local-sign-in")
    return _page("staff/sign_in_unavailable.html", status=503)


def _external_redirect(location: str, cookies: list[str]) -> Response:
    return Response(
        body="", status_code=303, headers={"Location": location, "Content-Type": "text/html; charset=utf-8",
                                           "Set-Cookie": cookies},
    )  # fmt: skip


@console.route(sessions.CALLBACK_PATH, methods=["GET"])
def callback() -> Response:
    """The hosted UI's redirect back: check state, swap the code (with the PKCE verifier) for tokens."""
    from chalicelib.adapters.staff_tokens import TokenRefused
    from chalicelib.wiring import wiring

    hosted = sessions.hosted_ui(wiring().settings)
    if hosted is None:
        return _page("staff/not_found.html", status=404)
    request = console.current_request
    query = request.query_params or {}
    pending_id = sessions.pending_id_from(request.headers)
    clear = [sessions.clear_sign_in_cookie()]
    if query.get("error"):
        return _page("staff/sign_in_failed.html", status=400, cookies=clear, problem="declined")
    if pending_id is None or not sessions.oauth_state_valid(pending_id, query.get("state")) or not query.get("code"):
        # A stale tab, a second callback, or a link someone else started: start again.
        return _page("staff/sign_in_failed.html", status=400, cookies=clear, problem="state")
    try:
        tokens = hosted.exchange(query["code"], pending_id)
        if "id_token" not in tokens:
            return _page("staff/sign_in_failed.html", status=400, cookies=clear, problem="code")
        signed_in = sessions.start_session(tokens["id_token"], tokens.get("refresh_token"))
    except TokenRefused as refusal:
        logger.info("console sign-in refused", extra={"refusal": refusal.code})
        return _page("staff/sign_in_failed.html", status=401, cookies=clear, problem="token", message=refusal.message)
    except (sessions.SignInUnavailable, AwsError):
        return _page("staff/unavailable.html", status=503, cookies=clear)
    cookies = [*clear, sessions.session_cookie(signed_in.session_id)]
    # A page, not a 303: this request came by a cross-site redirect, so a browser would not send
    # the new SameSite=Strict cookie on a redirect from it; a same-site refresh does.
    return _page("staff/signing_in.html", cookies=cookies, next_url=HOME)


def signed_in_redirect(signed_in: sessions.SignedIn, cookies: list[str] | None = None) -> Response:
    """After a same-site sign-in (the local one): straight to the queue with the session cookie."""
    return redirect(HOME, cookies=[*(cookies or []), sessions.session_cookie(signed_in.session_id)])


@console_route("/staff/sign-out", methods=["POST"], roles=admin_api.ANY_STAFF)
def sign_out(visit: Visit) -> Response:
    from chalicelib.wiring import wiring

    sessions.end_session(console.current_request.headers)
    cookies = [sessions.clear_session_cookie()]
    hosted = sessions.hosted_ui(wiring().settings)
    if hosted is not None:
        # Through a page, not a redirect: CSP form-action would stop a form's redirect to Cognito.
        return _page("staff/signing_out.html", cookies=cookies, next_url=hosted.logout_url())
    return redirect(sessions.SIGNED_OUT_PATH, cookies=cookies)


@console.route(sessions.SIGNED_OUT_PATH, methods=["GET"])
def signed_out() -> Response:
    return _page("staff/signed_out.html", reason="signed_out", cookies=[sessions.clear_session_cookie()])


# --- the work queue -------------------------------------------------------------------------------


@console_route("/staff", methods=["GET"], roles=_api_roles(admin_api.work_queue))
def work_queue(visit: Visit) -> Response:
    from chalicelib.services.work_queue import list_work_queue

    query = console.current_request.query_params or {}
    filters = {name: query.get(name, "") for name in ("status", "rag", "undelivered")}
    errors = PageErrors()
    if filters["status"] and filters["status"] not in admin_api._statuses():
        errors.add("status", "Select a status from the list")
    if filters["rag"] and filters["rag"] not in [r.value for r in Rag]:
        errors.add("rag", "Select a RAG rating from the list")
    if filters["undelivered"] not in ("", "true"):
        errors.add("undelivered", "Tick the box to see only referrals with an undelivered email, or leave it empty")
    if errors:
        return _queue_page(visit, filters, None, errors, status=400)

    found: dict[str, Any] = {}

    def work() -> Response:
        found["page"] = list_work_queue(
            status=filters["status"] or None,
            rag=filters["rag"] or None,
            limit=QUEUE_PAGE_SIZE,
            cursor=query.get("cursor") or None,
            undelivered=filters["undelivered"] == "true",
        )
        return Response(body="", status_code=200)

    refused = _refused(admin_api._answer(work))
    if refused is not None:
        status, message = refused
        if status == 422:  # a cursor from another query or tampered with: say so, beside the list
            errors.add("cursor", "The link to the next page no longer works: start again from the first page")
            return _queue_page(visit, filters, None, errors, status=400)
        return _problem_page(status, message, visit.me)
    return _queue_page(visit, filters, found["page"], errors)


def _queue_page(visit: Visit, filters: dict[str, str], found: Any, errors: PageErrors, status: int = 200) -> Response:
    from chalicelib.services.triage import list_triage

    rows = found.rows if found else []
    kept = {name: value for name, value in filters.items() if value}
    next_href = None
    if found is not None and found.next_cursor:
        next_href = HOME + "?" + urllib.parse.urlencode({**kept, "cursor": found.next_cursor})
    triage: tuple[int, bool] | None = None
    if visit.me.holds_any(_api_roles(admin_api.triage_list)):
        try:
            items, more = list_triage("waiting", TRIAGE_COUNT_LIMIT)
            triage = (len(items), more is not None)
        except AwsError:
            triage = None  # the queue matters more than the count: show it without
    return _page(
        "staff/queue.html",
        status=status,
        me=visit.me,
        nav="queue",
        rows=rows,
        filters=filters,
        next_href=next_href,
        first_href=HOME + ("?" + urllib.parse.urlencode(kept) if kept else ""),
        paged=bool(console.current_request.query_params and console.current_request.query_params.get("cursor")),
        statuses=[(value, STATUS_LABELS.get(value, value)) for value in admin_api._statuses()],
        rags=[r.value for r in Rag],
        rag_tags=RAG_TAGS,
        status_labels=STATUS_LABELS,
        is_overdue=is_overdue,
        triage=triage,
        errors=errors.messages,
        error_list=errors.summary(),
    )


@console_route("/staff/triage", methods=["GET"], roles=_api_roles(admin_api.triage_list))
def triage_list(visit: Visit) -> Response:
    """Replies the hub could not match, waiting for a person: metadata only (no KMS call)."""
    from chalicelib.domain.agency_replies import TRIAGE_TEXT
    from chalicelib.services.triage import list_triage

    cursor = (console.current_request.query_params or {}).get("cursor") or None
    try:
        items, next_cursor = list_triage("waiting", QUEUE_PAGE_SIZE, cursor)
    except ValueError:
        return _page("staff/refused.html", status=400, me=visit.me,
                     message="The link to the next page no longer works: start again from the first page")  # fmt: skip
    next_href = "/staff/triage?" + urllib.parse.urlencode({"cursor": next_cursor}) if next_cursor else None
    return _page("staff/triage.html", me=visit.me, nav="triage", items=items, reasons=TRIAGE_TEXT, next_href=next_href)


# --- the referral page ----------------------------------------------------------------------------


@console_route("/staff/referrals/{reference}", methods=["GET"], roles=_api_roles(admin_api.referral))
def referral_page(visit: Visit, reference: str) -> Response:
    from chalicelib.services.view_referral import ReasonRequired, view_referral

    raw_reason = (console.current_request.query_params or {}).get("reason")
    reason = raw_reason if raw_reason in {r.value for r in AccessReason} else None
    shown: dict[str, Any] = {}

    def work() -> Response:
        normalised = admin_api._reference(reference)
        try:
            view = view_referral(
                normalised,
                staff=visit.staff,
                request_id=_request_id(),
                reason=AccessReason(reason) if reason else None,
            )
        except ReasonRequired:
            shown["reason_page"] = normalised
            return Response(body="", status_code=200)
        shown["picture"] = admin_api.referral_picture(view)
        return Response(body="", status_code=200)

    refused = _refused(admin_api._answer(work))
    if refused is not None:
        return _problem_page(*refused, visit.me)
    if "reason_page" in shown:
        asked = raw_reason is not None or "asked" in (console.current_request.query_params or {})
        return _reason_page(visit, shown["reason_page"], asked=asked)
    picture = shown["picture"]
    done = (console.current_request.query_params or {}).get("done")
    return _page(
        "staff/referral.html",
        me=visit.me,
        nav="queue",
        r=picture,
        reason=reason,
        done=ACTION_FORMS[done].done if done in ACTION_FORMS else None,
        actions=[form for form in ACTION_FORMS.values() if form.offered(picture) and visit.me.holds_any(form.roles)],
        labels=_labels(),
        rag_tags=RAG_TAGS,
        status_labels=STATUS_LABELS,
        is_overdue=is_overdue,
    )


def _reason_page(visit: Visit, reference: str, *, asked: bool) -> Response:
    errors = PageErrors()
    if asked:  # the form was sent without a (known) reason
        errors.add("reason", "Select why you are opening this closed referral")
    return _page(
        "staff/reason.html",
        status=400 if errors else 200,
        me=visit.me,
        nav="queue",
        reference=reference,
        reasons=REASON_LABELS,
        errors=errors.messages,
        error_list=errors.summary(),
    )


def _labels() -> dict[str, Any]:
    return {
        "outcomes": OUTCOME_LABELS,
        "concerns": CONCERN_LABELS,
        "agencies": AGENCY_LABELS,
        "levels": LEVELS_OF_NEED,
        "reasons": REASON_LABELS,
    }


# --- action forms ---------------------------------------------------------------------------------


Perform = Callable[[str, Any, StaffMember, "str | None"], Any]


@dataclass(frozen=True)
class ActionForm:
    """One staff action as a GOV.UK form page (see the module docstring for how to add one)."""

    slug: str  # /staff/referrals/{reference}/<slug>; templates/staff/actions/<slug>.html
    title: str  # the page's heading and the referral page's button
    api_route: Callable[..., Any]  # the admin.py route this mirrors: its declared roles apply here
    model: type[BaseModel]  # that route's body model: the same fields, rules and messages
    perform: Perform  # the one service call: (reference, body, staff, request_id)
    done: str  # the success banner on the referral page
    offered: Callable[[dict[str, Any]], bool]  # shown on the referral page when true (the picture)
    blank_messages: dict[str, str] = field(default_factory=dict)  # for a field left empty
    choices: Callable[[], dict[str, Any]] = dict  # what the template needs to offer (labels, options)
    multiple: frozenset[str] = frozenset()  # fields posted as several values (checkboxes)
    button: str = "Save"

    @property
    def roles(self) -> frozenset[Role]:
        return _api_roles(self.api_route)

    @property
    def template(self) -> str:
        return f"staff/actions/{self.slug}.html"

    def read(self, form: Form) -> dict[str, Any]:
        """The model's fields as posted; blanks left out so the model's 'missing' rules apply."""
        data: dict[str, Any] = {}
        for name in self.model.model_fields:
            if name in self.multiple:
                values = [value for value in form.get(name, []) if value]
                if values:
                    data[name] = values
            elif text(form, name):
                data[name] = text(form, name)
        return data


ACTION_FORMS: dict[str, ActionForm] = {}


def register(action: ActionForm) -> ActionForm:
    """Add the action's GET and POST pages (roles from its admin route) and its button."""
    if action.slug in ACTION_FORMS:
        raise ValueError(f"two action forms are called {action.slug}")
    ACTION_FORMS[action.slug] = action
    path = f"/staff/referrals/{{reference}}/{action.slug}"

    def show(visit: Visit, reference: str) -> Response:
        known: dict[str, Any] = {}
        refused = _refused(admin_api._answer(lambda: _known_reference(reference, known)))
        if refused is not None:
            return _problem_page(*refused, visit.me)
        return _action_page(
            action, visit, known["summary"].reference, status_now=known["summary"].status.value,
            access_reason=_access_reason(console.current_request.query_params or {}),
        )  # fmt: skip

    def post(visit: Visit, reference: str) -> Response:
        return _post_action(action, visit, reference)

    name = action.slug.replace("-", "_")
    show.__name__, post.__name__ = f"{name}_form", f"{name}_post"
    console_route(path, methods=["GET"], roles=action.roles)(show)
    console_route(path, methods=["POST"], roles=action.roles)(post)
    return action


def _known_reference(reference: str, known: dict[str, Any]) -> Response:
    """The referral's clear metadata (no KMS call, nothing personal): ReferralNotFound if there is none."""
    from chalicelib.wiring import wiring

    # A malformed reference is refused like an unknown one.
    known["summary"] = wiring().referrals.fetch_summary(admin_api._reference(reference))
    return Response(body="", status_code=200)


def _access_reason(found: dict[str, Any]) -> str | None:
    """A closed referral's access reason code, carried through an action so the page reopens with it."""
    raw = found.get("access_reason")
    raw = raw[0] if isinstance(raw, list) and raw else raw
    return raw if raw in {reason.value for reason in AccessReason} else None


def referral_href(reference: str, *, done: str | None = None, access_reason: str | None = None) -> str:
    """The referral page's address: a reference and codes only, never personal data."""
    query = {name: value for name, value in (("done", done), ("reason", access_reason)) if value}
    return f"/staff/referrals/{reference}" + ("?" + urllib.parse.urlencode(query) if query else "")


def _action_page(
    action: ActionForm,
    visit: Visit,
    reference: str,
    *,
    errors: PageErrors | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
    status_now: str | None = None,
    access_reason: str | None = None,
) -> Response:
    errors = errors or PageErrors()
    return _page(
        action.template,
        status_now=STATUS_LABELS.get(status_now or "", status_now),
        status=status,
        me=visit.me,
        nav="queue",
        action=action,
        title=action.title,
        reference=reference,
        back_href=referral_href(reference, access_reason=access_reason),
        access_reason=access_reason,
        values=values or {},
        errors=errors.messages,
        error_list=errors.summary(),
        **action.choices(),
    )


def _post_action(action: ActionForm, visit: Visit, raw_reference: str) -> Response:
    known: dict[str, Any] = {}
    refused = _refused(admin_api._answer(lambda: _known_reference(raw_reference, known)))
    if refused is not None:
        return _problem_page(*refused, visit.me)
    reference = known["summary"].reference
    access_reason = _access_reason(visit.form)
    data = action.read(visit.form)
    values = {name: (visit.form.get(name) if name in action.multiple else text(visit.form, name)) for name in data}
    try:
        body = validate(action.model, data)
    except InvalidReferral as invalid:
        errors = PageErrors()
        for problem in invalid.errors:
            blank = problem.field in action.blank_messages and problem.field not in data
            errors.add(problem.field, action.blank_messages[problem.field] if blank else problem.message)
        errors.sort(tuple(action.model.model_fields))
        return _action_page(
            action, visit, reference, errors=errors, values=values, status=400,
            status_now=known["summary"].status.value, access_reason=access_reason,
        )  # fmt: skip

    def work() -> Response:
        action.perform(reference, body, visit.staff, _request_id())
        return redirect(referral_href(reference, done=action.slug, access_reason=access_reason))

    answer = admin_api._answer(work)
    refused = _refused(answer)
    if refused is None:
        return answer
    status, message = refused
    if status in (404, 503):
        return _problem_page(status, message, visit.me)
    return _action_page(
        action, visit, reference, errors=_RefusalErrors(message), values=values, status=status,
        status_now=known["summary"].status.value, access_reason=access_reason,
    )  # fmt: skip


class _RefusalErrors(PageErrors):
    """A refusal of the whole action (not of one field): in the summary, without a link."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def __bool__(self) -> bool:
        return True

    def summary(self) -> list[dict[str, str]]:
        return [{"text": self.message}]


# The first three actions. Each service call is the one the matching admin route makes.


def _screen(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.screen_referral import screen_referral

    return screen_referral(
        reference, rag=body.rag, level=body.level, rationale=body.rationale, staff=staff, request_id=request_id
    )


def _decide(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.decide_referral import record_decision

    return record_decision(reference, outcome=body.outcome, reasons=body.reasons, staff=staff, request_id=request_id)


def _approve(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.decide_referral import approve_decision, return_decision

    if body.approve:
        return approve_decision(reference, staff=staff, request_id=request_id)
    return return_decision(reference, reason=body.reason or "", staff=staff, request_id=request_id)


def _allowed(action: str) -> Callable[[dict[str, Any]], bool]:
    return lambda picture: action in picture["allowed_actions"]


SCREENING = register(
    ActionForm(
        slug="screening",
        title="Screen the referral",
        api_route=admin_api.screening,
        model=admin_api.ScreeningRequest,
        perform=_screen,
        done="Screening recorded: the decision deadline is set",
        offered=_allowed("screen"),
        blank_messages={
            "rag": "Select a RAG rating",
            "level": "Select the level of need",
            "rationale": "Enter why you chose this rating and level",
        },
        choices=lambda: {"rags": [(r.value, r.value.capitalize()) for r in Rag], "levels": LEVELS_OF_NEED},
        button="Save screening",
    )
)

DECISION = register(
    ActionForm(
        slug="decision",
        title="Record the decision",
        api_route=admin_api.decision,
        model=admin_api.DecisionRequest,
        perform=_decide,
        done="Decision recorded",
        offered=_allowed("record_decision"),
        blank_messages={"outcome": "Select the outcome", "reasons": "Enter the reasons for the decision"},
        choices=lambda: {"outcomes": [(o.value, OUTCOME_LABELS[o]) for o in Outcome]},
        button="Save decision",
    )
)

APPROVAL = register(
    ActionForm(
        slug="approval",
        title="Approve or return the decision",
        api_route=admin_api.approval,
        model=admin_api.ApprovalRequest,
        perform=_approve,
        done="Your answer on the decision is recorded",
        offered=_allowed("approve_decision"),
        blank_messages={
            "approve": "Select whether you approve the decision or return it",
        },
        button="Save",
    )
)
