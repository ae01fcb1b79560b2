"""The staff API's part of the OpenAPI document: every /admin/ route, its roles, bodies and answers.

Request bodies come from the pydantic models admin.py parses with, roles from what each route
declares with `admin_route`, and enums from the domain's StrEnums, so none of them can drift.
Response schemas are written by hand for the dicts admin.py builds; `additionalProperties: false`
keeps them honest (tests/test_openapi_admin.py validates real answers against them, and the fuzz
suite checks every answer it gets).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

BEARER_AUTH = {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
REFERENCE_EXAMPLE = "K7Q-F3M-RW9"

ERROR_DESCRIPTIONS: dict[str, str] = {
    "400": "The body is not valid JSON",
    "401": "No staff token, or an expired, forged or foreign one",
    "403": "The token's roles do not include one this route needs (or the rules refuse this person)",
    "404": "No referral has that reference",
    "409": "Not allowed in the referral's current status, or someone else changed it meanwhile",
    "413": "Body over 16 KiB",
    "415": "Content-Type is not application/json",
    "422": "A parameter or field with a problem: the message says what to fix",
    "503": "Staff sign-in or the store is unavailable just now; nothing was changed",
}
# Every admin route can answer these: the role check runs before the route's own work.
SIGN_IN_ERRORS = ("401", "403", "503")
BODY_ERRORS = ("400", "413", "415", "422")


def _enum(values: type[StrEnum] | list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": sorted(str(value) for value in values)}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "properties": properties,
        "additionalProperties": False,
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


DATE_TIME = {"type": "string", "format": "date-time"}


def response_schemas() -> dict[str, Any]:
    """JSON Schemas of what admin.py answers with, by component name."""
    from chalicelib.domain.agencies import AgencyId
    from chalicelib.domain.agency_replies import TriageReason, TriageStatus
    from chalicelib.domain.attachments import Refusal
    from chalicelib.domain.audit import AuditAction
    from chalicelib.domain.consent import ConsentSource, ConsentState, ParentsToldState
    from chalicelib.domain.contact_plan import Why
    from chalicelib.domain.decision import Outcome, Rag
    from chalicelib.domain.enquiries import EnquiryState
    from chalicelib.domain.lifecycle import Action, ReferralStatus
    from chalicelib.domain.notices import NoticeKind, NoticeStatus
    from chalicelib.domain.onward_referral import Section
    from chalicelib.domain.outcome_notices import HeldBecause, OutcomeNoticeChoice
    from chalicelib.domain.protective_decisions import ProtectiveDecision
    from chalicelib.domain.referral import Route
    from chalicelib.domain.referral_record import Channel
    from chalicelib.domain.staff import Role
    from chalicelib.domain.tasks import TaskKind

    decision = {
        "outcome": _enum(Outcome),
        "decided_by": {"type": "string", "description": "Staff id (the token's sub), never a name"},
        "decided_at": _nullable(DATE_TIME),
        "needs_approval": {"type": "boolean"},
        "approved_by": _nullable({"type": "string"}),
        "approved_at": _nullable(DATE_TIME),
    }
    state = {
        "reference": {"type": "string", "examples": [REFERENCE_EXAMPLE]},
        "status": _enum(ReferralStatus),
        "rag": _nullable(_enum(Rag)),
        "due_at": _nullable(DATE_TIME),
        "working_together_due_at": _nullable(DATE_TIME),
        "decision": _nullable(_ref("DecisionSummary")),
        "closed_at": _nullable(DATE_TIME),
        "retention_until": _nullable({**DATE_TIME, "description": "When the retention sweep may delete it"}),
        "legal_hold": {"type": "boolean", "description": "A manager's hold stops deletion until lifted"},
        "consent": _enum(ConsentState),
        "sharing_allowed": {"type": "boolean", "description": "Whether agencies may be asked to share information"},
        "sharing_refusal": _nullable({"type": "string", "description": "Why not, and what would unblock it"}),
        "parents_told": _nullable(_enum(ParentsToldState)),
        "allowed_actions": {"type": "array", "items": _enum(Action)},
    }
    screening = {
        "rag": _enum(Rag),
        "level": {"type": "integer", "minimum": 1, "maximum": 4},
        "rationale": {"type": "string"},
        "screened_by": {"type": "string"},
        "screened_at": _nullable(DATE_TIME),
        "decision_due_at": _nullable(DATE_TIME),
    }
    notice = {
        "notice_id": {"type": "string", "description": "Names the notice in .../notices/{notice_id}/preview"},
        "kind": _enum(NoticeKind),
        "recipient": {"type": "string", "description": "referrer, parent:<n> or a service: never an address"},
        "status": _enum(NoticeStatus),
        "attempts": {"type": "integer", "minimum": 0},
        "last_error": _nullable({"type": "string"}),
        "sent_at": _nullable(DATE_TIME),
        "history": {
            "type": "array",
            "description": "Delivery events in the order they arrived",
            "items": _object({"status": _enum(NoticeStatus), "at": DATE_TIME}),
        },
        "translation_needed": _nullable(
            {"type": "string", "description": "The person's first language: staff arrange a translation (no machine)"}
        ),
        "held_for_translation": {
            "type": "boolean",
            "description": "Not sent until its translation is added (both versions go) or it is released in English",
        },
        "released": _nullable(
            _object(
                {
                    "language": {"type": "string"},
                    "how": {"type": "string", "enum": ["translated", "in_english"]},
                    "english_reason": _nullable({"type": "string"}),
                    "decided_by": {"type": "string"},
                    "decided_at": DATE_TIME,
                }
            )
        ),
    }
    task = {
        "id": {"type": "string"},
        "kind": _enum(TaskKind),
        "text": {"type": "string"},
        "created_at": _nullable(DATE_TIME),
        "about": _nullable({"type": "string"}),
        "done_at": _nullable(DATE_TIME),
        "due_on": {
            **_nullable({"type": "string", "format": "date"}),
            "description": "When it is due: a review task (review_*) is due on its review date",
        },
    }
    event = {
        "sequence": {"type": "integer", "minimum": 1},
        "action": _enum(AuditAction),
        "at": DATE_TIME,
        "actor": {"type": "string"},
        "role": {"type": "string"},
        "request_id": _nullable({"type": "string"}),
        "details": {"type": "object", "additionalProperties": {"type": "string"}},
    }
    queue_row = {
        "reference": {"type": "string"},
        "route": _enum(Route),
        "status": _enum(ReferralStatus),
        "rag": _nullable(_enum(Rag)),
        "level": _nullable({"type": "integer", "minimum": 1, "maximum": 4}),
        "proposed_level": {"type": "integer"},
        "immediate_risk": {"type": "boolean", "description": "The referrer said a child is at immediate risk"},
        "received_at": DATE_TIME,
        "due_at": _nullable(DATE_TIME),
        "review_due_on": {
            **_nullable({"type": "string", "format": "date"}),
            "description": "A review date has come: the earliest open review task's date (see the tasks)",
        },
        "out_of_hours": OUT_OF_HOURS_FLAG,
    }
    picture = {
        **state,
        "route": _enum(Route),
        "channel": _enum(Channel),
        "received_at": _nullable(DATE_TIME),
        "immediate_risk": {"type": "boolean"},
        "proposed_level": {"type": "integer"},
        "screening": _nullable(_ref("Screening")),
        "decision": _nullable(_ref("Decision")),
        "notices": {"type": "array", "items": _ref("Notice")},
        "tasks": {"type": "array", "items": _ref("Task")},
        "submission": _ref("ReferralSubmission"),
        "consent_record": _ref("ConsentRecord"),
        "onward_referrals": {
            "type": "array",
            "description": "What was passed to other services, to whom and why",
            "items": _ref("OnwardReferral"),
        },
        "parents_told_decision": _nullable(_ref("ParentsToldDecision")),
        "contact_plan": {
            "type": "array",
            "description": "Who in the family is contacted (consent requests, parents told, outcome notices), and why",
            "items": _ref("ContactPlanEntry"),
        },
        "protective_decisions": {
            "type": "array",
            "description": "Decisions holding something back from the family to protect the child; only the role "
            "that may make one may reverse it or release what it holds",
            "items": _object({"decision": _enum(ProtectiveDecision), "made_by": _enum(Role)}),
        },
        "outcome_notice": _ref("OutcomeNotice"),
        "enquiries": {
            "type": "array",
            "description": "Information requests to partner agencies and whether each is answered",
            "items": _ref("Enquiry"),
        },
        "replies": {
            "type": "array",
            "description": "The agencies' answers: their own words (text) and the whole email (full_text)",
            "items": _ref("AgencyReply"),
        },
        "attachments": {
            "type": "array",
            "description": "Documents the referrer added after sending: kept (download by id) or refused (why)",
            "items": _ref("ReferralAttachment"),
        },
        "out_of_hours": _nullable({**_ref("OutOfHours"), "description": OUT_OF_HOURS_TEXT}),
        "history": {"type": "array", "items": _ref("AuditEvent")},
        "known_before": {
            "type": "array",
            "description": "Other referrals of the same child(ren), found without decrypting them",
            "items": _ref("KnownReferral"),
        },
    }
    plan_entry = {
        "person": {"type": "string", "description": "parent:<n>, household:<n> or risk:<n>: never a name"},
        "role": {"type": "string"},
        "name": _nullable({"type": "string"}),
        "relationship": {"type": "string"},
        "has_email": {"type": "boolean"},
        "parental_responsibility": _nullable({"type": "boolean", "description": "null: not known"}),
        "safe_to_contact": _nullable({"type": "boolean", "description": "null: nobody has said"}),
        "safe_said_by": _nullable({"type": "string", "enum": ["referrer", "mash"]}),
        "may_pose_risk": {"type": "boolean"},
        "told": {"type": "boolean", "description": "Whether family notices go to this person"},
        "why": _enum(Why),
        "why_text": {"type": "string"},
        "review_on": _nullable({"type": "string", "format": "date"}),
        "decided_by": _nullable({"type": "string"}),
        "decided_at": _nullable(DATE_TIME),
        "reason": _nullable({"type": "string"}),
    }
    known_referral = {
        "reference": {"type": "string"},
        "route": _enum(Route),
        "status": _enum(ReferralStatus),
        "received_at": _nullable(DATE_TIME),
        "outcome": _nullable(_enum(Outcome)),
    }
    date = {"type": "string", "format": "date"}
    consent_record = {
        "state": _enum(ConsentState),
        "source": _enum(ConsentSource),
        "recorded_by": {"type": "string"},
        "recorded_at": _nullable(DATE_TIME),
        "given_by": _nullable({"type": "string"}),
        "given_on": _nullable(date),
        "how": _nullable({"type": "string"}),
        "service": _nullable({"type": "string"}),
        "reason": _nullable({"type": "string"}),
        "review_on": _nullable(date),
        "signed_off_by": _nullable({"type": "string"}),
    }
    parents_told = {
        "state": _enum(ParentsToldState),
        "decided_by": _nullable({"type": "string"}),
        "decided_at": _nullable(DATE_TIME),
        "reason": _nullable({"type": "string"}),
        "review_on": _nullable(date),
    }
    outcome_notice_decision = {
        "choice": _enum(OutcomeNoticeChoice),
        "decided_by": {"type": "string"},
        "decided_at": _nullable(DATE_TIME),
        "reason": {"type": "string"},
        "review_on": _nullable(date),
    }
    outcome_notice = {
        "held_because": _nullable({**_enum(HeldBecause), "description": "Why the parents' outcome notice is held"}),
        "decision": _nullable(_ref("OutcomeNoticeDecision")),
    }
    preview = {
        "notice_id": {"type": "string"},
        "kind": _enum(NoticeKind),
        "recipient": {"type": "string", "description": "referrer or parent:<n>: never an address"},
        "status": _enum(NoticeStatus),
        "subject": {"type": "string"},
        "text": {"type": "string"},
        "html": {"type": "string"},
        "translation_needed": _nullable({"type": "string"}),
    }
    enquiry = {
        "enquiry_id": {"type": "string", "examples": ["e1"]},
        "agency": _enum(AgencyId),
        "agency_name": {"type": "string"},
        "question": {"type": "string"},
        "state": {
            **_enum(EnquiryState),
            "description": "queued (not yet with the agency's queue), requested, overdue, chased, escalated, "
            "answered, withdrawn (asked not to answer: consent refused, or withdrawn by staff)",
        },
        "opened_by": {"type": "string"},
        "opened_at": _nullable(DATE_TIME),
        "due_at": {**_nullable(DATE_TIME), "description": "Half way to the decision deadline: then chased once"},
        "escalate_at": {**_nullable(DATE_TIME), "description": "The decision deadline: then escalated"},
        "published_at": _nullable(DATE_TIME),
        "chased_at": _nullable(DATE_TIME),
        "escalated_at": _nullable(DATE_TIME),
        "answered_at": _nullable(DATE_TIME),
        "reply_ids": {"type": "array", "items": {"type": "string"}},
        "request_message_id": _nullable(
            {"type": "string", "description": "The request email's Message-ID, once owed: replies thread on it"}
        ),
        "withdrawn_at": {**_nullable(DATE_TIME), "description": "When the hub asked the agency not to answer"},
        "withdrawn_by": _nullable({"type": "string", "description": "Staff id, or parent:<n> for a parent's refusal"}),
        "withdrawn_because": _nullable(
            {"type": "string", "enum": ["consent_refused", "withdrawn_by_staff"], "description": "Why, as a code"}
        ),
        "withdrawal_reason": _nullable({"type": "string", "description": "Staff's reason, when withdrawn by staff"}),
    }
    attachment = {
        "attachment_id": {"type": "string"},
        "filename": {"type": "string"},
        "content_type": {"type": "string", "description": "As the hub read it from the content, not the name"},
        "size": {"type": "integer", "minimum": 0},
        "kept": {"type": "boolean"},
        "refused": _nullable({"type": "string", "description": "Why the hub did not keep the file"}),
    }
    reply = {
        "reply_id": {"type": "string"},
        "enquiry_id": {"type": "string"},
        "agency": _enum(AgencyId),
        "received_at": _nullable(DATE_TIME),
        "sender": {"type": "string"},
        "subject": {"type": "string"},
        "text": {"type": "string", "description": "The agency's own words: quoted history and signature removed"},
        "full_text": {"type": "string", "description": "The whole email as text, as it arrived"},
        "attachments": {"type": "array", "items": _ref("Attachment")},
        "attached_by": _nullable({"type": "string", "description": "Staff id when attached from triage"}),
    }
    triage_summary = {
        "triage_id": {"type": "string"},
        "received_at": _nullable(DATE_TIME),
        "reason": _enum(TriageReason),
        "reason_text": {"type": "string"},
        "status": _enum(TriageStatus),
        "claimed_reference": _nullable({"type": "string"}),
        "claimed_enquiry_id": _nullable({"type": "string"}),
        "attachment_count": {"type": "integer", "minimum": 0},
        "decided_by": _nullable({"type": "string"}),
        "decided_at": _nullable(DATE_TIME),
    }
    triage_detail = {
        **triage_summary,
        "sender": _nullable({"type": "string"}),
        "subject": _nullable({"type": "string"}),
        "text": _nullable({"type": "string"}),
        "full_text": _nullable({"type": "string"}),
        "attachments": {"type": "array", "items": _ref("Attachment")},
        "verdicts": _nullable({"type": "object", "additionalProperties": {"type": "string"}}),
        "decision_note": _nullable({"type": "string"}),
        "attached_reference": _nullable({"type": "string"}),
        "attached_enquiry_id": _nullable({"type": "string"}),
        "views": {
            "type": "array",
            "items": _object({"by": {"type": "string"}, "at": _nullable(DATE_TIME)}),
        },
    }
    referral_attachment = {
        "attachment_id": {"type": "string", "pattern": "^[0-9a-f]{20}$"},
        "filename": {"type": "string", "description": "As the referrer's file was named (sealed at rest)"},
        "content_type": _nullable({"type": "string", "description": "Read from the content, not the name"}),
        "size": {"type": "integer", "minimum": 0},
        "uploaded_at": _nullable(DATE_TIME),
        "kept": {"type": "boolean"},
        "refused": _nullable(_enum(Refusal)),
        "refused_text": _nullable({"type": "string"}),
    }
    download = {
        "url": {"type": "string", "description": "A presigned GET: works once or more for 60 seconds, as a download"},
        "expires_at": _nullable(DATE_TIME),
        "filename": {"type": "string"},
        "content_type": {"type": "string"},
    }
    return {
        "ReferralAttachment": _object(referral_attachment),
        "AttachmentDownload": _object(download),
        "Attachment": _object(attachment),
        "AgencyReply": _object(reply),
        "TriageSummary": _object(triage_summary),
        "TriageItem": _object(triage_detail),
        "TriageList": _object(
            {
                "items": {"type": "array", "items": _ref("TriageSummary")},
                "next_cursor": _nullable({"type": "string", "description": "Pass as ?cursor= for the next page"}),
            }
        ),
        "TriageAttached": _object(
            {"reference": {"type": "string"}, "enquiry_id": {"type": "string"}, "reply_id": {"type": "string"}}
        ),
        "Enquiry": _object(enquiry),
        "OpenedEnquiries": _object(
            {"reference": {"type": "string"}, "enquiries": {"type": "array", "items": _ref("Enquiry")}}
        ),
        "OutcomeNoticeDecision": _object(outcome_notice_decision),
        "OutcomeNotice": _object(outcome_notice),
        "NoticePreview": _object(preview),
        "OnwardReferral": _object(
            {
                "service": {"type": "string", "description": "The service's id in the directory"},
                "service_name": {"type": "string"},
                "sections": {"type": "array", "items": _enum(Section)},
                "reason": {"type": "string", "description": "Why these parts (the parents are told)"},
                "referred_by": {"type": "string"},
                "referred_at": _nullable(DATE_TIME),
                "notice_id": {"type": "string", "description": "The email to the service, among the notices"},
            }
        ),
        "ConsentRecord": _object(consent_record),
        "ParentsToldDecision": _object(parents_told),
        "WhoAmI": _object({"id": {"type": "string"}, "roles": {"type": "array", "items": _enum(Role)}}),
        "QueueRow": _object(queue_row),
        "WorkQueue": _object(
            {
                "referrals": {"type": "array", "items": _ref("QueueRow")},
                "next_cursor": _nullable({"type": "string", "description": "Pass as ?cursor= for the next page"}),
            }
        ),
        "DecisionSummary": _object(decision),
        "Decision": _object(
            {**decision, "reasons": {"type": "string"}, "returned_reason": _nullable({"type": "string"})}
        ),
        "ReferralState": _object(state),
        # The EDT's handover answers where the referral stands, with its out-of-hours part.
        "HandoverState": _object({**state, "out_of_hours": _ref("OutOfHours")}),
        "Screening": _object(screening),
        "Notice": _object(notice),
        "Task": _object(task),
        "AuditEvent": _object(event),
        "KnownReferral": _object(known_referral),
        "ContactPlanEntry": _object(plan_entry),
        "ReferralPicture": _object(picture),
        "AuditTrail": _object({"events": {"type": "array", "items": _ref("AuditEvent")}}),
        "SubjectAccessBundle": _object(
            {
                "generated_at": DATE_TIME,
                "referrals": {"type": "array", "items": _ref("ReferralPicture")},
            }
        ),
        "ChainReport": _object(
            {
                "intact": {"type": "boolean"},
                "events": {"type": "integer", "minimum": 0},
                "first_broken_sequence": _nullable({"type": "integer"}),
                "problem": _nullable({"type": "string"}),
            }
        ),
        # API Gateway (and Chalice's local gateway) answer a request with no Authorization header
        # themselves, before our authorizer runs: this is their shape, not ours.
        "GatewayUnauthorized": _object({"message": {"type": "string", "examples": ["Unauthorized"]}}),
        **report_schemas(),  # /admin/reports/: see the block at the end
        **_withdrawal_schemas(),  # chalicelib/web/admin_enquiries.py
        **out_of_hours_schemas(),  # the emergency duty team: see the block at the end
    }


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


# --- parameters --------------------------------------------------------------------------------


def _query(name: str, schema: dict[str, Any], description: str, *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


REFERENCE_IN_PATH = {
    "name": "reference",
    "in": "path",
    "required": True,
    "description": "The referral's reference as a person types it: case, spaces and dashes do not matter",
    "schema": {"type": "string", "minLength": 1},
    "example": REFERENCE_EXAMPLE,
}


TRIAGE_ID_IN_PATH = {
    "name": "triage_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9a-f]{20}$"},
    "description": "The id from the triage list",
}
ATTACHMENT_ID_IN_PATH = {
    "name": "attachment_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9a-f]{20}$"},
    "description": "The document's id, from the attachments in the whole picture",
}
NOTICE_ID_IN_PATH = {
    "name": "notice_id",
    "in": "path",
    "required": True,
    "description": "The notice's id, from the notices in the whole picture",
    "schema": {"type": "string", "pattern": "^[a-z0-9_:-]{1,64}$"},
    "example": "outcome-0",
}


def _queue_parameters() -> list[dict[str, Any]]:
    from chalicelib.domain.decision import Rag
    from chalicelib.domain.lifecycle import OPEN_STATUSES

    return [
        _query("status", _enum([s.value for s in OPEN_STATUSES]), "Only referrals in this status"),
        _query("rag", _enum(Rag), "Only referrals screened with this RAG rating"),
        _query(
            "undelivered",
            {"type": "string", "enum": ["true", "false"], "default": "false"},
            "true: only referrals with a notice that bounced, was complained about, rejected or failed",
        ),
        _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}, "Rows per page"),
        _query("cursor", {"type": "string"}, "next_cursor from the page before"),
    ]


def _reason_parameter() -> dict[str, Any]:
    from chalicelib.domain.audit import AccessReason

    return _query("reason", _enum(AccessReason), "Why a closed referral is opened again (needed for closed ones)")


def _reference_query() -> dict[str, Any]:
    return _query("reference", {"type": "string", "minLength": 1}, "The referral's reference", required=True)


# --- operations --------------------------------------------------------------------------------


def _operation(
    view: Callable[..., Any],
    summary: str,
    answer: str,
    errors: tuple[str, ...],
    *,
    parameters: list[dict[str, Any]] | None = None,
    body: type[BaseModel] | None = None,
    success: str = "200",
) -> dict[str, Any]:
    from chalicelib.web.auth import declared_roles

    roles = sorted(role.value for role in declared_roles(view) or ())
    operation: dict[str, Any] = {
        "operationId": _camel_case(view.__name__),
        "summary": summary,
        "description": f"Roles: {', '.join(roles)}.",
        "x-roles": roles,
        "security": [{"bearerAuth": []}],
        "parameters": parameters or [],
        "responses": {
            success: {
                "description": "Created" if success == "201" else "OK",
                "content": {"application/json": {"schema": _ref(answer)}},
            },
            **{status: _error_response(status) for status in sorted({*SIGN_IN_ERRORS, *errors})},
        },
    }
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body.__name__)}},
        }
    return operation


def _camel_case(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.title() for word in rest)


def _error_response(status: str) -> dict[str, Any]:
    schema = _ref("Error")
    if status == "401":
        schema = {"anyOf": [_ref("Error"), _ref("GatewayUnauthorized")]}
    return {"description": ERROR_DESCRIPTIONS[status], "content": {"application/json": {"schema": schema}}}


def admin_paths() -> dict[str, Any]:
    from chalicelib.web import admin as routes

    state_change = ("404", "409", *BODY_ERRORS)
    return {
        "/admin/whoami": {"get": _operation(routes.whoami, "Who the token says you are: id and roles", "WhoAmI", ())},
        "/admin/referrals": {
            "get": _operation(
                routes.work_queue,
                "The work queue: metadata only, most urgent first",
                "WorkQueue",
                ("422",),
                parameters=_queue_parameters(),
            )
        },
        "/admin/referrals/{reference}": {
            "get": _operation(
                routes.referral,
                "The whole picture of one referral (decrypted; the read is audited). The emergency duty team "
                "(mash-edt) may read only referrals it was alerted to out of hours (403 otherwise)",
                "ReferralPicture",
                ("404", "422"),
                parameters=[REFERENCE_IN_PATH, _reason_parameter()],
            )
        },
        "/admin/referrals/{reference}/screening": {
            "post": _operation(
                routes.screening,
                "Screen a referral: RAG rating, level of need and rationale",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH],
                body=routes.ScreeningRequest,
            )
        },
        "/admin/referrals/{reference}/decision": {
            "post": _operation(
                routes.decision,
                "Record the decision on a screened referral",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH],
                body=routes.DecisionRequest,
            )
        },
        "/admin/referrals/{reference}/decision/approval": {
            "post": _operation(
                routes.approval,
                "Approve a proposed decision, or return it with a reason (another manager)",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH],
                body=routes.ApprovalRequest,
            )
        },
        "/admin/referrals/{reference}/consent": {
            "post": _operation(
                routes.consent,
                "Record parental consent on a support referral (dispensing needs a manager)",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH],
                body=routes.ConsentRequest,
            )
        },
        "/admin/referrals/{reference}/parents-told": {
            "post": _operation(
                routes.parents_told,
                "Protection referral: tell the parents, or (manager) record why not",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH],
                body=routes.ParentsToldRequest,
            )
        },
        "/admin/referrals/{reference}/contact-plan": {
            "post": _operation(
                routes.contact_plan,
                "Change one person's contact plan with a reason: parental responsibility, safe to contact, may pose "
                "a risk, told or not (not telling someone the defaults include needs a review date; telling someone "
                "they leave out needs a manager)",
                "ReferralState",
                ("403", *state_change),
                parameters=[REFERENCE_IN_PATH],
                body=routes.ContactPlanRequest,
            )
        },
        "/admin/referrals/{reference}/outcome-notice": {
            "post": _operation(
                routes.outcome_notice,
                "Withhold the parents' outcome notice (reason, review date) or release it (managers)",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH],
                body=routes.OutcomeNoticeRequest,
            )
        },
        "/admin/referrals/{reference}/notices/{notice_id}/preview": {
            "get": _operation(
                routes.notice_preview,
                "A notice rendered as it would go, without sending it (the read is audited)",
                "NoticePreview",
                ("404", "409", "422"),
                parameters=[REFERENCE_IN_PATH, NOTICE_ID_IN_PATH, _reason_parameter()],
            )
        },
        "/admin/referrals/{reference}/notices/{notice_id}/release": {
            "post": _operation(
                routes.notice_release,
                "Let a family email held for translation go: with its translated text (both versions are sent) "
                "or in English with a reason",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH, NOTICE_ID_IN_PATH],
                body=routes.NoticeReleaseRequest,
            )
        },
        "/admin/referrals/{reference}/attachments/{attachment_id}": {
            "get": _operation(
                routes.attachment_download,
                "A 60-second download link to a document the referrer added (the read is audited first)",
                "AttachmentDownload",
                ("404", "422"),
                parameters=[REFERENCE_IN_PATH, ATTACHMENT_ID_IN_PATH, _reason_parameter()],
            )
        },
        "/admin/referrals/{reference}/onward-referral": {
            "post": _operation(
                routes.onward_referral,
                "Refer the family on to a service with only the chosen sections of the record (once the decision "
                "stands and its outcome passes the family on)",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH],
                body=routes.OnwardReferralRequest,
            )
        },
        "/admin/referrals/{reference}/enquiries": {
            "post": _operation(
                routes.enquiries,
                "Ask partner agencies what they hold (one enquiry each, emailed through the agency's queue); "
                "refused while the consent gate does not allow sharing, or before screening",
                "OpenedEnquiries",
                (*state_change, "422"),
                parameters=[REFERENCE_IN_PATH],
                body=routes.EnquiriesRequest,
                success="201",
            )
        },
        "/admin/triage": {
            "get": _operation(
                routes.triage_list,
                "Agency emails the hub could not put on a referral by itself (no or bad reply token, wrong sender "
                "domain, spam, DMARC, virus, refused attachment): newest first, metadata only",
                "TriageList",
                ("422",),
                parameters=[
                    _query("status", _enum(["waiting", "attached", "rejected"]), "Which list (default waiting)"),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "Page size (default 25)"),
                    _query("cursor", {"type": "string"}, "next_cursor from the previous page"),
                ],
            )
        },
        "/admin/triage/{triage_id}": {
            "get": _operation(
                routes.triage_item,
                "One triaged email with its content; the read is recorded on it",
                "TriageItem",
                ("404",),
                parameters=[TRIAGE_ID_IN_PATH],
            )
        },
        "/admin/triage/{triage_id}/attach": {
            "post": _operation(
                routes.triage_attach,
                "Attach a triaged email to the enquiry it answers (audited on that referral); never a quarantined one",
                "TriageAttached",
                ("404", "409", *BODY_ERRORS),
                parameters=[TRIAGE_ID_IN_PATH],
                body=routes.TriageAttachRequest,
            )
        },
        "/admin/triage/{triage_id}/reject": {
            "post": _operation(
                routes.triage_reject,
                "Reject a triaged email with a note saying why",
                "TriageSummary",
                ("404", "409", *BODY_ERRORS),
                parameters=[TRIAGE_ID_IN_PATH],
                body=routes.TriageRejectRequest,
            )
        },
        "/admin/referrals/{reference}/closure": {
            "post": _operation(
                routes.closure,
                "Close a decided referral: its retention clock starts, by outcome",
                "ReferralState",
                ("404", "409"),
                parameters=[REFERENCE_IN_PATH],
            )
        },
        "/admin/referrals/{reference}/legal-hold": {
            "post": _operation(
                routes.legal_hold,
                "Place or lift a legal hold, with a reason (managers)",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH],
                body=routes.LegalHoldRequest,
            )
        },
        "/admin/subject-access": {
            "post": _operation(
                routes.subject_access,
                "Everything the hub holds about one child, as a bundle (each export is audited)",
                "SubjectAccessBundle",
                BODY_ERRORS,
                body=routes.SubjectAccessRequest,
            )
        },
        "/admin/audit": {
            "get": _operation(
                routes.audit,
                "A referral's audit trail",
                "AuditTrail",
                ("404", "422"),
                parameters=[_reference_query()],
            )
        },
        "/admin/audit/verify": {
            "get": _operation(
                routes.audit_verify,
                "Check a referral's audit chain is unbroken",
                "ChainReport",
                ("404", "422"),
                parameters=[_reference_query()],
            )
        },
        **report_paths(),  # /admin/reports/: see the block at the end
        **_withdrawal_paths(),  # chalicelib/web/admin_enquiries.py
        **out_of_hours_paths(),  # the emergency duty team: see the block at the end
    }


def _withdrawal_schemas() -> dict[str, Any]:
    from chalicelib.web.admin_enquiries import withdrawal_schemas

    return withdrawal_schemas()


def _withdrawal_paths() -> dict[str, Any]:
    from chalicelib.web.admin_enquiries import withdrawal_paths

    return withdrawal_paths()


# --- /admin/reports/ (chalicelib/web/admin_reports.py) ----------------------------------------------
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


# --- out of hours: the emergency duty team (chalicelib/web/admin_out_of_hours.py) --------------------

OUT_OF_HOURS_FLAG = {
    "anyOf": [{"type": "string", "enum": ["alerted", "handed_over"]}, {"type": "null"}],
    "description": "alerted: it came in out of hours and the emergency duty team was told; handed_over: the "
    "EDT handed it over (first in the queue until screened); null: neither",
}
OUT_OF_HOURS_TEXT = (
    "Present when the referral came in out of MASH hours as a protection or immediate-risk referral: the "
    "emergency duty team was alerted; its handover notes, and whether it handed the referral over"
)


def out_of_hours_schemas() -> dict[str, Any]:
    from chalicelib.web.admin_out_of_hours import HandoverRequest

    schema = HandoverRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    note = _object({"text": {"type": "string"}, "written_by": {"type": "string"}, "written_at": _nullable(DATE_TIME)})
    return {
        "HandoverRequest": schema,
        "HandoverNote": note,
        "OutOfHours": _object(
            {
                "alerted": {"type": "boolean"},
                "handed_over": {"type": "boolean"},
                "handed_over_by": _nullable({"type": "string", "description": "Staff id, never a name"}),
                "handed_over_at": _nullable(DATE_TIME),
                "notes": {"type": "array", "items": _ref("HandoverNote")},
            }
        ),
    }


def out_of_hours_paths() -> dict[str, Any]:
    from chalicelib.web import admin_out_of_hours as routes

    operation = _operation(
        routes.handover,
        "The emergency duty team's handover note (sealed on the referral); handed_over: true hands the "
        "referral to the day team, first in the morning queue until screened. Only for referrals the EDT was "
        "alerted to (409 not_alerted otherwise); audited with the note's number, never its words",
        "HandoverState",
        ("404", "409", *BODY_ERRORS),
        parameters=[REFERENCE_IN_PATH],
        body=routes.HandoverRequest,
    )
    return {"/admin/referrals/{reference}/handover": {"post": operation}}
