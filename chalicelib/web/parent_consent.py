"""The parent's consent page: `/consent/{token}` from the consent request email (GOV.UK style).

The parent has no session: GET sets a random id in a cookie and the form carries its CSRF token
(an HMAC of it), like the referral form. The page shows nothing about the family but the child's
first name. Every refused link (tampered, expired, used, no longer needed) is a GOV.UK page that
says what to do, with a 4xx status, and changes nothing. The token is only ever in this path: the
security headers set `Referrer-Policy: no-referrer`, so no link on the page passes it on.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice import Blueprint
from chalice.app import Request, Response

from chalicelib.domain.consent_links import LinkExpired, LinkRefused, LinkSuperseded, LinkUsed
from chalicelib.domain.consent_requests import COMMENT_MAX_LENGTH, ParentAnswer
from chalicelib.logs import logger
from chalicelib.settings import get_settings
from chalicelib.web import form_session as session
from chalicelib.web.form_fields import Form, PageErrors, text
from chalicelib.web.form_http import FORM_CONTENT_TYPES, BodyTooLarge, form_body, page, redirect

if TYPE_CHECKING:
    from chalicelib.services.request_consent import ConsentRequestRecord

parent_consent = Blueprint(__name__)

CONSENT_COOKIE = "mash_consent"
RECEIPT_COOKIE = "mash_consent_answered"
COOKIE_MAX_AGE_SECONDS = 60 * 60
RECEIPT_MAX_AGE_SECONDS = 30 * 60
ANSWERS = {"yes": True, "no": False}

# Status and what the page says for each refused link.
REFUSALS: dict[type[LinkRefused], tuple[int, str]] = {
    LinkExpired: (410, "expired"),
    LinkUsed: (410, "used"),
    LinkSuperseded: (410, "superseded"),
}


def _headers() -> Any:
    return parent_consent.current_request.headers


def _request_id() -> str | None:
    return (parent_consent.current_request.context or {}).get("requestId")


def refused_page(refused: LinkRefused) -> Response:
    status, problem = REFUSALS.get(type(refused), (404, "not_recognised"))
    # The kind only: never the token, which is a key to the request.
    logger.info("consent link refused", extra={"problem": problem})
    return page("consent_link_refused.html", status=status, problem=problem)


def _cookie_id() -> str | None:
    value = session.read_cookie(_headers(), CONSENT_COOKIE)
    return value if value and session.SESSION_ID_PATTERN.match(value) else None


def _form_page(token: str, names: tuple[str, ...], cookie_id: str, **context: Any) -> Response:
    return page(
        "parent_consent.html",
        cookies=[session.set_cookie(CONSENT_COOKIE, cookie_id, COOKIE_MAX_AGE_SECONDS)],
        action=f"/consent/{token}",
        child_names=names,
        comment_limit=COMMENT_MAX_LENGTH,
        csrf_token=session.csrf_token(cookie_id),
        **context,
    )


@parent_consent.route("/consent/{token}", methods=["GET"])
def consent_page(token: str) -> Response:
    from chalicelib.domain.failures import AwsError
    from chalicelib.services.request_consent import open_consent_request

    try:
        opened = open_consent_request(token)
    except LinkUsed as used:
        # Answered with this link: while it lives, the parent may change that answer (issue 11).
        return redirect(f"/consent/{token}/change") if _changeable(token) else refused_page(used)
    except LinkRefused as refused:
        return refused_page(refused)
    except AwsError:
        # The store or KMS failed for a moment (found by tests/faults): "try again", never a 500.
        return page("consent_try_again.html", status=503, retry_href=f"/consent/{token}")
    return _form_page(token, opened.child_first_names, _cookie_id() or session.new_session_id())


def _changeable(token: str) -> bool:
    from chalicelib.domain.failures import AwsError
    from chalicelib.services.change_consent_answer import is_changeable

    try:
        return is_changeable(token)
    except AwsError:
        return False  # the "used" page then, which says to ring the MASH


def read_answer(form: Form) -> tuple[ParentAnswer | None, PageErrors]:
    errors = PageErrors()
    agreed = ANSWERS.get(text(form, "answer"))
    comment = text(form, "comment")
    if agreed is None:
        errors.add("answer", "Select yes if you agree to agencies sharing information, or no if you do not")
    if len(comment) > COMMENT_MAX_LENGTH:
        errors.add("comment", f"Your comment must be {COMMENT_MAX_LENGTH:,} characters or fewer")
    if errors or agreed is None:
        return None, errors
    return ParentAnswer(agreed, comment or None), errors


@parent_consent.route("/consent/{token}", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def consent_answer(token: str) -> Response:
    from chalicelib.services.request_consent import answer_consent_request, open_consent_request

    retry_href = f"/consent/{token}"
    checked = checked_form(
        parent_consent.current_request, retry_href, "consent answer refused: CSRF token missing or wrong"
    )
    if isinstance(checked, Response):
        return checked
    form, cookie_id = checked
    return take_answer(
        token,
        form,
        retry_href,
        save=lambda answer: answer_consent_request(token, answer, _request_id()),
        show_again=lambda shown: _form_page(token, open_consent_request(token).child_first_names, cookie_id, **shown),
    )


def checked_form(request: Request, retry_href: str, refused_log: str) -> tuple[Form, str] | Response:
    """The posted form and the browser's cookie id, once its CSRF token holds; else the page that says
    why not (`refused_log` is what the log says then: never the token)."""
    try:
        form = form_body(request)
    except BodyTooLarge:
        return page("errors/too_large.html", status=413)
    cookie_id = _cookie_id()
    if cookie_id is None or not session.csrf_valid(cookie_id, text(form, session.CSRF_FIELD)):
        logger.info(refused_log)
        return page("consent_csrf.html", status=400, retry_href=retry_href)
    return form, cookie_id


def take_answer(
    token: str,
    form: Form,
    retry_href: str,
    save: Callable[[ParentAnswer], ConsentRequestRecord],
    show_again: Callable[[dict[str, Any]], Response],
) -> Response:
    """The parent's answer saved and the browser sent to the answered page with its receipt; or the
    form again with what to fix. A refused link or a moment's failure gets its page, as on GET."""
    from chalicelib.domain.failures import AwsError, StaleReferral

    answer, errors = read_answer(form)
    try:
        if answer is None:
            values = {"answer": text(form, "answer"), "comment": text(form, "comment")}
            return show_again({"values": values, "errors": errors.messages, "error_list": errors.summary()})
        record = save(answer)
    except LinkRefused as refused:
        return refused_page(refused)
    except (AwsError, StaleReferral):
        return page("consent_try_again.html", status=503, retry_href=retry_href)
    return redirect(
        f"/consent/{token}/answered",
        cookies=[session.set_cookie(RECEIPT_COOKIE, _receipt(record.lookup_key), RECEIPT_MAX_AGE_SECONDS)],
    )


def _receipt(lookup_key: str) -> str:
    """Ties the confirmation page to the browser that answered: another holder of the link sees
    only "already used", never what was answered."""
    key = get_settings().hmac_secret.encode()
    return hmac.new(key, f"consent-answered:{lookup_key}".encode(), hashlib.sha256).hexdigest()


@parent_consent.route("/consent/{token}/answered", methods=["GET"])
def consent_answered(token: str) -> Response:
    from chalicelib.services.request_consent import answered_request

    try:
        record = answered_request(token)
    except LinkRefused as refused:
        return refused_page(refused)
    receipt = session.read_cookie(_headers(), RECEIPT_COOKIE) or ""
    if record is None or not hmac.compare_digest(receipt.encode(), _receipt(record.lookup_key).encode()):
        return refused_page(LinkUsed())
    change_href = f"/consent/{token}/change" if _changeable(token) else None
    return page("parent_consent_answered.html", agreed=record.answer == "given", change_href=change_href)
