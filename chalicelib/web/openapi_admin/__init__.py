"""The staff API's part of the OpenAPI document: every /admin/ route, its roles, bodies and answers.

Request bodies come from the pydantic models chalicelib/web/admin/ parses with, roles from what each
route declares with `admin_route`, and enums from the domain's StrEnums, so none of them can drift.
Response schemas are written by hand for the dicts the staff API builds; `additionalProperties: false`
keeps them honest (tests/test_openapi_admin.py validates real answers against them, and the fuzz
suite checks every answer it gets).

    shapes.py            error answers, schema helpers (_object, _ref, ...), one operation (_operation)
    parameters.py        path and query parameters
    requests.py          request bodies, from the pydantic models
    schemas_referral.py  response schemas for a referral (response_schemas: every response schema)
    schemas_sharing.py   response schemas for documents, agency replies, triage, enquiries
    paths.py             every /admin/ path (admin_paths)
    reports.py           /admin/reports/
    out_of_hours.py      the emergency duty team's handover

Response schemas generated from pydantic response models (chalicelib/web/admin/responses.py, through
`_from_model`): the audit trail's (AuditEvent, AuditTrail, ChainReport). Still to do (issue 12): the
other areas, one at a time, each keeping the document equivalent; then the routes could build their
answers from the same models.
"""

from __future__ import annotations

from chalicelib.web.openapi_admin.out_of_hours import (
    OUT_OF_HOURS_FLAG,
    OUT_OF_HOURS_TEXT,
    out_of_hours_paths,
    out_of_hours_schemas,
)
from chalicelib.web.openapi_admin.parameters import (
    ATTACHMENT_ID_IN_PATH,
    NOTICE_ID_IN_PATH,
    REFERENCE_IN_PATH,
    TRIAGE_ID_IN_PATH,
)
from chalicelib.web.openapi_admin.paths import admin_paths
from chalicelib.web.openapi_admin.reports import report_paths, report_schemas
from chalicelib.web.openapi_admin.requests import request_schemas
from chalicelib.web.openapi_admin.schemas_referral import response_schemas
from chalicelib.web.openapi_admin.schemas_sharing import sharing_schemas
from chalicelib.web.openapi_admin.shapes import (
    BEARER_AUTH,
    BODY_ERRORS,
    DATE_TIME,
    ERROR_DESCRIPTIONS,
    REFERENCE_EXAMPLE,
    SIGN_IN_ERRORS,
    _enum,
    _from_model,
    _nullable,
    _object,
    _operation,
    _query,
    _ref,
)

__all__ = [
    "ATTACHMENT_ID_IN_PATH",
    "BEARER_AUTH",
    "BODY_ERRORS",
    "DATE_TIME",
    "ERROR_DESCRIPTIONS",
    "NOTICE_ID_IN_PATH",
    "OUT_OF_HOURS_FLAG",
    "OUT_OF_HOURS_TEXT",
    "REFERENCE_EXAMPLE",
    "REFERENCE_IN_PATH",
    "SIGN_IN_ERRORS",
    "TRIAGE_ID_IN_PATH",
    "_enum",
    "_from_model",
    "_nullable",
    "_object",
    "_operation",
    "_query",
    "_ref",
    "admin_paths",
    "out_of_hours_paths",
    "out_of_hours_schemas",
    "report_paths",
    "report_schemas",
    "request_schemas",
    "response_schemas",
    "sharing_schemas",
]
