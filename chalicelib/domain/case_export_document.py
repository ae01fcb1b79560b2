"""The export document: a referral as the council's case-management system imports it.

Versioned (`version`), shaped for a front-door import in LCS or Mosaic: the referral, the people
(and who of them the MASH contacts), the concerns, consent and the lawful basis of each sharing,
screening, the decision and its approval, the enquiries with the agencies' replies, and documents by
id (the receiver asks the hub for a file; no link that works by itself leaves the hub). Its JSON
Schema is generated from these models and published (`GET /api/export-schema.json`), so the
document and its schema cannot drift apart. Pure: the caller gives the replies and documents.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.agency_replies import AgencyReply
from chalicelib.domain.attachments import ReferralAttachment
from chalicelib.domain.decision import OUTCOME_LABELS
from chalicelib.domain.referral import (
    Child,
    Concerns,
    Consent,
    HouseholdMember,
    ParentCarer,
    ParentsInformed,
    PersonPosingRisk,
    Referrer,
)
from chalicelib.domain.referral_record import Referral

EXPORT_VERSION: Literal["1.0"] = "1.0"
SCHEMA_ID = "https://mash-hub.example/schemas/case-export-1.0.json"


class ExportModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExportedReferral(ExportModel):
    reference: str
    received_at: dt.datetime
    route: str  # support or protection
    channel: str  # form or api
    immediate_risk: bool
    proposed_level: int | None  # None: the referrer was not sure
    status: str
    re_referral: bool | None  # the same child referred in the 12 months before (None: not known)
    referrer: Referrer


class ContactPlanEntry(ExportModel):
    person: str  # parent:0, household:1, risk:0 ... (the position in `people`)
    role: str
    told: bool  # whether the MASH contacts this person
    why: str  # a code (domain/contact_plan.py Why)
    safe_to_contact: bool | None
    may_pose_risk: bool


class People(ExportModel):
    children: list[Child]
    parents_carers: list[ParentCarer]
    household_members: list[HouseholdMember]
    people_posing_risk: list[PersonPosingRisk]
    contact_plan: list[ContactPlanEntry]


class LawfulBasisEntry(ExportModel):
    kind: str  # enquiry or onward_referral
    shared: str  # the enquiry's id or the onward referral's
    basis: str  # a code (domain/lawful_basis.py)
    recorded_at: dt.datetime


class ConsentAndBasis(ExportModel):
    state: str  # as the MASH holds it now (domain/consent.py ConsentState)
    source: str  # referrer, staff or parent
    recorded_at: dt.datetime
    as_referred: Consent | None
    parents_informed: ParentsInformed | None
    lawful_bases: list[LawfulBasisEntry]


class ExportedScreening(ExportModel):
    rag: str
    level: int
    rationale: str
    screened_by: str  # a staff id
    screened_at: dt.datetime
    decision_due_at: dt.datetime


class ExportedDecision(ExportModel):
    outcome: str
    outcome_label: str
    reasons: str
    decided_by: str
    decided_at: dt.datetime
    needs_approval: bool
    approved_by: str | None
    approved_at: dt.datetime | None


class ExportedReply(ExportModel):
    reply_id: str
    received_at: dt.datetime
    text: str  # the agency's own words
    documents: list[str]  # ids in `documents`


class ExportedEnquiry(ExportModel):
    enquiry_id: str
    agency: str
    question: str
    opened_at: dt.datetime
    due_at: dt.datetime
    answered_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    replies: list[ExportedReply]


class DocumentLink(ExportModel):
    document_id: str  # the referrer's: its attachment id; an agency's: <reply id>/<attachment id>
    source: Literal["referrer", "agency_reply"]
    content_type: str
    size: int
    sha256: str


class CaseExport(ExportModel):
    """One export of one referral (version 1.0)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"$id": SCHEMA_ID})

    export_id: str  # the idempotency key: the same id is the same export
    version: Literal["1.0"]
    exported_at: dt.datetime
    referral: ExportedReferral
    people: People
    concerns: Concerns
    consent: ConsentAndBasis
    screening: ExportedScreening | None
    decision: ExportedDecision | None
    enquiries: list[ExportedEnquiry]
    documents: list[DocumentLink]


