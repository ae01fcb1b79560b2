"""Local stage only: sign in to the staff console as one of the synthetic staff members.

app.py registers this blueprint only when MASH_STAGE is 'local', as it does the local outbox; the
stand-in issuer (local/issuer.py, never packaged) is imported only when someone signs in here.
The token it signs is the one `make token` prints, verified by the same verifier as in AWS, so
everything after sign-in is the path a Cognito token takes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chalice import Blueprint
from chalice.app import Response

from chalicelib.adapters.aws import AwsError
from chalicelib.web import console_session as sessions
from chalicelib.web.console import signed_in_redirect
from chalicelib.web.form_fields import PageErrors, text
from chalicelib.web.form_http import FORM_CONTENT_TYPES, BodyTooLarge, form_body, page
from chalicelib.wiring import wiring

console_local_sign_in = Blueprint(__name__)

PATH = "/staff/local-sign-in"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _issuer() -> Any:
    from local.issuer import LocalIssuer

    path = Path(wiring().settings.local_jwks_path)
    # The key beside the JWKS the verifier reads (staff_sign_in.token_verifier resolves it the same way).
    return LocalIssuer((path if path.is_absolute() else PROJECT_ROOT / path).parent)


def _people() -> list[dict[str, str]]:
    from local.issuer import SYNTHETIC_STAFF

    return [
        {"value": key, "name": person.name, "role": person.role.value.removeprefix("mash-")}
        for key, person in SYNTHETIC_STAFF.items()
    ]


def _chooser(pending_id: str, errors: PageErrors | None = None, status: int = 200) -> Response:
    errors = errors or PageErrors()
    return page(
        "staff/local_sign_in.html",
        status=status,
        cookies=[sessions.sign_in_cookie(pending_id)],
        me=None,
        people=_people(),
        csrf_token=sessions.sign_in_csrf_token(pending_id),
        errors=errors.messages,
        error_list=errors.summary(),
    )


@console_local_sign_in.route(PATH, methods=["GET"])
def choose_staff() -> Response:
    pending_id = sessions.pending_id_from(console_local_sign_in.current_request.headers) or sessions.new_pending_id()
    return _chooser(pending_id)


@console_local_sign_in.route(PATH, methods=["POST"], content_types=FORM_CONTENT_TYPES)
def sign_in_as() -> Response:
    from local.issuer import SYNTHETIC_STAFF

    request = console_local_sign_in.current_request
    try:
        form = form_body(request)
    except BodyTooLarge:
        return page("staff/too_large.html", status=413, me=None)
    except ValueError:
        return page("staff/bad_request.html", status=400, me=None)
    pending_id = sessions.pending_id_from(request.headers)
    if pending_id is None or not sessions.sign_in_csrf_valid(pending_id, text(form, "csrf_token")):
        return page("staff/csrf.html", status=400, me=None, sign_in=True)
    who = text(form, "staff")
    if who not in SYNTHETIC_STAFF:
        errors = PageErrors()
        errors.add("staff", "Select who to sign in as", "staff")
        return _chooser(pending_id, errors, status=400)
    try:
        signed_in = sessions.start_session(_issuer().token_for(who))
    except (sessions.SignInUnavailable, AwsError):
        return page("staff/unavailable.html", status=503, me=None)
    return signed_in_redirect(signed_in, cookies=[sessions.clear_sign_in_cookie()])
