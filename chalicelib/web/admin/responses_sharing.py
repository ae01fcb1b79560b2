"""Response models for what is shared with the hub and by it: documents, agency enquiries and replies,
and the triage of replies the hub could not place by itself (admin/sharing.py, admin/documents.py,
admin_enquiries.py, and the whole picture's lists of them)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.domain.agencies import AgencyId
from chalicelib.domain.agency_replies import TriageReason, TriageStatus
from chalicelib.domain.attachments import Refusal
from chalicelib.domain.enquiries import EnquiryState
from chalicelib.web.admin.responses import NEXT_CURSOR, Count, DateTime, StaffAnswer

HexId = Annotated[str, Field(pattern="^[0-9a-f]{20}$")]


class Enquiry(StaffAnswer):
    enquiry_id: str = Field(examples=["e1"])
    agency: AgencyId
    agency_name: str
    question: str
    state: EnquiryState = Field(
        description="queued (not yet with the agency's queue), requested, overdue, chased, escalated, "
        "answered, withdrawn (asked not to answer: consent refused, or withdrawn by staff)"
    )
    opened_by: str
    opened_at: DateTime | None
    due_at: DateTime | None = Field(description="Half way to the decision deadline: then chased once")
    escalate_at: DateTime | None = Field(description="The decision deadline: then escalated")
    published_at: DateTime | None
    chased_at: DateTime | None
    escalated_at: DateTime | None
    answered_at: DateTime | None
    reply_ids: list[str]
    request_message_id: str | None = Field(
        description="The request email's Message-ID, once owed: replies thread on it"
    )
    withdrawn_at: DateTime | None = Field(description="When the hub asked the agency not to answer")
    withdrawn_by: str | None = Field(description="Staff id, or parent:<n> for a parent's refusal")
    withdrawn_because: Literal["consent_refused", "withdrawn_by_staff"] | None = Field(description="Why, as a code")
    withdrawal_reason: str | None = Field(description="Staff's reason, when withdrawn by staff")


class OpenedEnquiries(StaffAnswer):
    reference: str
    enquiries: list[Enquiry]


class WithdrawnEnquiry(StaffAnswer):
    reference: str
    enquiry: Enquiry


class Attachment(StaffAnswer):
    """A file that came with an agency's email."""

    attachment_id: str
    filename: str
    content_type: str = Field(description="As the hub read it from the content, not the name")
    size: Count
    kept: bool
    refused: str | None = Field(description="Why the hub did not keep the file")


class ShownWhole(StaffAnswer):
    """Staff marked the shortened text wrong: `text` is the whole email."""

    by: str
    at: DateTime
    reason: str


class AgencyReply(StaffAnswer):
    reply_id: str
    enquiry_id: str
    agency: AgencyId
    received_at: DateTime | None
    sender: str
    subject: str
    text: str = Field(description="The agency's own words: quoted history and signature removed")
    full_text: str = Field(description="The whole email as text, as it arrived")
    shortened: bool = Field(description="Whether `text` is shorter than the whole email")
    shown_whole: ShownWhole | None
    attachments: list[Attachment]
    attached_by: str | None = Field(description="Staff id when attached from triage")


class ReferralAttachment(StaffAnswer):
    """A document the referrer added: kept (downloadable by its id) or refused, with why."""

    attachment_id: HexId
    filename: str = Field(description="As the referrer's file was named (sealed at rest)")
    content_type: str | None = Field(description="Read from the content, not the name")
    size: Count
    uploaded_at: DateTime | None
    kept: bool
    refused: Refusal | None
    refused_text: str | None


class AttachmentDownload(StaffAnswer):
    url: str = Field(description="A presigned GET: works once or more for 60 seconds, as a download")
    expires_at: DateTime | None
    filename: str
    content_type: str


class TriageSummary(StaffAnswer):
    triage_id: str
    received_at: DateTime | None
    reason: TriageReason
    reason_text: str
    status: TriageStatus
    claimed_reference: str | None
    claimed_enquiry_id: str | None
    attachment_count: Count
    decided_by: str | None
    decided_at: DateTime | None


class TriageView(StaffAnswer):
    """Who read a triaged email, and when."""

    by: str
    at: DateTime | None


class TriageItem(TriageSummary):
    sender: str | None
    subject: str | None
    text: str | None
    full_text: str | None
    attachments: list[Attachment]
    verdicts: dict[str, str] | None
    decision_note: str | None
    attached_reference: str | None
    attached_enquiry_id: str | None
    views: list[TriageView]


class TriageList(StaffAnswer):
    items: list[TriageSummary]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class TriageAttached(StaffAnswer):
    reference: str
    enquiry_id: str
    reply_id: str
