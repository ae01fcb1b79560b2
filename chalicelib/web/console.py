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
import re
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from chalice import Blueprint
from chalice.app import Response
from pydantic import BaseModel

from chalicelib.domain.audit import AccessReason
from chalicelib.domain.decision import OUTCOME_LABELS, Outcome, Rag
from chalicelib.domain.failures import AwsError
from chalicelib.domain.protective_decisions import ProtectiveDecision
from chalicelib.domain.referral import AGENCY_LABELS, CONCERN_LABELS, LEVELS_OF_NEED
from chalicelib.domain.staff import Role, StaffMember, describe_roles
from chalicelib.domain.validation import InvalidReferral, validate
from chalicelib.logs import logger
from chalicelib.web import admin as admin_api
from chalicelib.web import admin_enquiries as admin_enquiries_api
from chalicelib.web import admin_reports
from chalicelib.web import console_session as sessions
from chalicelib.web.auth import declared_roles
from chalicelib.web.form_fields import DATE_PARTS, Form, PageErrors, choices, read_date, text
from chalicelib.web.form_http import FORM_CONTENT_TYPES, BodyTooLarge, form_body, page, redirect

console = Blueprint(__name__)

HOME = "/staff/"
SIGN_IN = "/staff/sign-in"
STAFF_PREFIX = "/staff"
LONDON = ZoneInfo("Europe/London")
REPORT_PATH = "/staff/reports/timeliness"
QUEUE_PAGE_SIZE = 25
TRIAGE_COUNT_LIMIT = 100
# Sign-in pages: the only /staff/ routes without a session (local/console_sign_in.py adds its own).
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


REPORT_ROLES = _api_roles(admin_reports.timeliness)


def _session_ended(ended: sessions.SessionEnded, method: str) -> Response:
    clear = [sessions.clear_session_cookie()]
    asked = sessions.safe_return_path(_asked_path()) if method == "GET" else None
    sign_in_href = SIGN_IN + ("?" + urllib.parse.urlencode({"next": asked}) if asked else "")
    if ended.reason == sessions.SessionEnded.NONE and method == "GET":
        return redirect(sign_in_href)
    return _page(
        "staff/signed_out.html", status=401, cookies=clear, reason=ended.reason, message=ended.message,
        sign_in_href=sign_in_href,
    )  # fmt: skip


def _asked_path() -> str:
    """The page this request asked for, as a path and query (Chalice gives the route's pattern)."""
    request = console.current_request
    params = request.uri_params or {}
    path = re.sub(
        r"\{(\w+)\}", lambda found: urllib.parse.quote(params.get(found.group(1), ""), safe="-"), request.path
    )
    query = request.query_params or {}
    pairs = [(name, value) for name in query for value in query.getlist(name)]
    return path + ("?" + urllib.parse.urlencode(pairs) if pairs else "")


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
        # The header shows each person the parts of the console their roles open.
        can_casework=bool(me and me.holds_any(_api_roles(admin_api.work_queue))),
        can_report=bool(me and me.holds_any(REPORT_ROLES)),
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
    # Where to go back to once signed in: a validated same-site /staff/ path, or nowhere.
    asked = sessions.safe_return_path((console.current_request.query_params or {}).get("next"))
    remember = [sessions.return_cookie(asked) if asked else sessions.clear_return_cookie()]
    if hosted is not None:
        pending_id = sessions.new_pending_id()
        return _external_redirect(hosted.authorize_url(pending_id), [sessions.sign_in_cookie(pending_id), *remember])
    if settings.is_local:
        return redirect("/staff/local-sign-in", cookies=remember)
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
    cookies = [*clear, sessions.clear_return_cookie(), sessions.session_cookie(signed_in.session_id)]
    # A page, not a 303: this request came by a cross-site redirect, so a browser would not send
    # the new SameSite=Strict cookie on a redirect from it; a same-site refresh does.
    return _page("staff/signing_in.html", cookies=cookies, next_url=landing_page(signed_in, request.headers))


def landing_page(signed_in: sessions.SignedIn, headers: Any) -> str:
    """The page asked for before signing in (validated again), else the queue, else the reports."""
    asked = sessions.return_path_from(headers)
    if asked:
        return asked
    if not signed_in.holds_any(_api_roles(admin_api.work_queue)) and signed_in.holds_any(REPORT_ROLES):
        return REPORT_PATH
    if not signed_in.holds_any(_api_roles(admin_api.work_queue)) and signed_in.holds_any({Role.EDT}):
        return "/staff/out-of-hours"  # the emergency duty team's start page (console_out_of_hours.py)
    return HOME


