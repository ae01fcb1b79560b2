"""Response schemas for what is shared with the hub and by it: documents, agency replies, triage, enquiries."""

from __future__ import annotations

from typing import Any

from chalicelib.web.openapi_admin.shapes import (
    DATE_TIME,
    _enum,
    _nullable,
    _object,
    _ref,
)


def sharing_schemas() -> dict[str, Any]:
    """Documents, agency replies and their triage, and enquiries: the answers admin/sharing.py and
    admin/documents.py build (and the whole picture's lists of them)."""
    from chalicelib.domain.agencies import AgencyId
    from chalicelib.domain.agency_replies import TriageReason, TriageStatus
    from chalicelib.domain.attachments import Refusal
    from chalicelib.domain.enquiries import EnquiryState

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
        "shortened": {"type": "boolean", "description": "Whether `text` is shorter than the whole email"},
        "shown_whole": _nullable(
            {
                **_object({"by": {"type": "string"}, "at": DATE_TIME, "reason": {"type": "string"}}),
                "description": "Staff marked the shortened text wrong: `text` is the whole email",
            }
        ),
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
    }
