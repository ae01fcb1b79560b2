"""The staff API's request bodies: each pydantic model refuses unknown fields.

Imported inside the handlers (and, for the console's forms, when a form is first used), never at a
route module's top: the classes load on first use, off the Lambda cold start (request_fields.py
holds what the rooms' own bodies are made of)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from chalicelib.domain.agencies import AgencyId
from chalicelib.domain.decision import Outcome, Rag
from chalicelib.domain.onward_referral import Section
from chalicelib.domain.referral import no_control_characters
from chalicelib.web.admin.request_fields import (
    Rationale,
    StaffLine,
    StaffRequest,
    StaffText,
)


class ScreeningRequest(StaffRequest):
    rag: Rag
    level: Annotated[int, Field(ge=1, le=4)]
    rationale: Rationale


class DecisionRequest(StaffRequest):
    outcome: Outcome
    reasons: Rationale


class ConsentRequest(StaffRequest):
    state: Annotated[str, StringConstraints(pattern="^(requested|given|implicit|refused|dispensed)$")]
    given_by: StaffLine | None = None
    given_on: dt.date | None = None
    how: StaffLine | None = None
    service: StaffLine | None = None
    reason: StaffText | None = None
    review_on: dt.date | None = None
    # With state "requested": email a consent request to this parent (position in parents_carers).
    parent: Annotated[int, Field(ge=0, le=20)] | None = None


class ParentsToldRequest(StaffRequest):
    tell: bool
    reason: StaffText | None = None
    review_on: dt.date | None = None


class ContactPlanRequest(StaffRequest):
    """One person's contact plan: only what changes is sent; the rest stays as it was."""

    person: Annotated[str, StringConstraints(strip_whitespace=True, pattern="^(parent|household|risk):[0-9]{1,2}$")]
    parental_responsibility: bool | None = None
    safe_to_contact: bool | None = None
    may_pose_risk: bool | None = None
    tell: bool | None = None
    reason: Rationale
    review_on: dt.date | None = None


class NoticeReleaseRequest(StaffRequest):
    """A family email held for its translation: its translated text, or why it goes in English."""

    translation: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, max_length=20_000), AfterValidator(no_control_characters)
        ]
        | None
    ) = None
    english_reason: StaffText | None = None


class HeldNoticeRelease(NoticeReleaseRequest):
    """The console's form of the release: the notice is chosen on the page, not in the path."""

    notice: Annotated[str, StringConstraints(strip_whitespace=True, pattern="^[a-z0-9_:-]{1,64}$")]


class OutcomeNoticeRequest(StaffRequest):
    """withhold: true keeps the parents' outcome notice from going (reason and review_on);
    false releases it (reason), e.g. when the parents were not told of a protection referral."""

    withhold: bool
    reason: Rationale
    review_on: dt.date | None = None


class OnwardReferralRequest(StaffRequest):
    # A service id from the directory (settings, per stage), never an address.
    service: Annotated[str, StringConstraints(strip_whitespace=True, pattern="^[a-z0-9-]{1,64}$")]
    sections: Annotated[list[Section], Field(min_length=1, max_length=len(Section))]
    reason: Rationale


class EnquiriesRequest(StaffRequest):
    agencies: Annotated[list[AgencyId], Field(min_length=1, max_length=len(AgencyId))]
    question: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=10, max_length=2000),
        AfterValidator(no_control_characters),
    ]

    @model_validator(mode="after")
    def _each_agency_once(self) -> EnquiriesRequest:
        from chalicelib.domain.referral import FieldProblem

        if len(set(self.agencies)) != len(self.agencies):
            raise FieldProblem({"agencies": "Name each agency once"})
        return self


class TriageAttachRequest(StaffRequest):
    reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=9, max_length=11)]
    enquiry_id: Annotated[str, StringConstraints(strip_whitespace=True, pattern="^e[1-9][0-9]{0,2}$")]


class TriageRejectRequest(StaffRequest):
    note: Rationale


class LegalHoldRequest(StaffRequest):
    hold: bool
    reason: Rationale


class SubjectAccessRequest(StaffRequest):
    first_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    last_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    date_of_birth: dt.date


class ApprovalRequest(StaffRequest):
    approve: bool
    reason: StaffText | None = None

    @model_validator(mode="after")
    def _returning_needs_a_reason(self) -> ApprovalRequest:
        from chalicelib.domain.referral import FieldProblem

        if not self.approve and not self.reason:
            raise FieldProblem({"reason": "Say why the decision is returned, so the practitioner knows what to change"})
        return self


class ReplyTextRequest(StaffRequest):
    """An agency reply's shortened text: wrong (show the whole email first) or right again."""

    wrong: bool
    reason: Rationale


class ConsoleReplyText(ReplyTextRequest):
    """The console's form of it: the reply is chosen on the page, not in the path."""

    reply: Annotated[str, StringConstraints(strip_whitespace=True, pattern="^[a-z0-9]{1,64}$")]