def signed_in_redirect(signed_in: sessions.SignedIn, cookies: list[str] | None = None) -> Response:
    """After a same-site sign-in (the local one): to the page asked for, with the session cookie."""
    landing = landing_page(signed_in, console.current_request.headers)
    cookies = [*(cookies or []), sessions.clear_return_cookie(), sessions.session_cookie(signed_in.session_id)]
    return redirect(landing, cookies=cookies)


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
    done = TRIAGE_DONE.get((console.current_request.query_params or {}).get("done") or "")
    return _page(
        "staff/triage.html", me=visit.me, nav="triage", items=items, reasons=TRIAGE_TEXT, next_href=next_href,
        done=done,
    )  # fmt: skip


# --- the referral page ----------------------------------------------------------------------------


@console_route("/staff/referrals/{reference}", methods=["GET"], roles=_api_roles(admin_api.referral))
def referral_page(visit: Visit, reference: str) -> Response:
    from chalicelib.domain.audit import ReasonRequired
    from chalicelib.services.view_referral import view_referral

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
        actions=[form for form in ACTION_FORMS.values() if form.offered_to(picture, visit.me)],
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
class Branches:
    """Radios that choose which other questions are asked (each in the chosen radio's reveal).

    Only the chosen branch's fields are sent to the model, so text typed under a radio that was
    then unchosen never reaches the record. Two branches asking the same field (a reason) name its
    input `<choice>-<field>`, so each has its own id for the error summary to link to."""

    selector: str  # the model field the radios set
    asks: dict[str, tuple[str, ...]]  # choice -> the fields asked with it

    def input_name(self, field_name: str, chosen: str) -> str | None:
        """The input a field is read from for this choice; None when this choice does not ask it."""
        askers = [choice for choice, names in self.asks.items() if field_name in names]
        if not askers:
            return field_name  # asked whatever is chosen
        if chosen not in askers:
            return None
        return field_name if len(askers) == 1 else f"{chosen}-{field_name}"


@dataclass
class Reading:
    """A posted action form: what goes to the model, what to show again, and this page's errors."""

    data: dict[str, Any]
    values: dict[str, Any]
    errors: PageErrors
    inputs: dict[str, str]  # model field -> the input it was read from

    def add(self, field_name: str, message: str, dates: frozenset[str]) -> None:
        key = self.inputs.get(field_name, field_name)
        self.errors.add(key, message, f"{key}-day" if field_name in dates else key)


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
    blank_messages: dict[str, str] = field(default_factory=dict)  # for a field (or input) left empty
    choices: Callable[[], dict[str, Any]] = dict  # what the template needs to offer (labels, options)
    multiple: frozenset[str] = frozenset()  # fields posted as several values (checkboxes)
    dates: dict[str, str] = field(default_factory=dict)  # date fields (GOV.UK date input) -> label
    branches: Branches | None = None
    # Options that come from the referral itself (the parents to ask): an audited read, like the page.
    record_choices: Callable[[Any], dict[str, Any]] | None = None
    button: str = "Save"
    # Protective decisions this action could reverse: while one is in force, the form is offered
    # only to the role that made it (the domain refuses anyone else; the page does not tempt them).
    could_reverse: frozenset[str] = frozenset()

    def offered_to(self, picture: dict[str, Any], me: sessions.SignedIn) -> bool:
        if not (self.offered(picture) and me.holds_any(self.roles)):
            return False
        holding = {d["decision"]: Role(d["made_by"]) for d in picture.get("protective_decisions", [])}
        return all(me.holds_any(frozenset({holding[d]})) for d in self.could_reverse if d in holding)

    @property
    def roles(self) -> frozenset[Role]:
        return _api_roles(self.api_route)

    @property
    def template(self) -> str:
        return f"staff/actions/{self.slug}.html"

    def read(self, form: Form) -> Reading:
        """The model's fields as posted; blanks left out so the model's 'missing' rules apply."""
        chosen = text(form, self.branches.selector) if self.branches else ""
        reading = Reading({}, {}, PageErrors(), {})
        for name in self.model.model_fields:
            source = self.branches.input_name(name, chosen) if self.branches else name
            if source is None:
                continue
            reading.inputs[name] = source
            if name in self.multiple:
                picked = choices(form, source)
                reading.values[source] = picked
                if picked:
                    reading.data[name] = picked
            elif name in self.dates:
                reading.values.update({f"{source}-{part}": text(form, f"{source}-{part}") for part in DATE_PARTS})
                iso = read_date(form, source, self.dates[name], reading.errors)
                if iso:
                    reading.data[name] = iso
            else:
                reading.values[source] = text(form, source)
                if text(form, source):
                    reading.data[name] = text(form, source)
        return reading


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


