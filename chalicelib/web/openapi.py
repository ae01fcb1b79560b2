"""The OpenAPI 3.1 document, built from the same pydantic models that validate requests,
so the document cannot drift from what the API accepts. The staff API's part is in openapi_admin."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.domain.referral import ReferralSubmission

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "A stable code, e.g. invalid_referral"},
        "message": {"type": "string", "description": "What to fix, in plain English"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string", "examples": ["children.0.date_of_birth"]},
                    "message": {"type": "string"},
                },
            },
        },
    },
}

RECEIPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["reference", "status", "received_at", "next_steps"],
    "properties": {
        "reference": {
            "type": "string",
            "pattern": "^[2-9A-HJKMNP-TV-Z]{3}-[2-9A-HJKMNP-TV-Z]{3}-[2-9A-HJKMNP-TV-Z]{3}$",
            "description": "Read-aloud reference: no 0, 1, I, L, O or U",
        },
        "status": {"type": "string", "enum": ["received"]},
        "received_at": {"type": "string", "format": "date-time"},
        "next_steps": {
            "type": "string",
            "description": "What will really happen, by MASH working hours (Europe/London, without bank holidays) "
            "when the referral came in. In hours: screened today (protection) or within one working day. Out of "
            "hours, a protection or immediate-risk referral: the emergency duty team has been told, with the "
            "out-of-hours number; a support referral: the next working day, named (e.g. Monday 7 December)",
        },
        "immediate_risk_advice": {
            "type": "string",
            "description": "Present when immediate_risk is true: who to ring now",
        },
        "attachments_token": {
            "type": "string",
            "description": "Bearer token for POST /api/referrals/{reference}/attachments: names the referral, nothing personal; works until attachments_until",
        },
        "attachments_until": {
            "type": "string",
            "format": "date-time",
            "description": "Documents can be added until then (1 hour after received_at)",
        },
        "attachments_url": {"type": "string", "description": "Where to ask for an upload"},
    },
}

UPLOAD_OFFER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["upload_id", "url", "fields", "expires_at", "attachments_until"],
    "properties": {
        "upload_id": {"type": "string"},
        "url": {"type": "string", "description": "POST the file here as multipart/form-data"},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Send every field as given, before the file itself (a part named `file`, last)",
        },
        "expires_at": {"type": "string", "format": "date-time", "description": "The upload must be sent before then"},
        "attachments_until": {"type": "string", "format": "date-time"},
    },
}


def _attachments_path() -> dict[str, Any]:
    from chalicelib.domain.attachments import ACCEPTED_TYPES, MAX_FILES, describe_size
    from chalicelib.settings import get_settings

    limit = describe_size(get_settings().attachment_max_bytes)
    types = ", ".join(f"{label} ({kind})" for kind, label in ACCEPTED_TYPES.items())
    return {
        "post": {
            "operationId": "addAttachment",
            "summary": "Add a document to a referral just sent: an upload straight to storage",
            "description": (
                f"Up to {MAX_FILES} documents, each at most {limit}, within an hour of sending the referral, "
                f"authorised by its attachments_token. Types: {types}. The answer is an S3 presigned POST: send "
                "`fields` and then the file (multipart/form-data, the file last) to `url`. The file is checked "
                "by its content and structure when it arrives, whatever its name or declared type (a Word file "
                "with macros, a PDF holding HTML or JavaScript, SVG, HTML and archives are refused); one that is "
                "not kept is recorded as refused for the MASH to see. Staff download a kept file under its name "
                "with the extension of the type its content was found to be (notes.hta that is plain text is "
                "saved as notes.txt). Nothing uploaded can be read back through this API."
            ),
            "security": [{"attachmentsToken": []}],
            "parameters": [
                {
                    "name": "reference",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "The referral's reference, from the 201 answer",
                }
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AttachmentRequest"}}},
            },
            "responses": {
                "201": {
                    "description": "An upload for one file",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UploadOffer"}}},
                },
                "400": _error("Malformed JSON, or JSON nested more than 32 levels deep"),
                "401": _error("No attachments token, or one that is forged, for another referral or expired"),
                "409": _error(f"The referral already has {MAX_FILES} documents"),
                "413": _error("Body over 4 KiB"),
                "415": _error("Content-Type is not application/json"),
                "422": _error("A type the hub does not keep, a size over the limit, or a missing filename"),
                "503": _error("Not available just now; try again"),
            },
        }
    }


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _add_schemas(components: dict[str, Any], new: dict[str, Any]) -> None:
    # Two models may share an enum's $def; two different shapes under one name would be a lie.
    for name, schema in new.items():
        if components.setdefault(name, schema) != schema:
            raise ValueError(f"Two different schemas are both named {name!r} in the OpenAPI document")


def _attachment_request_schema() -> dict[str, Any]:
    from chalicelib.domain.attachments import ACCEPTED_TYPES, AttachmentRequest
    from chalicelib.settings import get_settings

    schema = AttachmentRequest.model_json_schema()
    schema["properties"]["content_type"]["enum"] = list(ACCEPTED_TYPES)
    schema["properties"]["size"]["minimum"] = 1
    schema["properties"]["size"]["maximum"] = get_settings().attachment_max_bytes
    schema["properties"]["size"]["description"] = "The file's size in bytes"
    return schema


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    from chalicelib.settings import get_settings
    from chalicelib.web.openapi_admin import BEARER_AUTH, admin_paths, request_schemas, response_schemas

    schema = ReferralSubmission.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema.pop("$defs", {})
    components["ReferralSubmission"] = schema
    components["Error"] = ERROR_SCHEMA
    components["Receipt"] = RECEIPT_SCHEMA
    components["UploadOffer"] = UPLOAD_OFFER_SCHEMA
    components["AttachmentRequest"] = _attachment_request_schema()
    _add_schemas(components, request_schemas())
    _add_schemas(components, response_schemas())
    receipt = {"application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}
    limit_kib = get_settings().max_body_bytes // 1024
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MASH referral hub",
            "version": "1.0.0",
            "description": (
                "Request for Support, Help and Protection (RSHP) for agency systems. "
                "If a child is at immediate risk of harm, ring 999 (or the police on 101) first. "
                "Routes under /admin/ are the staff API: each needs a staff ID token (bearerAuth) "
                "holding one of the roles it names."
            ),
        },
        "paths": {
            "/api/referrals": {
                "post": {
                    "operationId": "createReferral",
                    "summary": "Send a referral to the MASH",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "description": "Send the same key when retrying: the same key and body give the same referral; the same key with another body gives 422. A key is scoped to the referrer's email address, so another sender's key never returns their referral nor tells you it was used.",
                            "schema": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": 255,
                                "pattern": "^[\\x21-\\x7e]+$",
                            },
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "description": f"The referral, at most {limit_kib} KiB of JSON.",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ReferralSubmission"}}
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Stored; an acknowledgement is on its way to the referrer",
                            "content": receipt,
                        },
                        "200": {
                            "description": "A repeat of an earlier request with the same Idempotency-Key: the same referral",
                            "content": receipt,
                        },
                        "400": _error(
                            "Malformed JSON (or nested more than 32 levels deep), or an invalid Idempotency-Key"
                        ),
                        "413": _error(f"Body over {limit_kib} KiB"),
                        "415": _error("Content-Type is not application/json"),
                        "422": _error(
                            "Fields with problems (one entry per field), or an Idempotency-Key reused with another body"
                        ),
                        "429": _error(
                            "Too many referrals from this address in the window: wait Retry-After seconds, then send again with the same Idempotency-Key"
                        ),
                        "503": _error("Not stored this time; retry with the same Idempotency-Key"),
                    },
                }
            },
            "/api/referrals/{reference}/attachments": _attachments_path(),
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapiDocument",
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.1 document", "content": {"application/json": {}}}},
                }
            },
            **admin_paths(),
        },
        "components": {
            "schemas": components,
            "securitySchemes": {
                **BEARER_AUTH,
                "attachmentsToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The attachments_token of POST /api/referrals's answer",
                },
            },
        },
    }
