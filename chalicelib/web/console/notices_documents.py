"""A notice as it would go (sending nothing), and a referrer's document: both reads are audited."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.domain.audit import AccessReason
from chalicelib.web import admin as admin_api
from chalicelib.web.console.routing import (
    Visit,
    _access_reason,
    _api_roles,
    _external_redirect,
    _page,
    _problem_answer,
    _problem_page,
    _refused,
    _request_id,
    audited_read_page,
    console,
    console_route,
    referral_href,
)
from chalicelib.web.console.words import referral_names
from chalicelib.web.request_parts import query_of


@console_route(
    "/staff/referrals/{reference}/notices/{notice_id}", methods=["GET"], roles=_api_roles(admin_api.notice_preview)
)
def notice_preview(visit: Visit, reference: str, notice_id: str) -> Response:
    """The notice rendered as it would go, sending nothing; the read is audited (as the API's preview)."""
    from chalicelib.services.tell_outcome import NoticeNotFound, preview_notice

    def read(normalised: str, reason: AccessReason | None) -> Any:
        if not admin_api.NOTICE_ID.fullmatch(notice_id):
            raise NoticeNotFound(notice_id)
        try:
            return preview_notice(normalised, notice_id, staff=visit.staff, request_id=_request_id(), reason=reason)
        except ValueError:
            return _problem_answer(409, "This notice cannot be written now (for example, its request was answered)")

    def show(normalised: str, access_reason: str | None, preview: Any) -> Response:
        return _page(
            "staff/notice_preview.html",
            me=visit.me,
            nav="queue",
            reference=normalised,
            preview=preview,
            recipient=referral_names(None).recipient(preview.recipient),
            back_href=referral_href(normalised, access_reason=access_reason),
        )

    return audited_read_page(visit, reference, read, show)


@console_route(
    "/staff/referrals/{reference}/attachments/{attachment_id}",
    methods=["GET"],
    roles=_api_roles(admin_api.attachment_download),
)
def attachment_download(visit: Visit, reference: str, attachment_id: str) -> Response:
    """A referrer's document: the service audits the read and gives a 60-second link; we go there."""
    reason = _access_reason({"access_reason": query_of(console.current_request).get("reason")})
    found: dict[str, Any] = {}
    refused = _refused(admin_api.answer_with(lambda: _download(visit, reference, attachment_id, reason, found)))
    if refused is not None:
        return _problem_page(*refused, visit.me)
    # A GET link's redirect (not a form's), so CSP form-action does not apply; the URL is the
    # service's own presigned one, never anything taken from the request.
    return _external_redirect(found["download"].url, [])


def _download(visit: Visit, reference: str, attachment_id: str, reason: str | None, found: dict[str, Any]) -> Response:
    """The audited read of the document, into `found` as its short-lived link."""
    from chalicelib.services.referral_attachments import AttachmentNotFound, download_attachment

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
