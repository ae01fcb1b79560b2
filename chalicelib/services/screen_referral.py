"""Screening: the MASH's RAG rating and level of need, with a rationale, which sets the deadline."""

from __future__ import annotations

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.deadlines import decision_deadline
from chalicelib.domain.decision import Rag, Screening
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.services.referral_changes import change_referral
from chalicelib.wiring import wiring


def screen_referral(
    reference: str, *, rag: Rag, level: int, rationale: str, staff: StaffMember, request_id: str | None
) -> Referral:
    now = wiring().clock()
    screening = Screening(
        rag=rag,
        level=level,
        rationale=rationale,
        screened_by=staff.id,
        screened_at=now,
        decision_due_at=decision_deadline(now, rag, wiring().deadline_policy),
    )
    return change_referral(
        reference,
        staff,
        request_id,
        AuditAction.SCREENED,
        lambda referral: referral.screen(screening),
        lambda referral: {"rag": rag.value, "level": str(level), "status": referral.status.value},
    )
