"""Notices: the parents' outcome notice (withheld or released), a notice's preview, and releasing a family
email held for its translation.
"""

from __future__ import annotations

import re

from chalice import Response

from chalicelib.web.admin.answers import answer_with
from chalicelib.web.admin.common import (
    CASEWORK,
    MANAGERS,
    STAFF_BODY_LIMIT,
    _access_reason,
    _json,
    _reference,
    _request_id,
    admin,
)
from chalicelib.web.admin.shaping import _state, shaped
from chalicelib.web.auth import admin_route, current_staff
from chalicelib.web.errors import problem
from chalicelib.web.json_body import ANY_BODY, parse_json

NOTICE_ID = re.compile(r"[a-z0-9_:-]{1,64}")


@admin_route(
    admin, "/admin/referrals/{reference}/outcome-notice", methods=["POST"], roles=MANAGERS, content_types=ANY_BODY
)
def outcome_notice(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.tell_outcome import record_outcome_notice_choice
        from chalicelib.web.admin.models import OutcomeNoticeRequest

        body = parse_json(admin.current_request, OutcomeNoticeRequest, STAFF_BODY_LIMIT, "outcome notice")
        referral = record_outcome_notice_choice(
            _reference(reference),
            withhold=body.withhold,
            reason=body.reason,
            review_on=body.review_on,
            staff=current_staff(admin.current_request),
            request_id=_request_id(),
        )
        return _json(_state(referral))

    return answer_with(work)


@admin_route(admin, "/admin/referrals/{reference}/notices/{notice_id}/preview", methods=["GET"], roles=CASEWORK)
def notice_preview(reference: str, notice_id: str) -> Response:
    def work() -> Response:
        from chalicelib.services.tell_outcome import NoticeNotFound, preview_notice
        from chalicelib.web.admin.responses import NoticePreview

        if not NOTICE_ID.fullmatch(notice_id):
            raise NoticeNotFound(notice_id)
        try:
            preview = preview_notice(
                _reference(reference),
                notice_id,
                staff=current_staff(admin.current_request),
                request_id=_request_id(),
                reason=_access_reason(),
            )
        except ValueError:
            return problem(409, "cannot_compose", "This notice cannot be written now (e.g. its request was answered)")
        return _json(shaped(NoticePreview, vars(preview)))

    return answer_with(work)


@admin_route(
    admin,
    "/admin/referrals/{reference}/notices/{notice_id}/release",
    methods=["POST"],
    roles=CASEWORK,
    content_types=ANY_BODY,
)
def notice_release(reference: str, notice_id: str) -> Response:
    """Let a family email held for translation go: with its translation (both versions), or in English."""

    def work() -> Response:
        from chalicelib.services.tell_outcome import NoticeNotFound
        from chalicelib.services.translations import release_held_notice
        from chalicelib.web.admin.models import NoticeReleaseRequest

        if not NOTICE_ID.fullmatch(notice_id):
            raise NoticeNotFound(notice_id)
        body = parse_json(admin.current_request, NoticeReleaseRequest, STAFF_BODY_LIMIT, "release")
        referral = release_held_notice(
            _reference(reference), notice_id, text=body.translation, english_reason=body.english_reason,
            staff=current_staff(admin.current_request), request_id=_request_id(),
        )  # fmt: skip
        return _json(_state(referral))

    return answer_with(work)
