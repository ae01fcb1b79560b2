"""Response models for advice calls (advice.py): the list's rows, one call whole, and the counts."""

from __future__ import annotations

from pydantic import Field

from chalicelib.domain.advice_contacts import AdviceOutcome, CallerKind
from chalicelib.domain.referral import Agency
from chalicelib.web.admin.responses import NEXT_CURSOR, Count, Date, DateTime, StaffAnswer


class AdviceSummary(StaffAnswer):
    """An advice call's clear metadata: codes and times, nothing that identifies anyone."""

    contact_id: str
    called_at: DateTime
    recorded_at: DateTime
    recorded_by: str
    caller_kind: CallerKind
    caller_agency: Agency | None
    outcome: AdviceOutcome
    outcome_text: str
    referral_reference: str | None = Field(description="The referral it was made into, if it was")


class AdviceList(StaffAnswer):
    contacts: list[AdviceSummary] = Field(description="Newest call first")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class AdviceContactDetail(AdviceSummary):
    """One advice call whole (decrypted; the read is audited)."""

    retention_until: DateTime
    caller_name: str | None
    caller_organisation: str | None
    caller_phone: str | None
    about: str
    names: str | None
    advice: str


class AdviceReport(StaffAnswer):
    """Advice calls on London dates from..to (both included): counted from clear codes, no decryption."""

    date_from: Date
    date_to: Date
    total: Count
    by_outcome: dict[AdviceOutcome, Count]
    by_caller_kind: dict[CallerKind, Count]
    by_month: dict[str, Count] = Field(description="YYYY-MM (London) -> calls")


class AdviceReferralMade(StaffAnswer):
    """The referral made from an advice call: stored as every referral is (channel `staff`); the call now names it."""

    contact_id: str
    reference: str
    status: str
    received_at: DateTime
    created: bool = Field(description="False when this call's referral was already stored (a retry): the same one")
