"""Who may see which console page, and the page helpers every room uses.

`console` is the one Blueprint app.py registers; every page is made with `console_route` (deny by
default: a session, its token re-verified, the roles, and on POST the CSRF token), and
`undeclared_console_routes(app)` finds any /staff/ page made otherwise that is not a sign-in page.
"""

from __future__ import annotations

import functools
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalice import Blueprint
from chalice.app import Response

from chalicelib.domain.audit import AccessReason
from chalicelib.domain.failures import AwsError
from chalicelib.domain.staff import Role, StaffMember, describe_roles
from chalicelib.logs import logger
from chalicelib.web import admin as admin_api
from chalicelib.web import admin_reports
from chalicelib.web import console_session as sessions
from chalicelib.web.auth import declared_roles
from chalicelib.web.console.formatting import _now, time_left, when
from chalicelib.web.form_fields import Form, PageErrors, text
from chalicelib.web.form_http import FORM_CONTENT_TYPES, BodyTooLarge, form_body, page, redirect

# Named as the single module was, so each route's handler string stays `chalicelib.web.console.<name>`.
console = Blueprint("chalicelib.web.console")

HOME = "/staff/"
SIGN_IN = "/staff/sign-in"
STAFF_PREFIX = "/staff"
REPORT_PATH = "/staff/reports/timeliness"
# Sign-in pages: the only /staff/ routes without a session (local/console_sign_in.py adds its own),
# and "Page not found" for any other address under /staff/ (chalicelib/web/not_found.py: it shows nothing).
OPEN_PATHS = {"/staff/sign-in", "/staff/callback", "/staff/signed-out", "/staff/local-sign-in", "/staff/{proxy+}"}


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
            form = _posted_form(request) if request.method == "POST" else {}
            if isinstance(form, Response):
                return form
            me = _signed_in(request, allowed)
            if isinstance(me, Response):
                return me
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


def _posted_form(request: Any) -> Form | Response:
    """The posted fields, or the page refusing them. The size first: an oversized body is refused
    before anything reads it."""
    try:
        return form_body(request)
    except BodyTooLarge:
        return _page("staff/too_large.html", status=413)
    except ValueError:
        return _page("staff/bad_request.html", status=400)


def _signed_in(request: Any, allowed: frozenset[Role]) -> sessions.SignedIn | Response:
    """Who is signed in (the session, its token re-verified) if they hold one of these roles, or the
    page saying why not."""
    try:
        me = sessions.current_session(request.headers)
    except sessions.SessionEnded as ended:
        return _session_ended(ended, request.method)
    except (sessions.SignInUnavailable, AwsError):
        return _page("staff/unavailable.html", status=503)
    if not me.holds_any(allowed):
        return _page("staff/forbidden.html", status=403, me=me, needs=describe_roles(allowed))
    return me


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
    query = request.query_params
    pairs = [(name, value) for name in query for value in query.getlist(name)] if query else []
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


def _request_id() -> str | None:
    return (console.current_request.context or {}).get("requestId")


def _refused(response: Response) -> tuple[int, str] | None:
    """(status, message) when the admin API's `answer_with` turned the work into a problem answer."""
    if response.status_code < 400 or not isinstance(response.body, dict):
        return None
    return response.status_code, str(response.body.get("message", ""))


def _problem_page(status: int, message: str, me: sessions.SignedIn) -> Response:
    if status == 404:
        return _page("staff/not_found.html", status=404, me=me, message=message)
    if status == 503:
        return _page("staff/unavailable.html", status=503, me=me)
    return _page("staff/refused.html", status=status, me=me, message=message)


def _external_redirect(location: str, cookies: list[str]) -> Response:
    return Response(
        body="", status_code=303, headers={"Location": location, "Content-Type": "text/html; charset=utf-8",
                                           "Set-Cookie": cookies},
    )  # fmt: skip


def _problem_answer(status: int, message: str) -> Response:
    return Response(body={"message": message}, status_code=status)


class _RefusalErrors(PageErrors):
    """A refusal of the whole action (not of one field): in the summary, without a link."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def __bool__(self) -> bool:
        return True

    def summary(self) -> list[dict[str, str]]:
        return [{"text": self.message}]


def _access_reason(found: Mapping[str, Any]) -> str | None:
    """A closed referral's access reason code, carried through an action so the page reopens with it."""
    raw = found.get("access_reason")
    raw = raw[0] if isinstance(raw, list) and raw else raw
    return raw if raw in {reason.value for reason in AccessReason} else None


def audited_read_page(
    visit: Visit,
    reference: str,
    read: Callable[[str, AccessReason | None], Any],
    show: Callable[[str, str | None, Any], Response],
) -> Response:
    """A page beside the referral page made from one audited read (the chronology, a notice's
    preview): `read(reference, reason)` under the access reason the request carries (it may answer a
    refusal as a problem answer), then `show(reference, access_reason, found)`. A refusal is a problem
    page; a closed referral opened without a reason goes back to the referral page, which asks why."""
    from chalicelib.domain.audit import ReasonRequired
    from chalicelib.web.request_parts import query_of

    access_reason = _access_reason(query_of(console.current_request))
    found: dict[str, Any] = {}

    def work() -> Response:
        found["reference"] = admin_api._reference(reference)
        try:
            found["read"] = read(found["reference"], AccessReason(access_reason) if access_reason else None)
        except ReasonRequired:
            return redirect(referral_href(found["reference"]))
        return found["read"] if isinstance(found["read"], Response) else Response(body="", status_code=200)

    answered = admin_api.answer_with(work)
    refused = _refused(answered)
    if refused is not None:
        return _problem_page(*refused, visit.me)
    return show(found["reference"], access_reason, found["read"]) if "read" in found else answered


def referral_href(reference: str, *, done: str | None = None, access_reason: str | None = None) -> str:
    """The referral page's address: a reference and codes only, never personal data."""
    query = {name: value for name, value in (("done", done), ("reason", access_reason)) if value}
    return f"/staff/referrals/{reference}" + ("?" + urllib.parse.urlencode(query) if query else "")
