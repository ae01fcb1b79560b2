"""A manager's request for an export to the case-management system (README "Export to the case-management system")."""

from __future__ import annotations

from chalice import Response

from chalicelib.web.admin.answers import answer_with
from chalicelib.web.admin.common import MANAGERS, _json, _now, _reference, _request_id, admin
from chalicelib.web.admin.shaping import _iso, shaped
from chalicelib.web.auth import admin_route, current_staff
from chalicelib.web.json_body import ANY_BODY

SCHEMA_URL = "/api/export-schema.json"


@admin_route(admin, "/admin/referrals/{reference}/export", methods=["POST"], roles=MANAGERS, content_types=ANY_BODY)
def case_export(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.services.request_export import request_export
        from chalicelib.web.admin.responses_export import CaseExportOwed

        referral, export_id = request_export(
            _reference(reference), staff=current_staff(admin.current_request), request_id=_request_id()
        )
        answer = {
            "reference": referral.reference,
            "export_id": export_id,
            "status": "pending",
            "owed_at": _iso(_now()),
            "schema_url": SCHEMA_URL,
        }
        return _json(shaped(CaseExportOwed, answer), status=202)

    return answer_with(work)
