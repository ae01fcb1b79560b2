"""/admin/reports/ (chalicelib/web/admin_reports.py): the timeliness report's schemas and path."""

from __future__ import annotations

from typing import Any

from chalicelib.web.openapi_admin.shapes import (
    DATE_TIME,
    _object,
    _operation,
    _query,
    _ref,
)

# Rows are the domain's dataclasses (chalicelib/domain/timeliness.py): their schemas come from
# their fields, so a figure added there is documented here without an edit.

_FIELD_SCHEMAS: dict[str, dict[str, Any]] = {
    "int": {"type": "integer", "minimum": 0},
    "str": {"type": "string"},
    "float | None": {"anyOf": [{"type": "number", "minimum": 0}, {"type": "null"}]},
}


def _row_schema(row: type) -> dict[str, Any]:
    from dataclasses import fields

    return _object({f.name: _FIELD_SCHEMAS[str(f.type)] for f in fields(row)})


def report_schemas() -> dict[str, Any]:
    from chalicelib.domain.timeliness import AgencyRow, NoticeRow, RagRow

    date = {"type": "string", "format": "date"}
    return {
        "TimelinessRagRow": _row_schema(RagRow),
        "TimelinessAgencyRow": _row_schema(AgencyRow),
        "TimelinessNoticeRow": _row_schema(NoticeRow),
        "TimelinessReport": _object(
            {
                "from": date,
                "to": date,
                "timezone": {"type": "string", "const": "Europe/London"},
                "generated_at": DATE_TIME,
                "referrals": _object(
                    {
                        "by_rag": {"type": "array", "items": _ref("TimelinessRagRow")},
                        "total": _ref("TimelinessRagRow"),
                    }
                ),
                "agencies": {"type": "array", "items": _ref("TimelinessAgencyRow")},
                "notices": {"type": "array", "items": _ref("TimelinessNoticeRow")},
            }
        ),
    }


def report_paths() -> dict[str, Any]:
    from chalicelib.domain.timeliness import DATE_PATTERN, MAX_DAYS
    from chalicelib.web import admin_reports as reports

    date = {"type": "string", "format": "date", "pattern": DATE_PATTERN}
    operation = _operation(
        reports.timeliness,
        "How fast the hub decides: per RAG rating, per agency, and outcome notices, for referrals received "
        f"on London dates from..to (both included, at most {MAX_DAYS} days); metadata only, no decryption",
        "TimelinessReport",
        ("422",),
        parameters=[
            _query("from", date, "First London date of receipt, YYYY-MM-DD", required=True),
            _query("to", date, "Last London date of receipt (included), YYYY-MM-DD", required=True),
            _query(
                "format",
                {"type": "string", "enum": ["json", "csv"], "default": "json"},
                "csv: a download, one figure a line (section, key, label, measure, value)",
            ),
        ],
    )
    operation["responses"]["200"]["content"]["text/csv"] = {"schema": {"type": "string"}}
    return {"/admin/reports/timeliness": {"get": operation}}
