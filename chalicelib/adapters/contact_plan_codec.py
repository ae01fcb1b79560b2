"""The contact plan's decisions on the referral item: one sealed field, since every part of a
decision (who, what was found, the reason) is about a named person."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.envelope import SealedRecord
from chalicelib.domain.contact_plan import ContactDecision

FIELD = "contact_plan"


def contact_plan_attributes(
    decisions: tuple[ContactDecision, ...], sealed: SealedRecord, prefix: str
) -> dict[str, Any]:
    if not decisions:
        return {}
    return {prefix + FIELD: sealed.encrypt(FIELD, [_to_map(decision) for decision in decisions])}


def contact_plan_from_item(item: dict[str, Any], sealed: SealedRecord, prefix: str) -> tuple[ContactDecision, ...]:
    blob = item.get(prefix + FIELD)
    if blob is None:
        return ()
    return tuple(_from_map(entry) for entry in sealed.decrypt(FIELD, bytes(blob)))


def _to_map(decision: ContactDecision) -> dict[str, Any]:
    return {
        "person": decision.person,
        "reason": decision.reason,
        "decided_by": decision.decided_by,
        "decided_at": decision.decided_at.isoformat(),
        "parental_responsibility": decision.parental_responsibility,
        "safe_to_contact": decision.safe_to_contact,
        "may_pose_risk": decision.may_pose_risk,
        "tell": decision.tell,
        "review_on": decision.review_on.isoformat() if decision.review_on else None,
    }


def _from_map(entry: dict[str, Any]) -> ContactDecision:
    return ContactDecision(
        person=entry["person"],
        reason=entry["reason"],
        decided_by=entry["decided_by"],
        decided_at=dt.datetime.fromisoformat(entry["decided_at"]),
        parental_responsibility=entry.get("parental_responsibility"),
        safe_to_contact=entry.get("safe_to_contact"),
        may_pose_risk=entry.get("may_pose_risk"),
        tell=entry.get("tell"),
        review_on=dt.date.fromisoformat(entry["review_on"]) if entry.get("review_on") else None,
    )
