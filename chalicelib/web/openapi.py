"""The OpenAPI 3.1 document, built from the pydantic models that validate requests and shape answers
(chalicelib/web/api_responses.py here, chalicelib/web/admin/responses*.py for the staff API), so the
document cannot drift from what the API accepts and answers. The staff API's part is in openapi_admin."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.domain.referral import ReferralSubmission


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
    from chalicelib.web.api_responses import Error, Receipt, UploadOffer
    from chalicelib.web.openapi_admin import BEARER_AUTH, add_schemas, admin_paths, admin_schemas, model_schemas

    components = model_schemas([ReferralSubmission], "validation")
    add_schemas(components, {"AttachmentRequest": _attachment_request_schema()})
    add_schemas(components, model_schemas([Error, Receipt, UploadOffer], "serialization"))
    add_schemas(components, admin_schemas())
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
            "/api/export-schema.json": {
                "get": {
                    "operationId": "caseExportSchema",
                    "summary": "The JSON Schema of the export to the case-management system (version 1.0)",
                    "responses": {
                        "200": {"description": "JSON Schema 2020-12", "content": {"application/schema+json": {}}}
                    },
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
