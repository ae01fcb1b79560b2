"""The per-decision attribute codecs: what staff decided, as the item's attributes.

Each decision keeps its codes, names of staff and times in clear (the queue, the reports and the
retention sweep read them without a key) and anything written about the family sealed under the
referral's data key (`pd_` fields). `X_attributes` writes one decision; `X_from_item` reads it back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.envelope import SealedRecord
from chalicelib.adapters.referrals.keys import FIELD_PREFIX, iso, parse
from chalicelib.adapters.table import TTL_ATTRIBUTE
from chalicelib.domain.consent import (
    ConsentRecord,
    ConsentSource,
    ConsentState,
    ParentsToldDecision,
    ParentsToldState,
)
from chalicelib.domain.decision import Decision, Outcome, Rag, Screening
from chalicelib.domain.onward_referral import OnwardReferral, Section
from chalicelib.domain.outcome_notices import OutcomeNoticeChoice, OutcomeNoticeDecision
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.retention import TTL_BACKSTOP, LegalHold


def retention_attributes(referral: Referral, sealed: SealedRecord) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    if referral.closed_at and referral.retention_until:
        attributes.update(closed_at=iso(referral.closed_at), retention_until=iso(referral.retention_until))
        if referral.deletable_after:
            attributes[TTL_ATTRIBUTE] = int((referral.deletable_after + TTL_BACKSTOP).timestamp())
    hold = referral.legal_hold
    if hold:
        attributes.update(hold_by=hold.placed_by, hold_at=iso(hold.placed_at))
        attributes[FIELD_PREFIX + "legal_hold_reason"] = sealed.encrypt("legal_hold_reason", hold.reason)
    return attributes


def consent_attributes(record: ConsentRecord | None, sealed: SealedRecord) -> dict[str, Any]:
    if record is None:
        return {}
    attributes: dict[str, Any] = {
        "consent_state": record.state.value,
        "consent_source": record.source.value,
        "consent_recorded_by": record.recorded_by,
        "consent_recorded_at": iso(record.recorded_at),
        # Who gave it, how, for which service, and why not: may name the family.
        FIELD_PREFIX + "consent_record": sealed.encrypt(
            "consent_record",
            {
                "given_by": record.given_by,
                "given_on": record.given_on.isoformat() if record.given_on else None,
                "how": record.how,
                "service": record.service,
                "reason": record.reason,
            },
        ),
    }
    if record.review_on:
        attributes["consent_review_on"] = record.review_on.isoformat()
    if record.signed_off_by:
        attributes["consent_signed_off_by"] = record.signed_off_by
    if record.answered_request:
        attributes["consent_answered_request"] = record.answered_request  # a notice id: nothing personal
    return attributes


def consent_from_item(item: dict[str, Any], sealed: SealedRecord) -> ConsentRecord | None:
    if "consent_state" not in item:
        return None
    details = sealed.decrypt("consent_record", bytes(item[FIELD_PREFIX + "consent_record"]))
    return ConsentRecord(
        state=ConsentState(item["consent_state"]),
        source=ConsentSource(item["consent_source"]),
        recorded_by=item["consent_recorded_by"],
        recorded_at=parse(item["consent_recorded_at"]),  # type: ignore[arg-type]
        given_by=details.get("given_by"),
        given_on=dt.date.fromisoformat(details["given_on"]) if details.get("given_on") else None,
        how=details.get("how"),
        service=details.get("service"),
        reason=details.get("reason"),
        review_on=dt.date.fromisoformat(item["consent_review_on"]) if item.get("consent_review_on") else None,
        signed_off_by=item.get("consent_signed_off_by"),
        answered_request=item.get("consent_answered_request"),
    )


def parents_told_attributes(decision: ParentsToldDecision | None, sealed: SealedRecord) -> dict[str, Any]:
    if decision is None:
        return {}
    attributes: dict[str, Any] = {
        "parents_told": decision.state.value,
        "parents_told_by": decision.decided_by,
        "parents_told_at": iso(decision.decided_at) if decision.decided_at else None,
    }
    if decision.review_on:
        attributes["parents_told_review_on"] = decision.review_on.isoformat()
    if decision.reason:
        attributes[FIELD_PREFIX + "parents_told_reason"] = sealed.encrypt("parents_told_reason", decision.reason)
    return {key: value for key, value in attributes.items() if value is not None}


def parents_told_from_item(item: dict[str, Any], sealed: SealedRecord) -> ParentsToldDecision | None:
    if "parents_told" not in item:
        return None
    reason = item.get(FIELD_PREFIX + "parents_told_reason")
    return ParentsToldDecision(
        state=ParentsToldState(item["parents_told"]),
        decided_by=item.get("parents_told_by"),
        decided_at=parse(item.get("parents_told_at")),
        reason=sealed.decrypt("parents_told_reason", bytes(reason)) if reason else None,
        review_on=dt.date.fromisoformat(item["parents_told_review_on"]) if item.get("parents_told_review_on") else None,
    )


def outcome_notice_attributes(decision: OutcomeNoticeDecision | None, sealed: SealedRecord) -> dict[str, Any]:
    if decision is None:
        return {}
    attributes: dict[str, Any] = {
        "outcome_notice": decision.choice.value,
        "outcome_notice_by": decision.decided_by,
        "outcome_notice_at": iso(decision.decided_at),
        # Why a family is not told may itself say what the worry is: encrypted.
        FIELD_PREFIX + "outcome_notice_reason": sealed.encrypt("outcome_notice_reason", decision.reason),
    }
    if decision.review_on:
        attributes["outcome_notice_review_on"] = decision.review_on.isoformat()
    return attributes


def outcome_notice_from_item(item: dict[str, Any], sealed: SealedRecord) -> OutcomeNoticeDecision | None:
    if "outcome_notice" not in item:
        return None
    review_on = item.get("outcome_notice_review_on")
    return OutcomeNoticeDecision(
        choice=OutcomeNoticeChoice(item["outcome_notice"]),
        decided_by=item["outcome_notice_by"],
        decided_at=parse(item["outcome_notice_at"]),  # type: ignore[arg-type]
        reason=sealed.decrypt("outcome_notice_reason", bytes(item[FIELD_PREFIX + "outcome_notice_reason"])),
        review_on=dt.date.fromisoformat(review_on) if review_on else None,
    )


def onward_attributes(onward: tuple[OnwardReferral, ...], sealed: SealedRecord) -> dict[str, Any]:
    """One encrypted field: the reasons are written about the family and may name them."""
    if not onward:
        return {}
    return {
        FIELD_PREFIX + "onward_referrals": sealed.encrypt(
            "onward_referrals",
            [
                {
                    "notice_id": o.notice_id,
                    "service_id": o.service_id,
                    "service_name": o.service_name,
                    "sections": [section.value for section in o.sections],
                    "reason": o.reason,
                    "referred_by": o.referred_by,
                    "referred_at": iso(o.referred_at),
                }
                for o in onward
            ],
        )
    }


def onward_from_item(item: dict[str, Any], sealed: SealedRecord) -> tuple[OnwardReferral, ...]:
    blob = item.get(FIELD_PREFIX + "onward_referrals")
    if blob is None:
        return ()
    return tuple(
        OnwardReferral(
            notice_id=o["notice_id"],
            service_id=o["service_id"],
            service_name=o["service_name"],
            sections=tuple(Section(section) for section in o["sections"]),
            reason=o["reason"],
            referred_by=o["referred_by"],
            referred_at=parse(o["referred_at"]),  # type: ignore[arg-type]
        )
        for o in sealed.decrypt("onward_referrals", bytes(blob))
    )


def legal_hold_from_item(item: dict[str, Any], sealed: SealedRecord) -> LegalHold | None:
    if "hold_by" not in item:
        return None
    return LegalHold(
        placed_by=item["hold_by"],
        placed_at=parse(item["hold_at"]),  # type: ignore[arg-type]
        reason=sealed.decrypt("legal_hold_reason", bytes(item[FIELD_PREFIX + "legal_hold_reason"])),
    )


def screening_attributes(screening: Screening | None, sealed: SealedRecord) -> dict[str, Any]:
    if screening is None:
        return {}
    return {
        # Also set by the open queue's entry; kept here so a closed referral keeps its rating and
        # deadline in clear (the timeliness report reads them, and reading it back needs them).
        "rag": screening.rag.value,
        "level": screening.level,
        "due_at": iso(screening.decision_due_at),
        "screened_by": screening.screened_by,
        "screened_at": iso(screening.screened_at),
        # Staff free text may name the family: encrypted like the referral itself.
        FIELD_PREFIX + "screening_rationale": sealed.encrypt("screening_rationale", screening.rationale),
    }


def decision_attributes(decision: Decision | None, sealed: SealedRecord) -> dict[str, Any]:
    if decision is None:
        return {}
    attributes: dict[str, Any] = {
        "outcome": decision.outcome.value,
        "decided_by": decision.decided_by,
        "decided_at": iso(decision.decided_at),
        "needs_approval": decision.needs_approval,
        FIELD_PREFIX + "decision_reasons": sealed.encrypt("decision_reasons", decision.reasons),
    }
    if decision.approved_by and decision.approved_at:
        attributes.update(approved_by=decision.approved_by, approved_at=iso(decision.approved_at))
    if decision.returned_reason:
        attributes[FIELD_PREFIX + "decision_returned_reason"] = sealed.encrypt(
            "decision_returned_reason", decision.returned_reason
        )
    return attributes


def screening_from_item(item: dict[str, Any], sealed: SealedRecord) -> Screening | None:
    if "rag" not in item or "screened_at" not in item:
        return None
    return Screening(
        rag=Rag(item["rag"]),
        level=int(item["level"]),
        rationale=sealed.decrypt("screening_rationale", bytes(item[FIELD_PREFIX + "screening_rationale"])),
        screened_by=item["screened_by"],
        screened_at=parse(item["screened_at"]),  # type: ignore[arg-type]
        decision_due_at=parse(item["due_at"]),  # type: ignore[arg-type]
    )


def decision_from_item(item: dict[str, Any], sealed: SealedRecord) -> Decision | None:
    if "outcome" not in item:
        return None
    returned = item.get(FIELD_PREFIX + "decision_returned_reason")
    return Decision(
        outcome=Outcome(item["outcome"]),
        reasons=sealed.decrypt("decision_reasons", bytes(item[FIELD_PREFIX + "decision_reasons"])),
        decided_by=item["decided_by"],
        decided_at=parse(item["decided_at"]),  # type: ignore[arg-type]
        needs_approval=bool(item["needs_approval"]),
        approved_by=item.get("approved_by"),
        approved_at=parse(item.get("approved_at")),
        returned_reason=sealed.decrypt("decision_returned_reason", bytes(returned)) if returned else None,
    )
