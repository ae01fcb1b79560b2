"""Request bodies: the JSON Schemas of the pydantic models the staff API parses with."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def request_schemas() -> dict[str, Any]:
    """The bodies' JSON Schemas from the pydantic models that parse them, with their $defs."""
    from chalicelib.web.admin import (
        ApprovalRequest,
        ConsentRequest,
        DecisionRequest,
        EnquiriesRequest,
        LegalHoldRequest,
        OnwardReferralRequest,
        OutcomeNoticeRequest,
        ParentsToldRequest,
        ScreeningRequest,
        SubjectAccessRequest,
        TriageAttachRequest,
        TriageRejectRequest,
    )
    from chalicelib.web.admin_enquiries import WithdrawEnquiryRequest

    schemas: dict[str, Any] = {}
    model: type[BaseModel]
    for model in (
        WithdrawEnquiryRequest,
        ScreeningRequest,
        DecisionRequest,
        ApprovalRequest,
        ConsentRequest,
        ParentsToldRequest,
        OutcomeNoticeRequest,
        OnwardReferralRequest,
        EnquiriesRequest,
        TriageAttachRequest,
        TriageRejectRequest,
        LegalHoldRequest,
        SubjectAccessRequest,
    ):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas
