"""The parent's "change my answer": `/consent/{token}/change`, by the link they answered with.

The same link, the same cookie and CSRF token as the consent page, and the same refusals (a
GOV.UK page with a 4xx for a link that is tampered, expired, or no longer the referral's consent).
Within the link's lifetime, a parent who answered may change their answer; "no" withdraws the
enquiries already sent to agencies. Afterwards they see the same confirmation page as the first time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint
from chalice.app import Response

from chalicelib.domain.consent_links import LinkRefused
from chalicelib.domain.consent_requests import COMMENT_MAX_LENGTH
from chalicelib.web import form_session as session
from chalicelib.web import parent_consent as consent_page
from chalicelib.web.form_http import FORM_CONTENT_TYPES, page

if TYPE_CHECKING:
    from chalicelib.services.change_consent_answer import AnsweredRequest

parent_consent_change = Blueprint(__name__)


def change_path(token: str) -> str:
    return f"/consent/{token}/change"


def _change_page(token: str, opened: AnsweredRequest, cookie_id: str, **context: Any) -> Response:
    expires = opened.link.expires_at
    return page(
        "parent_consent_change.html",
        cookies=[session.set_cookie(consent_page.CONSENT_COOKIE, cookie_id, consent_page.COOKIE_MAX_AGE_SECONDS)],
        action=change_path(token),
        child_names=opened.child_first_names,
        agreed=opened.agreed,
        expires_on=f"{expires.day} {expires:%B %Y}",
        comment_limit=COMMENT_MAX_LENGTH,
        csrf_token=session.csrf_token(cookie_id),
        **context,
    )


@parent_consent_change.route("/consent/{token}/change", methods=["GET"])
def change_form(token: str) -> Response:
    from chalicelib.domain.failures import AwsError
    from chalicelib.services.change_consent_answer import open_answered_request

    try:
        opened = open_answered_request(token)
    except LinkRefused as refused:
        return consent_page.refused_page(refused)
    except AwsError:
        return page("consent_try_again.html", status=503, retry_href=change_path(token))
    return _change_page(token, opened, consent_page._cookie_id() or session.new_session_id())


@parent_consent_change.route("/consent/{token}/change", methods=["POST"], content_types=FORM_CONTENT_TYPES)
def change_answer(token: str) -> Response:
    from chalicelib.services.change_consent_answer import change_consent_answer, open_answered_request

    request = parent_consent_change.current_request
    checked = consent_page.checked_form(
        request, change_path(token), "consent answer change refused: CSRF token missing or wrong"
    )
    if isinstance(checked, Response):
        return checked
    form, cookie_id = checked
    request_id = (request.context or {}).get("requestId")
    return consent_page.take_answer(
        token,
        form,
        change_path(token),
        save=lambda answer: change_consent_answer(token, answer, request_id),
        show_again=lambda shown: _change_page(token, open_answered_request(token), cookie_id, **shown),
    )
