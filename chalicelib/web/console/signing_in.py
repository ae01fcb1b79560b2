"""Signing in to the console and out of it: the hosted UI's code flow, and where a person lands.

The sign-in pages are the only /staff/ routes without a session (`OPEN_PATHS`); signing out is a
console page like any other. `signed_in_redirect` is the local sign-in's way back in.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.domain.failures import AwsError, TokenRefused
from chalicelib.domain.staff import Role
from chalicelib.logs import logger
from chalicelib.web import admin as admin_api
from chalicelib.web import console_session as sessions
from chalicelib.web.console.routing import (
    HOME,
    REPORT_PATH,
    REPORT_ROLES,
    SIGN_IN,
    Visit,
    _api_roles,
    _external_redirect,
    _page,
    console,
    console_route,
)
from chalicelib.web.form_http import redirect
from chalicelib.web.request_parts import query_of


@console.route(SIGN_IN, methods=["GET"])
def sign_in() -> Response:
    from chalicelib.wiring import wiring

    settings = wiring().settings
    hosted = sessions.hosted_ui(settings)
    # Where to go back to once signed in: a validated same-site /staff/ path, or nowhere.
    asked = sessions.safe_return_path(query_of(console.current_request).get("next"))
    remember = [sessions.return_cookie(asked) if asked else sessions.clear_return_cookie()]
    if hosted is not None:
        pending_id = sessions.new_pending_id()
        return _external_redirect(hosted.authorize_url(pending_id), [sessions.sign_in_cookie(pending_id), *remember])
    if settings.is_local:
        return redirect("/staff/local-sign-in", cookies=remember)
    return _page("staff/sign_in_unavailable.html", status=503)


@console.route(sessions.CALLBACK_PATH, methods=["GET"])
def callback() -> Response:
    """The hosted UI's redirect back: check state, swap the code (with the PKCE verifier) for tokens."""
    from chalicelib.wiring import wiring

    hosted = sessions.hosted_ui(wiring().settings)
    if hosted is None:
        return _page("staff/not_found.html", status=404)
    request = console.current_request
    query = query_of(request)
    pending_id = sessions.pending_id_from(request.headers)
    clear = [sessions.clear_sign_in_cookie()]
    if query.get("error"):
        return _page("staff/sign_in_failed.html", status=400, cookies=clear, problem="declined")
    if pending_id is None or not sessions.oauth_state_valid(pending_id, query.get("state")) or not query.get("code"):
        # A stale tab, a second callback, or a link someone else started: start again.
        return _page("staff/sign_in_failed.html", status=400, cookies=clear, problem="state")
    return _start_session(hosted, query["code"], pending_id, clear, request.headers)


def _start_session(hosted: Any, code: str, pending_id: str, clear: list[str], headers: Any) -> Response:
    """The code swapped for tokens and a new session started, then on to the page asked for."""
    try:
        tokens = hosted.exchange(code, pending_id)
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
    return _page("staff/signing_in.html", cookies=cookies, next_url=landing_page(signed_in, headers))


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
