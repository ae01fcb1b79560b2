"""JSON API for agency systems: POST /api/referrals and its OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain.failures import AwsError
from chalicelib.web.errors import problem, unavailable
from chalicelib.web.json_body import ANY_BODY, BodyRefused, parse_json
from chalicelib.web.request_parts import body_bytes

api = Blueprint(__name__)

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@api.route("/api/referrals", methods=["POST"], content_types=ANY_BODY)
def create_referral() -> Response:
    from chalicelib.domain.referral import ReferralSubmission
    from chalicelib.settings import get_settings

    request = api.current_request
    key = request.headers.get("idempotency-key")
    try:
        if key is not None and not IDEMPOTENCY_KEY.match(key):
            raise BodyRefused(
                problem(
                    400,
                    "invalid_idempotency_key",
                    "Idempotency-Key must be 1 to 255 visible ASCII characters, like a UUID",
                )
            )
        submission = parse_json(request, ReferralSubmission, get_settings().max_body_bytes, "referral")
    except BodyRefused as refused:
        return refused.response
    return _submit(submission, key)


def _submit(submission: Any, key: str | None) -> Response:
    from chalicelib.services.submit_referral import IdempotencyConflict, submit_referral
    from chalicelib.web.api_responses import Receipt

    try:
        receipt = submit_referral(submission, idempotency_key=key)
    except IdempotencyConflict:
        return problem(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different referral: use a new key for a new referral",
        )
    except AwsError as error:
        # Nothing was stored: the agency system may safely send the same request again.
        return unavailable(
            "The hub could not store the referral just now and nothing was saved: send it again in a minute with the same Idempotency-Key",
            code="not_stored",
            error=error,
        )
    answer = Receipt(
        reference=receipt.reference,
        status=receipt.status,
        received_at=receipt.received_at.isoformat(timespec="seconds"),
        next_steps=next_steps(submission.route, submission.immediate_risk, receipt.received_at),
        immediate_risk_advice=_immediate_risk_advice() if submission.immediate_risk else None,
        **_attachments(receipt.reference, receipt.received_at),
    )
    body = answer.model_dump(mode="json", exclude_none=True)
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    if not receipt.created:
        headers["Idempotent-Replayed"] = "true"
    return Response(body=body, status_code=201 if receipt.created else 200, headers=headers)


def _attachments(reference: str, received_at: Any) -> dict[str, str]:
    """How to add documents to this referral (README "Documents"): the same token on a repeat."""
    from chalicelib.domain.attachments import window_closes
    from chalicelib.services.referral_attachments import attachments_token

    return {
        "attachments_token": attachments_token(reference, received_at),
        "attachments_until": window_closes(received_at).isoformat(timespec="seconds"),
        "attachments_url": f"/api/referrals/{reference}/attachments",
    }


ATTACHMENT_BODY_LIMIT = 4 * 1024


@api.route("/api/referrals/{reference}/attachments", methods=["POST"], content_types=ANY_BODY)
def add_attachment(reference: str) -> Response:
    """A presigned POST for one document; `Authorization: Bearer <attachments_token>`."""
    from chalicelib.domain.attachments import UploadRefused

    request = api.current_request
    if len(body_bytes(request)) > ATTACHMENT_BODY_LIMIT:
        # As every public POST: an oversized body is refused before anything else is looked at.
        return problem(
            413, "body_too_large", "The body is larger than 4 KiB: send only filename, content_type and size"
        )
    try:
        offer = _offer_upload(reference, request)
    except BodyRefused as refused:
        return refused.response
    except UploadRefused as refused:
        challenge = {"WWW-Authenticate": "Bearer"} if refused.status == 401 else None
        return problem(refused.status, refused.code, str(refused), headers=challenge)
    except AwsError as error:
        return unavailable("The hub could not prepare the upload just now: try again in a minute", error=error)
    return _offer_answer(offer)


def _offer_answer(offer: Any) -> Response:
    """The 201 with the presigned POST (its model imported here: not on the cold start's path)."""
    from chalicelib.web.api_responses import UploadOffer

    answer = UploadOffer(
        upload_id=offer.upload_id,
        url=offer.url,
        fields=offer.fields,
        expires_at=offer.expires_at.isoformat(timespec="seconds"),
        attachments_until=offer.window_closes_at.isoformat(timespec="seconds"),
    )
    return Response(
        body=answer.model_dump(mode="json"),
        status_code=201,
        headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
    )


def _offer_upload(reference: str, request: Any) -> Any:
    """The body read, the bearer token checked against this referral, and the upload offered."""
    from chalicelib.domain.attachments import AttachmentRequest, UploadRefused
    from chalicelib.domain.reference import normalise
    from chalicelib.services.referral_attachments import offer_upload

    body = parse_json(request, AttachmentRequest, ATTACHMENT_BODY_LIMIT, "attachment")
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UploadRefused(
            "token_required",
            "Send the referral's attachments_token as Authorization: Bearer <attachments_token>",
            status=401,
        )
    normalised = normalise(reference)
    if normalised is None:
        raise UploadRefused("invalid_token", "The attachments token is for another referral", status=401)
    return offer_upload(normalised, token=token, filename=body.filename, content_type=body.content_type, size=body.size)


def next_steps(route: Any, immediate_risk: bool, received_at: Any) -> str:
    """What will really happen, by the working-hours clock at receipt (domain/out_of_hours.py):
    out of hours the emergency duty team is told, or the next working day is named."""
    from chalicelib.domain.out_of_hours import WhatHappensNext
    from chalicelib.settings import get_settings

    s = get_settings()
    return WhatHappensNext.at(received_at, route, immediate_risk).summary(
        office_phone=s.mash_phone_office_hours, out_of_hours_phone=s.mash_phone_out_of_hours
    )


def _immediate_risk_advice() -> str:
    from chalicelib.settings import get_settings

    s = get_settings()
    return (
        f"A child at immediate risk of harm needs an emergency response: ring {s.emergency_number}, "
        f"or the police on {s.police_non_emergency_number}, and the MASH on {s.mash_phone_office_hours} "
        f"({s.mash_office_hours}) or {s.mash_phone_out_of_hours} out of hours. This referral has been stored."
    )


@api.route("/api/openapi.json", methods=["GET"])
def openapi_document() -> Response:
    from chalicelib.web.openapi import document

    return Response(body=document(), status_code=200, headers={"Content-Type": "application/json"})


@api.route("/api/export-schema.json", methods=["GET"])
def export_schema_document() -> Response:
    """The JSON Schema of the export to the case-management system (README "Export to the case-management system")."""
    from chalicelib.domain.case_export_document import export_schema

    return Response(body=export_schema(), status_code=200, headers={"Content-Type": "application/schema+json"})
