"""Response models for the whole picture of one referral (admin/picture.py): what
GET /admin/referrals/{reference} answers and a subject access bundle holds; and the emergency duty
team's handover (admin_out_of_hours.py), which answers with the picture's out-of-hours part."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema

from chalicelib.domain.case_notes import NoteType
from chalicelib.domain.consent import ConsentSource, ConsentState, OutcomeNoticeChoice, ParentsToldState
from chalicelib.domain.contact_plan import Why
from chalicelib.domain.decision import Outcome, Rag
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.notices import NoticeKind, NoticeStatus
from chalicelib.domain.onward_referral import Section
from chalicelib.domain.outcome_notices import HeldBecause
from chalicelib.domain.protective_decisions import ProtectiveDecision
from chalicelib.domain.referral import Route
from chalicelib.domain.referral_record import Channel
from chalicelib.domain.staff import Role
from chalicelib.domain.tasks import TaskEnd, TaskKind
from chalicelib.web.admin.responses import (
    AuditEvent,
    Count,
    Date,
    DateTime,
    Decision,
    Level,
    ReferralState,
    StaffAnswer,
)
from chalicelib.web.admin.responses_governance import LawfulBasisShown, SharingBasisShown
from chalicelib.web.admin.responses_links import ReferralLinkShown
from chalicelib.web.admin.responses_sharing import AgencyReply, Enquiry, ReferralAttachment

# The referral as it was sent: the public API's own request model (its schema is in the document
# already). Not validated again here: a stored referral was valid when it came in, and some of its
# checks (dates against today) are about that moment.
# (`x-ref`: the document's builder makes it a $ref; pydantic would look for it among its own models.)
Submission = Annotated[dict[str, Any], WithJsonSchema({"x-ref": "ReferralSubmission"})]


class Screening(StaffAnswer):
    rag: Rag
    level: Level
    rationale: str
    screened_by: str
    screened_at: DateTime | None
    decision_due_at: DateTime | None


class NoticeEvent(StaffAnswer):
    status: NoticeStatus
    at: DateTime


class NoticeRelease(StaffAnswer):
    """How a family email held for translation was let go, and by whom."""

    language: str
    how: Literal["translated", "in_english"]
    english_reason: str | None
    decided_by: str
    decided_at: DateTime


class Notice(StaffAnswer):
    notice_id: str = Field(description="Names the notice in .../notices/{notice_id}/preview")
    kind: NoticeKind
    recipient: str = Field(description="referrer, parent:<n> or a service: never an address")
    status: NoticeStatus
    attempts: Count
    last_error: str | None
    sent_at: DateTime | None
    history: list[NoticeEvent] = Field(description="Delivery events in the order they arrived")
    external_id: str | None = Field(
        description="An export to the case-management system: the receiver's own id for it, when it gave one"
    )
    translation_needed: str | None = Field(
        description="The person's first language: staff arrange a translation (no machine)"
    )
    held_for_translation: bool = Field(
        description="Not sent until its translation is added (both versions go) or it is released in English"
    )
    released: NoticeRelease | None


class OutcomeNoticeDecision(StaffAnswer):
    choice: OutcomeNoticeChoice
    decided_by: str
    decided_at: DateTime | None
    reason: str
    review_on: Date | None


class OutcomeNotice(StaffAnswer):
    held_because: HeldBecause | None = Field(description="Why the parents' outcome notice is held")
    decision: OutcomeNoticeDecision | None


class Task(StaffAnswer):
    id: str
    kind: TaskKind
    text: str
    created_at: DateTime | None
    about: str | None
    done_at: DateTime | None
    due_on: Date | None = Field(description="When it is due: a review task (review_*) is due on its review date")
    done_by: str | None = Field(description="Who finished it (a staff id); null while open or if the hub did by itself")
    ended: TaskEnd | None = Field(description="How staff finished it; null while open or if the hub did")
    note: str | None = Field(description="The note staff left on finishing it")
    overdue: bool = Field(description="Open and past its due date")


class CaseNote(StaffAnswer):
    id: str = Field(examples=["n1"])
    type: NoteType
    text: str
    written_by: str = Field(description="Who wrote it (a staff id)")
    written_at: DateTime | None
    corrects: str | None = Field(description="A correction: the note it puts right")
    corrected_by: str | None = Field(description="The note that corrects this one, if any: read that one too")


class ConsentRecord(StaffAnswer):
    state: ConsentState
    source: ConsentSource
    recorded_by: str
    recorded_at: DateTime | None
    given_by: str | None
    given_on: Date | None
    how: str | None
    service: str | None
    reason: str | None
    review_on: Date | None
    signed_off_by: str | None


class ParentsToldDecision(StaffAnswer):
    state: ParentsToldState
    decided_by: str | None
    decided_at: DateTime | None
    reason: str | None
    review_on: Date | None


class ContactPlanEntry(StaffAnswer):
    person: str = Field(description="parent:<n>, household:<n> or risk:<n>: never a name")
    role: str
    name: str | None
    relationship: str
    has_email: bool
    parental_responsibility: bool | None = Field(description="null: not known")
    safe_to_contact: bool | None = Field(description="null: nobody has said")
    safe_said_by: Literal["referrer", "mash"] | None
    may_pose_risk: bool
    told: bool = Field(description="Whether family notices go to this person")
    why: Why
    why_text: str
    review_on: Date | None
    decided_by: str | None
    decided_at: DateTime | None
    reason: str | None


class ProtectiveDecisionHeld(StaffAnswer):
    decision: ProtectiveDecision
    made_by: Role


class OnwardReferral(StaffAnswer):
    service: str = Field(description="The service's id in the directory")
    service_name: str
    sections: list[Section]
    reason: str = Field(description="Why these parts (the parents are told)")
    referred_by: str
    referred_at: DateTime | None
    notice_id: str = Field(description="The email to the service, among the notices")


class HandoverNote(StaffAnswer):
    text: str
    written_by: str
    written_at: DateTime | None


class OutOfHours(StaffAnswer):
    """Present when the referral came in out of MASH hours as a protection or immediate-risk referral: the
    emergency duty team was alerted; its handover notes, and whether it handed the referral over."""

    alerted: bool
    handed_over: bool
    handed_over_by: str | None = Field(description="Staff id, never a name")
    handed_over_at: DateTime | None
    notes: list[HandoverNote]


class HandoverState(ReferralState):
    """The EDT's handover answers where the referral stands, with its out-of-hours part."""

    out_of_hours: OutOfHours


