"""Response models of the public JSON API (api.py) and the error every JSON route answers with
(errors.py `problem`): the OpenAPI document's schemas for them are generated from these."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

from chalicelib.domain.lifecycle import ReferralStatus

DateTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
# Read-aloud reference: no 0, 1, I, L, O or U (chalicelib/domain/reference.py).
_SYMBOL = "[2-9A-HJKMNP-TV-Z]"
REFERENCE_PATTERN = f"^{_SYMBOL}{{3}}-{_SYMBOL}{{3}}-{_SYMBOL}{{3}}$"


def _no_default(schema: dict[str, Any]) -> None:
    # A key that is left out rather than null: no "default": null in the document.
    schema.pop("default", None)


class FieldError(BaseModel):
    field: str = Field(examples=["children.0.date_of_birth"])
    message: str


class Error(BaseModel):
    """Every refusal: a stable code, what to fix, and for a body with problems one entry per field."""

    error: str = Field(description="A stable code, e.g. invalid_referral")
    message: str = Field(description="What to fix, in plain English")
    # Left out when there is nothing to say field by field (never null).
    errors: list[FieldError] | SkipJsonSchema[None] = Field(default=None, json_schema_extra=_no_default)


class Receipt(BaseModel):
    """The answer to POST /api/referrals: stored, and what happens next."""

    model_config = ConfigDict(extra="forbid")

    reference: str = Field(pattern=REFERENCE_PATTERN, description="Read-aloud reference: no 0, 1, I, L, O or U")
    # "received" for a new referral; a repeat of an earlier request answers where that referral stands now.
    status: ReferralStatus
    received_at: DateTime
    next_steps: str = Field(
        description="What will really happen, by MASH working hours (Europe/London, without bank holidays) "
        "when the referral came in. In hours: screened today (protection) or within one working day. Out of "
        "hours, a protection or immediate-risk referral: the emergency duty team has been told, with the "
        "out-of-hours number; a support referral: the next working day, named (e.g. Monday 7 December)"
    )
    immediate_risk_advice: str | SkipJsonSchema[None] = Field(
        default=None, description="Present when immediate_risk is true: who to ring now", json_schema_extra=_no_default
    )
    attachments_token: str = Field(
        description="Bearer token for POST /api/referrals/{reference}/attachments: names the referral, nothing "
        "personal; works until attachments_until"
    )
    attachments_until: DateTime = Field(description="Documents can be added until then (1 hour after received_at)")
    attachments_url: str = Field(description="Where to ask for an upload")


class UploadOffer(BaseModel):
    """The answer to POST /api/referrals/{reference}/attachments: an S3 presigned POST for one file."""

    model_config = ConfigDict(extra="forbid")

    upload_id: str
    url: str = Field(description="POST the file here as multipart/form-data")
    fields: dict[str, str] = Field(
        description="Send every field as given, before the file itself (a part named `file`, last)"
    )
    expires_at: DateTime = Field(description="The upload must be sent before then")
    attachments_until: DateTime


class GatewayUnauthorized(BaseModel):
    """API Gateway (and Chalice's local gateway) answer a request with no Authorization header
    themselves, before our authorizer runs: this is their shape, not ours."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(examples=["Unauthorized"])
