"""Response models: the shapes the staff API answers with. The OpenAPI document's response schemas
are generated from them (chalicelib/web/openapi_admin/), as the request bodies' are from models.py,
and the routes build their answers through them (`shaped`, in shaping.py), so the document cannot
drift from them. Routes import them inside the handler, never at module top (the cold start).

By area:
    responses.py           the common parts, where a referral stands, decisions, the queue, the audit
    responses_picture.py   the whole picture of one referral (and the subject access bundle)
    responses_sharing.py   documents, agency enquiries and replies, triage
    responses_reports.py   the timeliness report

Times are the strings the routes already write (`_iso`: ISO 8601 to the second), documented as
date-time: the models check an answer's shape without re-writing its values.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.consent import ConsentState, ParentsToldState
from chalicelib.domain.decision import Outcome, Rag
from chalicelib.domain.lifecycle import Action, ReferralStatus
from chalicelib.domain.notices import NoticeKind, NoticeStatus
from chalicelib.domain.referral import Route
from chalicelib.domain.staff import Role

REFERENCE_EXAMPLE = "K7Q-F3M-RW9"

DateTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Date = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
Count = Annotated[int, Field(ge=0)]
Level = Annotated[int, Field(ge=1, le=4)]
NEXT_CURSOR = "Pass as ?cursor= for the next page"


class StaffAnswer(BaseModel):
    """An answer's shape: no other keys, and every key always present (null when there is nothing)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


# --- where a referral stands ---------------------------------------------------------------------


class DecisionSummary(StaffAnswer):
    outcome: Outcome
    decided_by: str = Field(description="Staff id (the token's sub), never a name")
    decided_at: DateTime | None
    needs_approval: bool
    approved_by: str | None
    approved_at: DateTime | None


class Decision(DecisionSummary):
    reasons: str
    returned_reason: str | None


class ReferralState(StaffAnswer):
    """After a change: where the referral stands now (no personal data)."""

    reference: str = Field(examples=[REFERENCE_EXAMPLE])
    status: ReferralStatus
    rag: Rag | None
    due_at: DateTime | None
    working_together_due_at: DateTime | None
    decision: DecisionSummary | None
    closed_at: DateTime | None
    retention_until: DateTime | None = Field(description="When the retention sweep may delete it")
    legal_hold: bool = Field(description="A manager's hold stops deletion until lifted")
    consent: ConsentState
    sharing_allowed: bool = Field(description="Whether agencies may be asked to share information")
    sharing_refusal: str | None = Field(description="Why not, and what would unblock it")
    parents_told: ParentsToldState | None
    allowed_actions: list[Action]


# --- who you are, the queue ----------------------------------------------------------------------


class WhoAmI(StaffAnswer):
    id: str
    roles: list[Role]


OutOfHoursFlag = Annotated[
    Literal["alerted", "handed_over"] | None,
    Field(
        description="alerted: it came in out of hours and the emergency duty team was told; handed_over: the "
        "EDT handed it over (first in the queue until screened); null: neither",
    ),
]


class QueueRow(StaffAnswer):
    reference: str
    route: Route
    status: ReferralStatus
    rag: Rag | None
    level: Level | None
    proposed_level: int | None = Field(description="The referrer's level, 1 to 4; null when they were not sure")
    immediate_risk: bool = Field(description="The referrer said a child is at immediate risk")
    received_at: DateTime
    due_at: DateTime | None
    review_due_on: Date | None = Field(
        description="A review date has come: the earliest open review task's date (see the tasks)"
    )
    out_of_hours: OutOfHoursFlag
    owner: str | None = Field(description="Who owns the work: a staff id (null: nobody)")
    owner_name: str | None = Field(
        description='The owner by name from the staff directory ("a former member of staff" if no longer there)'
    )
    children: list[FoundChild] = Field(
        description="To recognise the referral: each child's first name and age (from its sealed search card)"
    )
    open_tasks: Count
    overdue_tasks: Count = Field(description="Open tasks whose date has passed")


class WorkQueue(StaffAnswer):
    referrals: list[QueueRow]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class FoundChild(StaffAnswer):
    first_name: str
    date_of_birth: Date | None
    age: Count | None = Field(description="Whole years, on today's London date")


class FoundReferral(StaffAnswer):
    """Enough to recognise the family, no more: the children's first names and ages."""

    reference: str = Field(examples=[REFERENCE_EXAMPLE])
    status: ReferralStatus
    received_at: DateTime
    children: list[FoundChild]


class SearchResults(StaffAnswer):
    referrals: list[FoundReferral] = Field(description="Newest first, at most 50")
    more: bool = Field(description="More matched than the 50 shown: search by more details")


# --- notices --------------------------------------------------------------------------------------


class NoticePreview(StaffAnswer):
    notice_id: str
    kind: NoticeKind
    recipient: str = Field(description="referrer or parent:<n>: never an address")
    status: NoticeStatus
    subject: str
    text: str
    html: str
    translation_needed: str | None


# --- the audit trail -----------------------------------------------------------------------------


class AuditEvent(StaffAnswer):
    """One event of a referral's audit chain: ids and codes, never personal data."""

    sequence: Annotated[int, Field(ge=1)]
    action: AuditAction
    at: DateTime
    actor: str
    role: str
    request_id: str | None
    details: dict[str, str]


class AuditTrail(StaffAnswer):
    events: list[AuditEvent]


class ChainReport(StaffAnswer):
    """Whether a referral's audit chain is unbroken, and where it breaks if not."""

    intact: bool
    events: Count
    first_broken_sequence: int | None
    problem: str | None