def export_schema() -> dict[str, Any]:
    """The published JSON Schema of the document, as it is serialised."""
    schema = CaseExport.model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def build_export(
    referral: Referral,
    *,
    export_id: str,
    exported_at: dt.datetime,
    replies: list[AgencyReply],
    attachments: list[ReferralAttachment],
) -> CaseExport:
    submission = referral.submission
    return CaseExport(
        export_id=export_id,
        version=EXPORT_VERSION,
        exported_at=exported_at,
        referral=ExportedReferral(
            reference=referral.reference,
            received_at=referral.received_at,
            route=referral.route.value,
            channel=referral.channel.value,
            immediate_risk=referral.immediate_risk,
            proposed_level=referral.proposed_level,
            status=referral.status.value,
            re_referral=referral.re_referral,
            referrer=submission.referrer,
        ),
        people=People(
            children=submission.children,
            parents_carers=submission.parents_carers,
            household_members=submission.household_members,
            people_posing_risk=submission.people_posing_risk,
            contact_plan=[
                ContactPlanEntry(
                    person=entry.person.key,
                    role=entry.person.role,
                    told=entry.told,
                    why=entry.why.value,
                    safe_to_contact=entry.safe_to_contact,
                    may_pose_risk=entry.may_pose_risk,
                )
                for entry in referral.contact_plan
            ],
        ),
        concerns=submission.concerns,
        consent=_consent(referral),
        screening=_screening(referral),
        decision=_decision(referral),
        enquiries=_enquiries(referral, replies),
        documents=_documents(replies, attachments),
    )


def _consent(referral: Referral) -> ConsentAndBasis:
    record = referral.consent
    return ConsentAndBasis(
        state=record.state.value,
        source=record.source.value,
        recorded_at=record.recorded_at,
        as_referred=referral.submission.consent,
        parents_informed=referral.submission.parents_informed,
        lawful_bases=[
            LawfulBasisEntry(kind=b.kind.value, shared=b.shared, basis=b.basis.value, recorded_at=b.recorded_at)
            for b in referral.sharing_bases
        ],
    )


def _screening(referral: Referral) -> ExportedScreening | None:
    s = referral.screening
    if s is None:
        return None
    return ExportedScreening(
        rag=s.rag.value,
        level=s.level,
        rationale=s.rationale,
        screened_by=s.screened_by,
        screened_at=s.screened_at,
        decision_due_at=s.decision_due_at,
    )


def _decision(referral: Referral) -> ExportedDecision | None:
    d = referral.decision
    if d is None:
        return None
    return ExportedDecision(
        outcome=d.outcome.value,
        outcome_label=OUTCOME_LABELS[d.outcome],
        reasons=d.reasons,
        decided_by=d.decided_by,
        decided_at=d.decided_at,
        needs_approval=d.needs_approval,
        approved_by=d.approved_by,
        approved_at=d.approved_at,
    )


def _reply_document_id(reply: AgencyReply, attachment_id: str) -> str:
    return f"{reply.reply_id}/{attachment_id}"


def _enquiries(referral: Referral, replies: list[AgencyReply]) -> list[ExportedEnquiry]:
    # The reply's own words only when staff have not found the shortened text wrong; else all of it.
    def text(reply: AgencyReply) -> str:
        return reply.full_text if referral.shown_whole(reply.reply_id) else reply.text

    return [
        ExportedEnquiry(
            enquiry_id=e.enquiry_id,
            agency=e.agency.value,
            question=e.question,
            opened_at=e.opened_at,
            due_at=e.due_at,
            answered_at=e.answered_at,
            withdrawn_at=e.withdrawn_at,
            replies=[
                ExportedReply(
                    reply_id=r.reply_id,
                    received_at=r.received_at,
                    text=text(r),
                    documents=[_reply_document_id(r, a.attachment_id) for a in r.attachments if a.refused is None],
                )
                for r in replies
                if r.enquiry_id == e.enquiry_id
            ],
        )
        for e in referral.enquiries
    ]


def _documents(replies: list[AgencyReply], attachments: list[ReferralAttachment]) -> list[DocumentLink]:
    """Kept documents only, by id: a refused file was never kept, so there is nothing to fetch."""
    documents = [
        DocumentLink(
            document_id=a.attachment_id, source="referrer", content_type=a.content_type, size=a.size, sha256=a.sha256
        )
        for a in attachments
        if a.kept
    ]
    documents += [
        DocumentLink(
            document_id=_reply_document_id(r, a.attachment_id),
            source="agency_reply",
            content_type=a.content_type,
            size=a.size,
            sha256=a.sha256,
        )
        for r in replies
        for a in r.attachments
        if a.refused is None
    ]
    return documents
