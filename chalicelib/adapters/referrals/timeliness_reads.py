"""The timeliness report's reads: which clear attributes it asks for, and the row it makes of them."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.referrals.keys import parse
from chalicelib.domain.timeliness import EnquiryTimes, NoticeState, ReferralTimes

# -- The timeliness report: times and codes in clear, never a pd_ field, never a key ------------
# What a report reads of each referral (a DynamoDB ProjectionExpression): see domain/timeliness.py.
TIMELINESS_ATTRIBUTES = (
    "received_at",
    "status",
    "rag",
    "screened_at",
    "due_at",
    "working_together_due_at",
    "decided_at",
    "needs_approval",
    "approved_at",
    "enquiries",
    "notices",
)


def timeliness_row(item: dict[str, Any]) -> ReferralTimes:
    enquiries = item.get("enquiries") or {}
    return ReferralTimes(
        received_at=parse(item["received_at"]),  # type: ignore[arg-type]
        status=item["status"],
        rag=item.get("rag"),
        screened_at=parse(item.get("screened_at")),
        due_at=parse(item.get("due_at")),
        working_together_due_at=parse(item.get("working_together_due_at")),
        decided_at=parse(item.get("decided_at")),
        needs_approval=bool(item.get("needs_approval", False)),
        approved_at=parse(item.get("approved_at")),
        enquiries=tuple(
            EnquiryTimes(
                agency=e["agency"],
                opened_at=parse(e["opened_at"]),  # type: ignore[arg-type]
                due_at=parse(e.get("due_at")),
                answered_at=parse(e.get("answered_at")),
            )
            for _, e in sorted(enquiries.items())
            # A withdrawn enquiry was asked not to be answered: it counts neither for nor against the agency.
            if not e.get("withdrawn_at")
        ),
        notices=tuple(
            NoticeState(kind=n["kind"], status=n["status"]) for _, n in sorted((item.get("notices") or {}).items())
        ),
    )