class KnownReferral(StaffAnswer):
    reference: str
    route: Route
    status: ReferralStatus
    received_at: DateTime | None
    outcome: Outcome | None


class ReferralPicture(ReferralState):
    """Everything about one referral (decrypted; the read is audited)."""

    owner: str | None = Field(description="Who owns the work: a staff id (null: nobody)")
    owner_name: str | None = Field(description="The owner by name from the staff directory")
    route: Route
    channel: Channel
    received_at: DateTime | None
    immediate_risk: bool
    proposed_level: int | None  # null: the referrer was not sure
    screening: Screening | None
    decision: Decision | None  # the whole picture's has the reasons
    notices: list[Notice]
    outcome_notice: OutcomeNotice
    tasks: list[Task]
    submission: Submission
    consent_record: ConsentRecord
    parents_told_decision: ParentsToldDecision | None
    contact_plan: list[ContactPlanEntry] = Field(
        description="Who in the family is contacted (consent requests, parents told, outcome notices), and why"
    )
    protective_decisions: list[ProtectiveDecisionHeld] = Field(
        description="Decisions holding something back from the family to protect the child; only the role "
        "that may make one may reverse it or release what it holds"
    )
    onward_referrals: list[OnwardReferral] = Field(description="What was passed to other services, to whom and why")
    sharing_bases: list[SharingBasisShown] = Field(
        description="The lawful basis of each sharing decision (enquiries, onward referrals), as recorded"
    )
    lawful_basis_now: LawfulBasisShown | None = Field(
        description="The basis on which agencies could be asked to share now; null while they may not be"
    )
    out_of_hours: OutOfHours | None
    enquiries: list[Enquiry] = Field(
        description="Information requests to partner agencies and whether each is answered"
    )
    replies: list[AgencyReply] = Field(
        description="The agencies' answers: their own words (text) and the whole email (full_text)"
    )
    attachments: list[ReferralAttachment] = Field(
        description="Documents the referrer added after sending: kept (download by id) or refused (why)"
    )
    case_notes: list[CaseNote] = Field(
        description="Staff's case notes, oldest first; append-only: a correction is a later note (corrected_by)"
    )
    history: list[AuditEvent]
    known_before: list[KnownReferral] = Field(
        description="Other referrals of the same child(ren), found without decrypting them"
    )
    links: list[ReferralLinkShown] = Field(
        description="Links to other referrals (same child, siblings, same household, duplicate), standing or removed"
    )
    duplicate_of: str | None = Field(description="The original, if this referral was closed as its duplicate")


class SubjectAccessBundle(StaffAnswer):
    generated_at: DateTime
    referrals: list[ReferralPicture]
