"""Shaping answers: where a referral stands after a change (no personal data), its decision and audit events."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.web.admin.responses import StaffAnswer

# The response models (responses*.py) are imported where an answer is shaped, never at module top:
# building their pydantic classes would cost the Lambda cold start tens of ms for routes not called.


def shaped(model: type[StaffAnswer], data: dict[str, Any]) -> dict[str, Any]:
    """`data` checked against its response model and written as JSON. An answer that does not match
    what the OpenAPI document says fails loudly in the local stage (the tests, `make run`). Deployed,
    a practitioner still gets the answer, never a 500 for our own drift, and the log says which
    fields drifted (their places and error types only: no values, so no personal data)."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data).model_dump(mode="json")
    except ValidationError as drift:
        from chalicelib.logs import logger
        from chalicelib.wiring import wiring

        if wiring().settings.stage == "local":
            raise
        places = [{"at": ".".join(map(str, error["loc"])), "type": error["type"]} for error in drift.errors()]
        logger.error("answer does not match its model", extra={"model": model.__name__, "drift": places})
        return data


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _state(referral: Any) -> dict[str, Any]:
    """After a change: where the referral stands now (no personal data)."""
    from chalicelib.domain.lifecycle import allowed_actions
    from chalicelib.web.admin.responses import ReferralState

    state = {
        "reference": referral.reference,
        "status": referral.status.value,
        "rag": referral.rag.value if referral.rag else None,
        "due_at": _iso(referral.due_at),
        "working_together_due_at": _iso(referral.working_together_due_at),
        "decision": _decision(referral.decision, with_reasons=False),
        "closed_at": _iso(referral.closed_at),
        "retention_until": _iso(referral.retention_until),
        "legal_hold": referral.legal_hold is not None,
        "consent": referral.consent.state.value,
        "sharing_allowed": referral.sharing_refusal is None,
        "sharing_refusal": referral.sharing_refusal,
        "parents_told": referral.parents_told.state.value if referral.parents_told else None,
        "allowed_actions": [a.value for a in allowed_actions(referral.status)],
    }
    return shaped(ReferralState, state)


def _decision(decision: Any, *, with_reasons: bool) -> dict[str, Any] | None:
    if decision is None:
        return None
    shaped = {
        "outcome": decision.outcome.value,
        "decided_by": decision.decided_by,
        "decided_at": _iso(decision.decided_at),
        "needs_approval": decision.needs_approval,
        "approved_by": decision.approved_by,
        "approved_at": _iso(decision.approved_at),
    }
    if with_reasons:
        shaped.update(reasons=decision.reasons, returned_reason=decision.returned_reason)
    return shaped


def _event(event: Any) -> dict[str, Any]:
    from chalicelib.web.admin.responses import AuditEvent

    shown = {
        "sequence": event.sequence,
        "action": event.action.value,
        "at": event.at.isoformat(timespec="seconds"),
        "actor": event.actor,
        "role": event.role,
        "request_id": event.request_id,
        "details": event.details,
    }
    return shaped(AuditEvent, shown)


def found_referral(found: Any, today: dt.date) -> dict[str, Any]:
    """A search result: enough to recognise the family (the children's first names and ages), no more."""
    return {
        "reference": found.reference,
        "status": found.status.value,
        "received_at": _iso(found.received_at),
        "children": [
            {
                "first_name": child.first_name,
                "date_of_birth": child.date_of_birth.isoformat() if child.date_of_birth else None,
                "age": _age(child.date_of_birth, today) if child.date_of_birth else None,
            }
            for child in found.children
        ],
    }


def _age(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