def _record_choices(action: ActionForm, visit: Visit, reference: str, access_reason: str | None) -> Any:
    """The options an action takes from the referral itself, read (and audited) as the page reads it."""
    from chalicelib.services.view_referral import view_referral

    if action.record_choices is None:
        return {}
    found: dict[str, Any] = {}

    def work() -> Response:
        view = view_referral(
            reference, staff=visit.staff, request_id=_request_id(),
            reason=AccessReason(access_reason) if access_reason else None,
        )  # fmt: skip
        found.update(action.record_choices(view.referral))  # type: ignore[misc]
        return Response(body="", status_code=200)

    answer = admin_api._answer(work)
    return _refused(answer) or found


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
    extra = _record_choices(action, visit, reference, access_reason)
    if isinstance(extra, tuple):
        return _problem_page(*extra, visit.me)
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
        **extra,
    )


def _post_action(action: ActionForm, visit: Visit, raw_reference: str) -> Response:
    known: dict[str, Any] = {}
    refused = _refused(admin_api._answer(lambda: _known_reference(raw_reference, known)))
    if refused is not None:
        return _problem_page(*refused, visit.me)
    reference = known["summary"].reference
    access_reason = _access_reason(visit.form)
    reading = action.read(visit.form)
    body = None
    try:
        body = validate(action.model, reading.data)
    except InvalidReferral as invalid:
        for problem in invalid.errors:
            key = reading.inputs.get(problem.field, problem.field)
            blank = problem.field not in reading.data and problem.field not in action.dates
            message = action.blank_messages.get(key) or action.blank_messages.get(problem.field)
            reading.add(problem.field, message if blank and message else problem.message, frozenset(action.dates))
    if reading.errors or body is None:
        reading.errors.sort(tuple(reading.inputs.get(name, name) for name in action.model.model_fields))
        return _action_page(
            action, visit, reference, errors=reading.errors, values=reading.values, status=400,
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
        action, visit, reference, errors=_RefusalErrors(message), values=reading.values, status=status,
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


# Each action's service call is the one the matching admin route makes, with the same arguments.


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


def _consent(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    """As admin.consent: a request emailed to the parent chosen, or the record as staff made it."""
    from chalicelib.domain.consent import ConsentProblem, ConsentState
    from chalicelib.services.record_consent import record_consent, staff_consent_record
    from chalicelib.services.request_consent import request_consent

    state = ConsentState(body.state)
    if state is ConsentState.REQUESTED:
        if body.parent is None:  # this page's "ask by email" needs whom to email
            raise ConsentProblem("Select the parent or carer to email the consent request to")
        return request_consent(reference, parent=body.parent, staff=staff, request_id=request_id)
    record = staff_consent_record(state, body.model_dump(), staff, _now())
    return record_consent(reference, record=record, staff=staff, request_id=request_id)


def _parents_told(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.record_consent import decide_parents_told, staff_parents_told

    decision = staff_parents_told(tell=body.tell, reason=body.reason, review_on=body.review_on, staff=staff, now=_now())
    return decide_parents_told(reference, decision=decision, staff=staff, request_id=request_id)


def _outcome_notice(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.tell_outcome import record_outcome_notice_choice

    return record_outcome_notice_choice(
        reference, withhold=body.withhold, reason=body.reason, review_on=body.review_on, staff=staff,
        request_id=request_id,
    )  # fmt: skip


def _onward_referral(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.refer_on import make_onward_referral

    return make_onward_referral(
        reference, service_id=body.service, sections=tuple(body.sections), reason=body.reason, staff=staff,
        request_id=request_id,
    )  # fmt: skip


def _enquiries(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.open_enquiries import open_enquiries

    return open_enquiries(reference, list(body.agencies), body.question, staff=staff, request_id=request_id)


def _close(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.retention import close_referral

    return close_referral(reference, staff=staff, request_id=request_id)


def _legal_hold(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.retention import lift_legal_hold, place_legal_hold

    if body.hold:
        return place_legal_hold(reference, reason=body.reason, staff=staff, request_id=request_id)
    return lift_legal_hold(reference, staff=staff, request_id=request_id)


def _allowed(action: str) -> Callable[[dict[str, Any]], bool]:
    return lambda picture: action in picture["allowed_actions"]


def _open(picture: dict[str, Any]) -> bool:
    return picture["status"] != "closed"


def _parents(referral: Any) -> dict[str, Any]:
    """The parents and carers by position (as the API names them) and name, and whether each has an email."""
    return {
        "parents": [
            (str(position), parent.name, parent.relationship, bool(parent.email))
            for position, parent in enumerate(referral.submission.parents_carers)
        ]
    }


def _people(referral: Any) -> dict[str, Any]:
    """Everyone in the contact plan, by key (as the API names them), with where the plan stands."""
    from chalicelib.domain.contact_plan import WHY_TEXT

    return {
        "people": [
            (entry.person.key, entry.person.name or "Name not known", entry.person.relationship, entry.person.role,
             entry.told, WHY_TEXT[entry.why])
            for entry in referral.contact_plan
        ]
    }  # fmt: skip


def _contact_plan(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.domain.contact_plan import ContactDecision
    from chalicelib.services.contact_plan import change_contact_plan

    change = ContactDecision(
        person=body.person, reason=body.reason, decided_by=staff.id, decided_at=_now(),
        parental_responsibility=body.parental_responsibility, safe_to_contact=body.safe_to_contact,
        may_pose_risk=body.may_pose_risk, tell=body.tell, review_on=body.review_on,
    )  # fmt: skip
    return change_contact_plan(reference, change=change, staff=staff, request_id=request_id)


def _held_notices(referral: Any) -> dict[str, Any]:
    """The family emails held for translation: id, what, to whom (a role) and the language."""
    from chalicelib.domain.people import person_of
    from chalicelib.domain.translations import language_needed

    held = []
    for notice in referral.notices:
        if referral.is_held(notice):
            person = person_of(referral.submission, notice.recipient)
            who = f"{person.name} ({person.relationship})" if person else notice.recipient
            held.append((notice.notice_id, notice.kind.value.replace("_", " "), who, language_needed(referral.submission, notice)))
    return {"held": held}


def _release(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.translations import release_held_notice

    return release_held_notice(
        reference, body.notice, text=body.translation, english_reason=body.english_reason, staff=staff,
        request_id=request_id,
    )  # fmt: skip


def _agency_choices() -> dict[str, Any]:
    from chalicelib.wiring import wiring

    return {"agencies": [(agency.id.value, agency.name) for agency in wiring().settings.agency_directory.agencies]}


def _onward_choices() -> dict[str, Any]:
    from chalicelib.domain.onward_referral import SECTION_TITLES, Section
    from chalicelib.services.refer_on import service_directory
    from chalicelib.wiring import wiring

    services = service_directory(wiring().settings)
    return {
        "services": [(service.service_id, service.name) for service in services.values()],
        "sections": [(section.value, SECTION_TITLES[section]) for section in Section],
    }


def _passes_family_on(picture: dict[str, Any]) -> bool:
    from chalicelib.domain.onward_referral import PASSING_ON_OUTCOMES

    decision = picture.get("decision")
    outcomes = {outcome.value for outcome in PASSING_ON_OUTCOMES}
    return picture["status"] == "decided" and bool(decision) and decision["outcome"] in outcomes


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

CONSENT = register(
    ActionForm(
        slug="consent",
        title="Record consent",
        api_route=admin_api.consent,
        model=admin_api.ConsentRequest,
        perform=_consent,
        done="Consent recorded",
        # Support referrals only: a protection referral needs no consent (parents told instead).
        offered=lambda picture: picture["route"] == "support" and _open(picture),
        blank_messages={
            # The other answers each choice needs are the domain's rule (check_record): its message.
            "state": "Select what you are recording about consent",
        },
        dates={"given_on": "The date consent was given", "review_on": "The review date"},
        branches=Branches(
            "state",
            {
                "given": ("given_by", "given_on", "how"),
                "implicit": ("service",),
                "refused": ("reason",),
                "dispensed": ("reason", "review_on"),
                "requested": ("parent",),
            },
        ),
        record_choices=_parents,
        button="Save consent",
        could_reverse=frozenset({ProtectiveDecision.CONSENT_DISPENSED.value}),
    )
)

ENQUIRIES = register(
    ActionForm(
        slug="enquiries",
        title="Ask agencies what they hold",
        api_route=admin_api.enquiries,
        model=admin_api.EnquiriesRequest,
        perform=_enquiries,
        done="Enquiries sent: each agency is emailed through its own queue",
        # Once screened (the due time comes from the rating) and while sharing is allowed; the
        # consent gate itself is the domain's, and its refusal is shown if it closes meanwhile.
        offered=lambda picture: picture["status"] not in ("received", "closed") and picture["sharing_allowed"],
        blank_messages={
            "agencies": "Select at least one agency to ask",
            "question": "Enter what you are asking the agencies",
        },
        multiple=frozenset({"agencies"}),
        choices=_agency_choices,
        button="Send enquiries",
    )
)

def _withdraw_enquiry(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.withdraw_enquiries import withdraw_one_enquiry

    return withdraw_one_enquiry(reference, body.enquiry_id, reason=body.reason, staff=staff, request_id=request_id)


def _open_enquiries(referral: Any) -> dict[str, Any]:
    from chalicelib.domain.agencies import AGENCY_NAMES

    return {
        "open_enquiries": [
            (e.enquiry_id, AGENCY_NAMES[e.agency], when(e.opened_at))
            for e in referral.enquiries
            if e.is_open
        ]
    }


WITHDRAW_ENQUIRY = register(
    ActionForm(
        slug="withdraw-enquiry",
        title="Withdraw an enquiry",
        api_route=admin_enquiries_api.withdraw_enquiry,
        model=admin_enquiries_api.WithdrawEnquiryRequest,
        perform=_withdraw_enquiry,
        done="Enquiry withdrawn: the agency is emailed not to send information",
        offered=lambda picture: _open(picture)
        and any(e["state"] not in ("answered", "withdrawn") for e in picture.get("enquiries", [])),
        blank_messages={
            "enquiry_id": "Select the enquiry to withdraw",
            "reason": "Enter why the enquiry is withdrawn",
        },
        record_choices=_open_enquiries,
        button="Withdraw the enquiry",
    )
)

PARENTS_TOLD = register(
    ActionForm(
        slug="parents-told",
        title="Decide whether the parents are told",
        api_route=admin_api.parents_told,
        model=admin_api.ParentsToldRequest,
        perform=_parents_told,
        done="Your decision on telling the parents is recorded",
        offered=lambda picture: picture["route"] == "protection" and _open(picture),
        blank_messages={"tell": "Select whether the parents are told about the referral"},
        dates={"review_on": "The review date"},
        branches=Branches("tell", {"true": (), "false": ("reason", "review_on")}),
        button="Save",
        could_reverse=frozenset({ProtectiveDecision.PARENTS_NOT_TOLD.value}),
    )
)

CONTACT_PLAN = register(
    ActionForm(
        slug="contact-plan",
        title="Change who in the family is contacted",
        api_route=admin_api.contact_plan,
        model=admin_api.ContactPlanRequest,
        perform=_contact_plan,
        done="The contact plan is changed",
        offered=lambda picture: _open(picture) and bool(picture.get("contact_plan")),
        blank_messages={
            "person": "Select the person whose contact plan you are changing",
            "reason": "Enter why you are changing their contact plan",
        },
        dates={"review_on": "The review date"},
        record_choices=_people,
        button="Save the contact plan",
    )
)

TRANSLATION = register(
    ActionForm(
        slug="translation",
        title="Send an email held for translation",
        api_route=admin_api.notice_release,
        model=admin_api.HeldNoticeRelease,
        perform=_release,
        done="The email is on its way",
        offered=lambda picture: _open(picture) and any(n.get("held_for_translation") for n in picture["notices"]),
        blank_messages={"notice": "Select the email you are sending"},
        record_choices=_held_notices,
        button="Send the email",
    )
)

OUTCOME_NOTICE = register(
    ActionForm(
        slug="outcome-notice",
        title="Withhold or release the outcome notice",
        api_route=admin_api.outcome_notice,
        model=admin_api.OutcomeNoticeRequest,
        perform=_outcome_notice,
        done="Your decision on the parents' outcome notice is recorded",
        offered=lambda picture: _open(picture) and picture.get("decision") is not None,
        blank_messages={
            "withhold": "Select whether to withhold or release the outcome notice",
            "reason": "Enter why: it is kept with the referral",
        },
        dates={"review_on": "The review date"},
        branches=Branches("withhold", {"true": ("review_on",), "false": ()}),
        button="Save",
        could_reverse=frozenset({ProtectiveDecision.OUTCOME_NOTICE_WITHHELD.value}),
    )
)

ONWARD_REFERRAL = register(
    ActionForm(
        slug="onward-referral",
        title="Refer the family on to a service",
        api_route=admin_api.onward_referral,
        model=admin_api.OnwardReferralRequest,
        perform=_onward_referral,
        done="Onward referral made: the service is emailed the sections chosen",
        offered=_passes_family_on,
        blank_messages={
            "service": "Select the service to refer the family to",
            "sections": "Select at least one part of the record to pass on",
            "reason": "Enter why these parts are passed on: the parents are told",
        },
        multiple=frozenset({"sections"}),
        choices=_onward_choices,
        button="Make the onward referral",
    )
)

CLOSURE = register(
    ActionForm(
        slug="closure",
        title="Close the referral",
        api_route=admin_api.closure,
        model=admin_api.StaffRequest,  # the API's closure takes no body
        perform=_close,
        done="Referral closed: its retention period has started",
        offered=_allowed("close"),
        button="Close the referral",
    )
)

LEGAL_HOLD = register(
    ActionForm(
        slug="legal-hold",
        title="Place or lift a legal hold",
        api_route=admin_api.legal_hold,
        model=admin_api.LegalHoldRequest,
        perform=_legal_hold,
        done="Legal hold recorded",
        offered=lambda picture: True,  # placed or lifted at any status
        blank_messages={"hold": "Select whether to place or lift the hold", "reason": "Enter why"},
        choices=lambda: {"holds": [("true", "Place a hold"), ("false", "Lift the hold")]},
        button="Save",
    )
)


# --- a notice as it would go, and a referrer's document ------------------------------------------


@console_route(
    "/staff/referrals/{reference}/notices/{notice_id}", methods=["GET"], roles=_api_roles(admin_api.notice_preview)
)
def notice_preview(visit: Visit, reference: str, notice_id: str) -> Response:
    """The notice rendered as it would go, sending nothing; the read is audited (as the API's preview)."""
    from chalicelib.domain.audit import ReasonRequired
    from chalicelib.services.tell_outcome import NoticeNotFound, preview_notice

    shown: dict[str, Any] = {}
    access_reason = _access_reason(console.current_request.query_params or {})

    def work() -> Response:
        if not admin_api.NOTICE_ID.fullmatch(notice_id):
            raise NoticeNotFound(notice_id)
        try:
            shown["preview"] = preview_notice(
                admin_api._reference(reference), notice_id, staff=visit.staff, request_id=_request_id(),
                reason=AccessReason(access_reason) if access_reason else None,
            )  # fmt: skip
        except ValueError:
            return _problem_answer(409, "This notice cannot be written now (for example, its request was answered)")
        except ReasonRequired:
            shown["reason_page"] = True
        return Response(body="", status_code=200)

    refused = _refused(admin_api._answer(work))
    if refused is not None:
        return _problem_page(*refused, visit.me)
    normalised = admin_api._reference(reference)
    if "reason_page" in shown:
        # A closed referral: the referral page asks why it is opened, then links here with the reason.
        return redirect(referral_href(normalised))
    return _page(
        "staff/notice_preview.html",
        me=visit.me,
        nav="queue",
        reference=normalised,
        preview=shown["preview"],
        back_href=referral_href(normalised, access_reason=access_reason),
    )


def _problem_answer(status: int, message: str) -> Response:
    return Response(body={"message": message}, status_code=status)


@console_route(
    "/staff/referrals/{reference}/attachments/{attachment_id}",
    methods=["GET"],
    roles=_api_roles(admin_api.attachment_download),
)
def attachment_download(visit: Visit, reference: str, attachment_id: str) -> Response:
    """A referrer's document: the service audits the read and gives a 60-second link; we go there."""
    from chalicelib.services.referral_attachments import AttachmentNotFound, download_attachment

    reason = _access_reason({"access_reason": (console.current_request.query_params or {}).get("reason")})
    found: dict[str, Any] = {}

    def work() -> Response:
        if not admin_api.ATTACHMENT_ID.fullmatch(attachment_id):
            return _problem_answer(404, admin_api.ATTACHMENT_NOT_FOUND)
        try:
            found["download"] = download_attachment(
                admin_api._reference(reference), attachment_id, staff=visit.staff, request_id=_request_id(),
                reason=AccessReason(reason) if reason else None,
            )  # fmt: skip
        except AttachmentNotFound:
            return _problem_answer(404, admin_api.ATTACHMENT_NOT_FOUND)
        return Response(body="", status_code=200)

    refused = _refused(admin_api._answer(work))
    if refused is not None:
        return _problem_page(*refused, visit.me)
    # A GET link's redirect (not a form's), so CSP form-action does not apply; the URL is the
    # service's own presigned one, never anything taken from the request.
    return _external_redirect(found["download"].url, [])


# --- triage: replies the hub could not place ------------------------------------------------------

TRIAGE_DONE = {
    "attached": "The email is attached to the enquiry as its reply",
    "rejected": "The email is rejected: it will be deleted in 30 days",
}


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

    refused = _refused(admin_api._answer(work))
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
        values={**prefilled, **(values or {})},
        errors=errors.messages,
        error_list=errors.summary(),
    )


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
        errors = PageErrors()
        for problem in invalid.errors:
            blank = problem.field in blank_messages and problem.field not in data
            errors.add(problem.field, blank_messages[problem.field] if blank else problem.message)
        errors.sort(tuple(model.model_fields))
        return _triage_item_page(visit, triage_id, errors=errors, values=values, status=400)

    def work() -> Response:
        perform(body)
        return redirect("/staff/triage?" + urllib.parse.urlencode({"done": done}))

    answer = admin_api._answer(work)
    refused = _refused(answer)
    if refused is None:
        return answer
    status, message = refused
    if status in (404, 503):
        return _problem_page(status, message, visit.me)
    return _triage_item_page(visit, triage_id, errors=_RefusalErrors(message), values=values, status=status)


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


# --- the timeliness report --------------------------------------------------------------------------

REPORT_DEFAULT_DAYS = 28
# GOV.UK colours; every bar is labelled with its figure, so none is told apart by colour alone.
BAR_FILLS = {"in_time": "#00703c", "late": "#d4351c", "neutral": "#1d70b8", "pending": "#505a5f"}
RANGE_FIELDS = {"range_required": "from", "invalid_from": "from", "invalid_to": "to", "invalid_range": "from"}


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: nothing to measure (no bar drawn, the text says why)
    text: str
    tone: str = "neutral"


def bar_chart(chart_id: str, title: str, bars: list[Bar], *, maximum: float | None = None) -> dict[str, Any]:
    """A horizontal bar chart's geometry for an inline SVG: each row is a label above its bar, with
    the figure written after the bar. Presentation attributes only (the CSP allows no inline style)."""
    label_height, bar_height, gap, width, bar_room = 20, 22, 14, 640, 440
    top = max([bar.value or 0 for bar in bars] + [maximum or 0]) or 1
    rows = []
    for position, bar in enumerate(bars):
        y = position * (label_height + bar_height + gap)
        length = 0 if not bar.value else max(2, round(bar_room * bar.value / top))
        rows.append(
            {
                "label": bar.label,
                "text": bar.text,
                "fill": BAR_FILLS[bar.tone],
                "label_y": y + 15,
                "bar_y": y + label_height,
                "bar_height": bar_height,
                "width": length,
                "text_x": length + 8,
                "text_y": y + label_height + 16,
            }
        )
    height = len(bars) * (label_height + bar_height + gap)
    return {"id": chart_id, "title": title, "rows": rows, "width": width, "height": height}


def _percent_text(value: float | None, part: int, whole: int, none: str) -> str:
    return none if value is None else f"{value:.1f}% ({part} of {whole})"


def _hours_text(value: float | None) -> str:
    return "No decisions yet" if value is None else f"{value:.1f} hours"


def _share_bar(label: str, share: float | None, part: int, whole: int, none: str) -> Bar:
    return Bar(label, share, _percent_text(share, part, whole, none), "in_time")


def report_charts(report: Any) -> list[dict[str, Any]]:
    rag_rows = [*report.by_rag, report.total]
    in_time = [
        _share_bar(
            row.label,
            row.in_time_percent,
            row.decided_in_time,
            row.decided_in_time + row.decided_late + row.open_past_deadline,
            "No deadline met or missed yet",
        )
        for row in rag_rows
    ]
    medians = [
        Bar(row.label, row.median_hours_to_decision, _hours_text(row.median_hours_to_decision)) for row in rag_rows
    ]
    charts = [
        bar_chart(
            "chart-rag-in-time",
            "Referrals decided in time, by RAG rating (per cent of those whose deadline was met or missed)",
            in_time,
            maximum=100,
        ),
        bar_chart("chart-rag-median", "Median hours from receipt to decision, by RAG rating", medians),
    ]
    asked = [
        _share_bar(
            row.label,
            row.in_time_percent,
            row.answered_in_time,
            row.answered_in_time + row.answered_late + row.unanswered_past_due,
            "None answered or due yet",
        )
        for row in report.by_agency
        if row.sent
    ]
    if asked:
        title = "Agency enquiries answered in time, by agency (per cent of those answered or past due)"
        charts.append(bar_chart("chart-agencies", title, asked, maximum=100))
    statuses = [
        Bar(f"{row.label}: {status}", count, str(count), tone)
        for row in report.notices
        if row.total
        for status, count, tone in (
            ("delivered", row.delivered, "in_time"),
            ("failed", row.failed, "late"),
            ("pending", row.pending, "pending"),
        )
    ]
    if statuses:
        charts.append(bar_chart("chart-notices", "Outcome notices by delivery status", statuses))
    return charts


def _report_dates(query: dict[str, Any], errors: PageErrors) -> tuple[str | None, str | None, dict[str, str]]:
    """The range asked for: the form's day/month/year boxes, else ISO dates (the CSV link), else the
    last 28 days ending today in London. Also the boxes' values to show again."""
    form: Form = {name: [str(value)] for name, value in query.items()}
    today = _now().astimezone(LONDON).date()
    default = {"from": (today - dt.timedelta(days=REPORT_DEFAULT_DAYS - 1)).isoformat(), "to": today.isoformat()}
    chosen: dict[str, str | None] = {}
    values: dict[str, str] = {}
    labels = {"from": "The start date", "to": "The end date"}
    for name in ("from", "to"):
        if any(f"{name}-{part}" in query for part in DATE_PARTS):
            values.update({f"{name}-{part}": text(form, f"{name}-{part}") for part in DATE_PARTS})
            if not any(values[f"{name}-{part}"] for part in DATE_PARTS):
                errors.add(name, f"Enter {labels[name].lower()}", f"{name}-day")
                chosen[name] = None
                continue
            chosen[name] = read_date(form, name, labels[name], errors)
        else:
            chosen[name] = query.get(name) or default[name]
            try:
                shown = dt.date.fromisoformat(chosen[name] or "")
                values.update({f"{name}-day": str(shown.day), f"{name}-month": str(shown.month),
                               f"{name}-year": str(shown.year)})  # fmt: skip
            except ValueError:
                pass
    return chosen["from"], chosen["to"], values


@console_route(REPORT_PATH, methods=["GET"], roles=REPORT_ROLES)
def timeliness_report_page(visit: Visit) -> Response:
    """The timeliness report over London dates, with charts and their tables, or as CSV."""
    from chalicelib.services.timeliness_report import InvalidRange, ReportRange, timeliness_report, to_csv

    query: dict[str, Any] = dict(console.current_request.query_params or {})
    answer_as = query.get("format") or "html"
    errors = PageErrors()
    if answer_as not in ("html", "csv"):
        errors.add("format", "Choose the report as a page or as a CSV download", "from-day")
    date_from, date_to, values = _report_dates(query, errors)
    report = None
    if not errors:
        try:
            report = timeliness_report(ReportRange.parse(date_from, date_to))
        except InvalidRange as invalid:
            name = RANGE_FIELDS.get(invalid.code, "from")
            errors.add(name, str(invalid), f"{name}-day")
        except AwsError:
            return _page("staff/unavailable.html", status=503, me=visit.me)
    if report is not None and answer_as == "csv":
        name = f"mash-timeliness-{report.date_from.isoformat()}-to-{report.date_to.isoformat()}.csv"
        return Response(
            body=to_csv(report),
            status_code=200,
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )
    csv_href = None
    if report is not None:
        csv_href = (
            REPORT_PATH
            + "?"
            + urllib.parse.urlencode(
                {"from": report.date_from.isoformat(), "to": report.date_to.isoformat(), "format": "csv"}
            )
        )
    return _page(
        "staff/report_timeliness.html",
        status=400 if errors else 200,
        me=visit.me,
        nav="reports",
        report=report,
        charts=report_charts(report) if report else [],
        csv_href=csv_href,
        values=values,
        errors=errors.messages,
        error_list=errors.summary(),
    )
