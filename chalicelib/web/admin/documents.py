"""Documents the referrer added: a short-lived download link to one kept document."""

from __future__ import annotations

import re
from typing import Any

from chalice import Response

from chalicelib.domain.audit import AccessReason
from chalicelib.web.admin.answers import answer_with
from chalicelib.web.admin.common import (
    CASEWORK,
    _check_choice,
    _json,
    _reference,
    _request_id,
    admin,
)
from chalicelib.web.admin.shaping import _iso, shaped
from chalicelib.web.auth import admin_route, current_staff
from chalicelib.web.errors import problem
from chalicelib.web.request_parts import query_of

ATTACHMENT_ID = re.compile(r"[0-9a-f]{20}")


@admin_route(admin, "/admin/referrals/{reference}/attachments/{attachment_id}", methods=["GET"], roles=CASEWORK)
def attachment_download(reference: str, attachment_id: str) -> Response:
    """A 60-second download link to one kept document; the read is audited on the referral first."""

    def work() -> Response:
        from chalicelib.services.referral_attachments import AttachmentNotFound, download_attachment

        raw_reason = query_of(admin.current_request).get("reason")
        _check_choice("reason", raw_reason, [r.value for r in AccessReason])
        if not ATTACHMENT_ID.fullmatch(attachment_id):
            return problem(404, "attachment_not_found", ATTACHMENT_NOT_FOUND)
        try:
            download = download_attachment(
                _reference(reference),
                attachment_id,
                staff=current_staff(admin.current_request),
                request_id=_request_id(),
                reason=AccessReason(raw_reason) if raw_reason else None,
            )
        except AttachmentNotFound:
            return problem(404, "attachment_not_found", ATTACHMENT_NOT_FOUND)
        return _json(download_link(download))

    return answer_with(work)


def download_link(download: Any) -> dict[str, Any]:
    from chalicelib.web.admin.responses_sharing import AttachmentDownload

    link = {
        "url": download.url,
        "expires_at": _iso(download.expires_at),
        "filename": download.filename,
        "content_type": download.content_type,
    }
    return shaped(AttachmentDownload, link)


ATTACHMENT_NOT_FOUND = (
    "This referral has no kept document with that id: take it from the attachments in the whole picture"
)
