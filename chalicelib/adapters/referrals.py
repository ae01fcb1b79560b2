"""Referral storage: DynamoDB, with an in-memory twin that keeps items in the same encrypted shape.

Only non-personal metadata is stored in clear (reference, route, status, times, proposed level,
delivery state of notices). Each personal section of the submission is one encrypted field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.adapters import edt_codec
from chalicelib.adapters.aws import AwsError, plain_values, translate
from chalicelib.adapters.contact_plan_codec import contact_plan_attributes, contact_plan_from_item
from chalicelib.adapters.enquiry_codec import enquiries_from_item, enquiries_to_map, questions_attribute
from chalicelib.adapters.envelope import FieldCipher, SealedRecord
from chalicelib.adapters.reply_marks_codec import reply_marks_attributes, reply_marks_from_item
from chalicelib.adapters.table import OUTBOX_INDEX, OUTBOX_PARTITION, TTL_ATTRIBUTE
from chalicelib.adapters.translations_codec import translations_attributes, translations_from_item
from chalicelib.domain.audit import AuditAction, AuditEvent, ChainHead
from chalicelib.domain.consent import (
    ConsentRecord,
    ConsentSource,
    ConsentState,
    ParentsToldDecision,
    ParentsToldState,
)
from chalicelib.domain.decision import Decision, Outcome, Rag, Screening
from chalicelib.domain.failures import InvalidCursor, ReferenceTaken, ReferralNotFound, StaleReferral
from chalicelib.domain.lifecycle import OPEN_STATUSES
from chalicelib.domain.notices import FINAL_FAILURES, REFERRER, Notice, NoticeKind, NoticeStatus
from chalicelib.domain.onward_referral import OnwardReferral, Section
from chalicelib.domain.outcome_notices import OutcomeNoticeChoice, OutcomeNoticeDecision
from chalicelib.domain.referral import STORED, ReferralSubmission, Route
from chalicelib.domain.referral_record import PERSONAL_SECTIONS, Channel, Referral, ReferralStatus
from chalicelib.domain.retention import TTL_BACKSTOP, LegalHold
from chalicelib.domain.review_dates import review_due_on
from chalicelib.domain.tasks import Task, TaskKind
from chalicelib.domain.timeliness import EnquiryTimes, NoticeState, ReferralTimes

REFERRAL_SK = "REFERRAL"
FIELD_PREFIX = "pd_"


@dataclass(frozen=True)
class ReferralSummary:
    """What can be known of a referral without decrypting anything."""

    reference: str
    route: Route
    status: ReferralStatus
    received_at: dt.datetime
    request_fingerprint: str
    idempotency_key_hash: str | None
    child_keys: tuple[str, ...] = ()
    outcome: str | None = None
    immediate_risk: bool = False


CHILD_PREFIX = "CHILD#"


@dataclass(frozen=True)
class RetentionFacts:
    reference: str
    version: int
    child_keys: tuple[str, ...]
    audit_head: ChainHead
    outcome: str | None
    closed_at: dt.datetime | None
    deletable_after: dt.datetime | None
    notice_ids: tuple[str, ...] = ()


def partition_key(reference: str) -> str:
    return f"REF#{reference}"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def _parse(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def notice_to_map(notice: Notice) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": notice.kind.value,
        "status": notice.status.value,
        "created_at": _iso(notice.created_at),
        "attempts": notice.attempts,
        "next_attempt_at": _iso(notice.next_attempt_at) if notice.next_attempt_at else None,
        "last_error": notice.last_error,
        "provider_message_id": notice.provider_message_id,
        "sent_at": _iso(notice.sent_at) if notice.sent_at else None,
        # The default recipient (the referrer) is implied: every byte of the item is billed.
        "recipient": notice.recipient if notice.recipient != REFERRER else None,
        "history": [list(entry) for entry in notice.history] or None,
    }
    # Absent, not null: every byte of the item is billed on every write.
    return {key: value for key, value in data.items() if value is not None}


def notice_from_map(notice_id: str, data: dict[str, Any]) -> Notice:
    return Notice(
        notice_id=notice_id,
        kind=NoticeKind(data["kind"]),
        status=NoticeStatus(data["status"]),
        created_at=_parse(data["created_at"]),  # type: ignore[arg-type]
        next_attempt_at=_parse(data.get("next_attempt_at")),
        attempts=int(data.get("attempts", 0)),
        last_error=data.get("last_error"),
        provider_message_id=data.get("provider_message_id"),
        sent_at=_parse(data.get("sent_at")),
        recipient=data.get("recipient", REFERRER),
        history=tuple((str(status), str(at)) for status, at in data.get("history", [])),
    )


def outbox_attributes(referral: Referral) -> dict[str, str] | None:
    """The sparse outbox index entry: present only while a notice is waiting to go."""
    due = referral.next_notice_due()
    if due is None:
        return None
    return {"outbox_pk": OUTBOX_PARTITION, "outbox_due": _iso(due)}


def to_item(referral: Referral, sealed: SealedRecord) -> dict[str, Any]:
    submission = referral.submission.model_dump(mode="json")
    item: dict[str, Any] = {
        "pk": partition_key(referral.reference),
        "sk": REFERRAL_SK,
        "reference": referral.reference,
        "route": referral.route.value,
        "status": referral.status.value,
        "channel": referral.channel.value,
        "received_at": _iso(referral.received_at),
        "immediate_risk": referral.immediate_risk,
        "proposed_level": referral.proposed_level,
        "request_fingerprint": referral.request_fingerprint,
        "version": referral.version,
        "data_key": sealed.encrypted_key,
        "notices": {n.notice_id: notice_to_map(n) for n in referral.notices},
        **queue_attributes(referral),
    }
    if referral.audit_head.sequence:
        # Absent until the first event (a new referral has none): the genesis hash is implied.
        item.update(audit_seq=referral.audit_head.sequence, audit_head=referral.audit_head.last_hash)
    if referral.idempotency_key_hash:
        item["idempotency_key_hash"] = referral.idempotency_key_hash
    if referral.working_together_due_at:
        item["working_together_due_at"] = _iso(referral.working_together_due_at)
    if referral.child_keys:
        item["child_keys"] = list(referral.child_keys)
    for section in PERSONAL_SECTIONS:
        # An empty list (no household members named) is not stored: it reads back as the default.
        if submission.get(section) not in (None, []):
            item[FIELD_PREFIX + section] = sealed.encrypt(section, submission[section])
    item.update(_retention_attributes(referral, sealed))
    item.update(_consent_attributes(referral.recorded_consent, sealed))
    item.update(_parents_told_attributes(referral.parents_told_decision, sealed))
    item.update(_onward_attributes(referral.onward_referrals, sealed))
    item.update(_outcome_notice_attributes(referral.outcome_notice_decision, sealed))
    item.update(contact_plan_attributes(referral.contact_decisions, sealed, FIELD_PREFIX))
    item.update(translations_attributes(referral.translations, sealed, FIELD_PREFIX))
    item.update(reply_marks_attributes(referral.reply_marks, sealed, FIELD_PREFIX))
    if referral.enquiries:
        item["enquiries"] = enquiries_to_map(referral.enquiries)
        item.update(questions_attribute(referral.enquiries, sealed, FIELD_PREFIX))
    if referral.tasks:
        item["tasks"] = {task.task_id: _task_to_map(task) for task in referral.tasks}
    item.update(_screening_attributes(referral.screening, sealed))
    item.update(_decision_attributes(referral.decision, sealed))
    item.update(edt_codec.handover_attributes(referral.edt_handover, sealed, FIELD_PREFIX))
    item.update(outbox_attributes(referral) or {})
    return item


def queue_attributes(referral: Referral) -> dict[str, Any]:
    """The work queue's index entry: open referrals by urgency, then deadline. Clear metadata only."""
    due = referral.due_at
    if referral.status not in OPEN_STATUSES:
        # Closed referrals sort by when they may be deleted; a held one sorts after every date.
        deletable = referral.deletable_after
        key = f"{_iso(deletable)}#{referral.reference}" if deletable else f"~HOLD#{referral.reference}"
        return {"queue_pk": "CLOSED", "queue_sk": key}
    attributes: dict[str, Any] = {
        "queue_pk": "OPEN",
        "queue_sk": f"{referral.urgency_rank}#{_iso(due) if due else '~'}#{referral.reference}",
    }
    if due:
        attributes["due_at"] = _iso(due)
    if referral.screening:
        attributes["rag"] = referral.screening.rag.value
        attributes["level"] = referral.screening.level
    if has_undelivered_notice(referral):
        attributes[UNDELIVERED_ATTRIBUTE] = True
    review = review_due_on(referral)
    if review:
        attributes[REVIEW_DUE_ATTRIBUTE] = review.isoformat()
    out_of_hours = out_of_hours_state(referral)
    if out_of_hours:
        attributes[OUT_OF_HOURS_ATTRIBUTE] = out_of_hours
    return attributes


# The queue's out-of-hours flag (projected): "alerted" to the emergency duty team, or "handed_over" by it.
OUT_OF_HOURS_ATTRIBUTE = "out_of_hours"


def out_of_hours_state(referral: Referral) -> str | None:
    from chalicelib.domain.out_of_hours import was_alerted

    if referral.edt_handover is not None and referral.edt_handover.handed_over:
        return "handed_over"
    return "alerted" if was_alerted(referral) else None


def _retention_attributes(referral: Referral, sealed: SealedRecord) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    if referral.closed_at and referral.retention_until:
        attributes.update(closed_at=_iso(referral.closed_at), retention_until=_iso(referral.retention_until))
        if referral.deletable_after:
            attributes[TTL_ATTRIBUTE] = int((referral.deletable_after + TTL_BACKSTOP).timestamp())
    hold = referral.legal_hold
    if hold:
        attributes.update(hold_by=hold.placed_by, hold_at=_iso(hold.placed_at))
        attributes[FIELD_PREFIX + "legal_hold_reason"] = sealed.encrypt("legal_hold_reason", hold.reason)
    return attributes


def _consent_attributes(record: ConsentRecord | None, sealed: SealedRecord) -> dict[str, Any]:
    if record is None:
        return {}
    attributes: dict[str, Any] = {
        "consent_state": record.state.value,
        "consent_source": record.source.value,
        "consent_recorded_by": record.recorded_by,
        "consent_recorded_at": _iso(record.recorded_at),
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


def _consent_from_item(item: dict[str, Any], sealed: SealedRecord) -> ConsentRecord | None:
    if "consent_state" not in item:
        return None
    details = sealed.decrypt("consent_record", bytes(item[FIELD_PREFIX + "consent_record"]))
    return ConsentRecord(
        state=ConsentState(item["consent_state"]),
        source=ConsentSource(item["consent_source"]),
        recorded_by=item["consent_recorded_by"],
        recorded_at=_parse(item["consent_recorded_at"]),  # type: ignore[arg-type]
        given_by=details.get("given_by"),
        given_on=dt.date.fromisoformat(details["given_on"]) if details.get("given_on") else None,
        how=details.get("how"),
        service=details.get("service"),
        reason=details.get("reason"),
        review_on=dt.date.fromisoformat(item["consent_review_on"]) if item.get("consent_review_on") else None,
        signed_off_by=item.get("consent_signed_off_by"),
        answered_request=item.get("consent_answered_request"),
    )


def _parents_told_attributes(decision: ParentsToldDecision | None, sealed: SealedRecord) -> dict[str, Any]:
    if decision is None:
        return {}
    attributes: dict[str, Any] = {
        "parents_told": decision.state.value,
        "parents_told_by": decision.decided_by,
        "parents_told_at": _iso(decision.decided_at) if decision.decided_at else None,
    }
    if decision.review_on:
        attributes["parents_told_review_on"] = decision.review_on.isoformat()
    if decision.reason:
        attributes[FIELD_PREFIX + "parents_told_reason"] = sealed.encrypt("parents_told_reason", decision.reason)
    return {key: value for key, value in attributes.items() if value is not None}


def _parents_told_from_item(item: dict[str, Any], sealed: SealedRecord) -> ParentsToldDecision | None:
    if "parents_told" not in item:
        return None
    reason = item.get(FIELD_PREFIX + "parents_told_reason")
    return ParentsToldDecision(
        state=ParentsToldState(item["parents_told"]),
        decided_by=item.get("parents_told_by"),
        decided_at=_parse(item.get("parents_told_at")),
        reason=sealed.decrypt("parents_told_reason", bytes(reason)) if reason else None,
        review_on=dt.date.fromisoformat(item["parents_told_review_on"]) if item.get("parents_told_review_on") else None,
    )


def _outcome_notice_attributes(decision: OutcomeNoticeDecision | None, sealed: SealedRecord) -> dict[str, Any]:
    if decision is None:
        return {}
    attributes: dict[str, Any] = {
        "outcome_notice": decision.choice.value,
        "outcome_notice_by": decision.decided_by,
        "outcome_notice_at": _iso(decision.decided_at),
        # Why a family is not told may itself say what the worry is: encrypted.
        FIELD_PREFIX + "outcome_notice_reason": sealed.encrypt("outcome_notice_reason", decision.reason),
    }
    if decision.review_on:
        attributes["outcome_notice_review_on"] = decision.review_on.isoformat()
    return attributes


def _outcome_notice_from_item(item: dict[str, Any], sealed: SealedRecord) -> OutcomeNoticeDecision | None:
    if "outcome_notice" not in item:
        return None
    review_on = item.get("outcome_notice_review_on")
    return OutcomeNoticeDecision(
        choice=OutcomeNoticeChoice(item["outcome_notice"]),
        decided_by=item["outcome_notice_by"],
        decided_at=_parse(item["outcome_notice_at"]),  # type: ignore[arg-type]
        reason=sealed.decrypt("outcome_notice_reason", bytes(item[FIELD_PREFIX + "outcome_notice_reason"])),
        review_on=dt.date.fromisoformat(review_on) if review_on else None,
    )


def _onward_attributes(onward: tuple[OnwardReferral, ...], sealed: SealedRecord) -> dict[str, Any]:
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
                    "referred_at": _iso(o.referred_at),
                }
                for o in onward
            ],
        )
    }


def _onward_from_item(item: dict[str, Any], sealed: SealedRecord) -> tuple[OnwardReferral, ...]:
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
            referred_at=_parse(o["referred_at"]),  # type: ignore[arg-type]
        )
        for o in sealed.decrypt("onward_referrals", bytes(blob))
    )


def _task_to_map(task: Task) -> dict[str, Any]:
    data = {
        "kind": task.kind.value,
        "created_at": _iso(task.created_at),
        "about": task.about,
        "done_by": task.done_by,
        "done_at": _iso(task.done_at) if task.done_at else None,
        "due_on": task.due_on.isoformat() if task.due_on else None,
    }
    return {key: value for key, value in data.items() if value is not None}


def _task_from_map(task_id: str, data: dict[str, Any]) -> Task:
    return Task(
        task_id=task_id,
        kind=TaskKind(data["kind"]),
        created_at=_parse(data["created_at"]),  # type: ignore[arg-type]
        about=data.get("about"),
        done_by=data.get("done_by"),
        done_at=_parse(data.get("done_at")),
        due_on=dt.date.fromisoformat(data["due_on"]) if data.get("due_on") else None,
    )


def _legal_hold_from_item(item: dict[str, Any], sealed: SealedRecord) -> LegalHold | None:
    if "hold_by" not in item:
        return None
    return LegalHold(
        placed_by=item["hold_by"],
        placed_at=_parse(item["hold_at"]),  # type: ignore[arg-type]
        reason=sealed.decrypt("legal_hold_reason", bytes(item[FIELD_PREFIX + "legal_hold_reason"])),
    )


def _screening_attributes(screening: Screening | None, sealed: SealedRecord) -> dict[str, Any]:
    if screening is None:
        return {}
    return {
        # Also set by the open queue's entry; kept here so a closed referral keeps its rating and
        # deadline in clear (the timeliness report reads them, and reading it back needs them).
        "rag": screening.rag.value,
        "level": screening.level,
        "due_at": _iso(screening.decision_due_at),
        "screened_by": screening.screened_by,
        "screened_at": _iso(screening.screened_at),
        # Staff free text may name the family: encrypted like the referral itself.
        FIELD_PREFIX + "screening_rationale": sealed.encrypt("screening_rationale", screening.rationale),
    }


def _decision_attributes(decision: Decision | None, sealed: SealedRecord) -> dict[str, Any]:
    if decision is None:
        return {}
    attributes: dict[str, Any] = {
        "outcome": decision.outcome.value,
        "decided_by": decision.decided_by,
        "decided_at": _iso(decision.decided_at),
        "needs_approval": decision.needs_approval,
        FIELD_PREFIX + "decision_reasons": sealed.encrypt("decision_reasons", decision.reasons),
    }
    if decision.approved_by and decision.approved_at:
        attributes.update(approved_by=decision.approved_by, approved_at=_iso(decision.approved_at))
    if decision.returned_reason:
        attributes[FIELD_PREFIX + "decision_returned_reason"] = sealed.encrypt(
            "decision_returned_reason", decision.returned_reason
        )
    return attributes


def _screening_from_item(item: dict[str, Any], sealed: SealedRecord) -> Screening | None:
    if "rag" not in item or "screened_at" not in item:
        return None
    return Screening(
        rag=Rag(item["rag"]),
        level=int(item["level"]),
        rationale=sealed.decrypt("screening_rationale", bytes(item[FIELD_PREFIX + "screening_rationale"])),
        screened_by=item["screened_by"],
        screened_at=_parse(item["screened_at"]),  # type: ignore[arg-type]
        decision_due_at=_parse(item["due_at"]),  # type: ignore[arg-type]
    )


def _decision_from_item(item: dict[str, Any], sealed: SealedRecord) -> Decision | None:
    if "outcome" not in item:
        return None
    returned = item.get(FIELD_PREFIX + "decision_returned_reason")
    return Decision(
        outcome=Outcome(item["outcome"]),
        reasons=sealed.decrypt("decision_reasons", bytes(item[FIELD_PREFIX + "decision_reasons"])),
        decided_by=item["decided_by"],
        decided_at=_parse(item["decided_at"]),  # type: ignore[arg-type]
        needs_approval=bool(item["needs_approval"]),
        approved_by=item.get("approved_by"),
        approved_at=_parse(item.get("approved_at")),
        returned_reason=sealed.decrypt("decision_returned_reason", bytes(returned)) if returned else None,
    )


def summary_from_item(item: dict[str, Any]) -> ReferralSummary:
    return ReferralSummary(
        reference=item["reference"],
        route=Route(item["route"]),
        status=ReferralStatus(item["status"]),
        received_at=_parse(item["received_at"]),  # type: ignore[arg-type]
        request_fingerprint=item["request_fingerprint"],
        idempotency_key_hash=item.get("idempotency_key_hash"),
        child_keys=tuple(item.get("child_keys", ())),
        outcome=item.get("outcome"),
        immediate_risk=bool(item.get("immediate_risk", False)),
    )


def from_item(item: dict[str, Any], cipher: FieldCipher) -> Referral:
    return opened_from_item(item, cipher).referral


@dataclass(frozen=True)
class OpenReferral:
    """A decrypted referral and its unwrapped data key, so changes are sealed without another KMS call."""

    referral: Referral
    sealed: SealedRecord


def opened_from_item(item: dict[str, Any], cipher: FieldCipher) -> OpenReferral:
    reference = item["reference"]
    sealed = cipher.open(reference, bytes(item["data_key"]))
    sections = {
        section: sealed.decrypt(section, bytes(item[FIELD_PREFIX + section]))
        for section in PERSONAL_SECTIONS
        if FIELD_PREFIX + section in item
    }
    submission = ReferralSubmission.model_validate(
        {"route": item["route"], "immediate_risk": item["immediate_risk"], **sections}, context=STORED
    )
    summary = summary_from_item(item)
    referral = Referral(
        reference=reference,
        route=summary.route,
        status=summary.status,
        channel=Channel(item["channel"]),
        received_at=summary.received_at,
        immediate_risk=bool(item["immediate_risk"]),
        proposed_level=int(item["proposed_level"]),
        request_fingerprint=summary.request_fingerprint,
        idempotency_key_hash=summary.idempotency_key_hash,
        submission=submission,
        notices=tuple(notice_from_map(k, v) for k, v in sorted(item.get("notices", {}).items())),
        working_together_due_at=_parse(item.get("working_together_due_at")),
        screening=_screening_from_item(item, sealed),
        decision=_decision_from_item(item, sealed),
        audit_head=ChainHead(int(item.get("audit_seq", 0)), item.get("audit_head", ChainHead().last_hash)),
        child_keys=summary.child_keys,
        closed_at=_parse(item.get("closed_at")),
        retention_until=_parse(item.get("retention_until")),
        legal_hold=_legal_hold_from_item(item, sealed),
        recorded_consent=_consent_from_item(item, sealed),
        parents_told_decision=_parents_told_from_item(item, sealed),
        onward_referrals=_onward_from_item(item, sealed),
        outcome_notice_decision=_outcome_notice_from_item(item, sealed),
        contact_decisions=contact_plan_from_item(item, sealed, FIELD_PREFIX),
        translations=translations_from_item(item, sealed, FIELD_PREFIX),
        reply_marks=reply_marks_from_item(item, sealed, FIELD_PREFIX),
        tasks=tuple(_task_from_map(k, v) for k, v in sorted(item.get("tasks", {}).items())),
        enquiries=enquiries_from_item(item, sealed, FIELD_PREFIX),
        edt_handover=edt_codec.handover_from_item(item, sealed, FIELD_PREFIX),
        version=int(item["version"]),
    )
    return OpenReferral(referral, sealed)


AUDIT_PREFIX = "AUDIT#"


def audit_to_item(event: AuditEvent) -> dict[str, Any]:
    return {
        "pk": partition_key(event.reference),
        "sk": f"{AUDIT_PREFIX}{event.sequence:08d}",
        "reference": event.reference,
        "sequence": event.sequence,
        "action": event.action.value,
        "at": event.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": event.actor,
        "role": event.role,
        "request_id": event.request_id,
        "previous_hash": event.previous_hash,
        "details": dict(event.details),
        "hash": event.hash,
    }


def audit_from_item(item: dict[str, Any]) -> AuditEvent:
    return AuditEvent(
        reference=item["reference"],
        sequence=int(item["sequence"]),
        action=AuditAction(item["action"]),
        at=dt.datetime.fromisoformat(item["at"]),
        actor=item["actor"],
        role=item["role"],
        request_id=item.get("request_id"),
        previous_hash=item["previous_hash"],
        details={k: str(v) for k, v in (item.get("details") or {}).items()},
        hash=item["hash"],
    )


@dataclass(frozen=True)
class QueueRow:
    """One line of the work queue: metadata only, so listing needs no decryption."""

    reference: str
    route: str
    status: str
    rag: str | None
    level: int | None
    proposed_level: int
    received_at: str
    due_at: str | None
    # The referrer said a child is at immediate risk (kept in clear, like the route).
    immediate_risk: bool = False
    # A review date has come and its task is open (domain/review_dates.py): the earliest, YYYY-MM-DD.
    review_due_on: str | None = None
    # Out of hours: "alerted" (the emergency duty team was told) or "handed_over" (by it); else None.
    out_of_hours: str | None = None


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None


def queue_row(item: dict[str, Any]) -> QueueRow:
    return QueueRow(
        reference=item["reference"],
        route=item["route"],
        status=item["status"],
        rag=item.get("rag"),
        level=int(item["level"]) if item.get("level") is not None else None,
        proposed_level=int(item["proposed_level"]),
        received_at=item["received_at"],
        due_at=item.get("due_at"),
        immediate_risk=_immediate_risk(item),
        review_due_on=item.get(REVIEW_DUE_ATTRIBUTE),
        out_of_hours=item.get(OUT_OF_HOURS_ATTRIBUTE),
    )


def _immediate_risk(item: dict[str, Any]) -> bool:
    # Projected into the queue index (table.QUEUE_PROJECTED), so it shows after screening too.
    return bool(item.get("immediate_risk", False))


def encode_cursor(key: dict[str, str]) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, str]:
    import base64
    import binascii
    import json

    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise InvalidCursor("cursor is not one this API gave out: start again without it") from None
    if (
        not isinstance(key, dict)
        or set(key) != {"pk", "sk", "queue_pk", "queue_sk"}
        or not all(isinstance(v, str) for v in key.values())
    ):
        raise InvalidCursor("cursor is not one this API gave out: start again without it")
    return key


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
        received_at=_parse(item["received_at"]),  # type: ignore[arg-type]
        status=item["status"],
        rag=item.get("rag"),
        screened_at=_parse(item.get("screened_at")),
        due_at=_parse(item.get("due_at")),
        working_together_due_at=_parse(item.get("working_together_due_at")),
        decided_at=_parse(item.get("decided_at")),
        needs_approval=bool(item.get("needs_approval", False)),
        approved_at=_parse(item.get("approved_at")),
        enquiries=tuple(
            EnquiryTimes(
                agency=e["agency"],
                opened_at=_parse(e["opened_at"]),  # type: ignore[arg-type]
                due_at=_parse(e.get("due_at")),
                answered_at=_parse(e.get("answered_at")),
            )
            for _, e in sorted(enquiries.items())
            # A withdrawn enquiry was asked not to be answered: it counts neither for nor against the agency.
            if not e.get("withdrawn_at")
        ),
        notices=tuple(
            NoticeState(kind=n["kind"], status=n["status"]) for _, n in sorted((item.get("notices") or {}).items())
        ),
    )


# -- Delivery tracking: the message index and the queue's "undelivered" flag ---------------------
# SES events name only its MessageId. One small item per sent email, `MSG#<message id>`, says
# which referral and notice it carried: ids only, never an address. It cannot share the notice's
# UpdateItem (another item), so it is written just after SES accepts the email; if that write
# is lost, the event handler counts the event as unmatched and the notice stays "sent".
MESSAGE_PREFIX = "MSG#"
MESSAGE_SK = "NOTICE"
# SES reports within days (a complaint can take weeks); then the table's TTL removes the item.
MESSAGE_INDEX_LIFETIME = dt.timedelta(days=90)
UNDELIVERED_ATTRIBUTE = "undelivered"
# The earliest open review task's date (domain/review_dates.py), for the work queue: a date, nothing personal.
REVIEW_DUE_ATTRIBUTE = "review_due"


@dataclass(frozen=True)
class SentMessage:
    """Where an SES message id points: the referral and the notice it carried."""

    reference: str
    notice_id: str


def has_undelivered_notice(referral: Referral) -> bool:
    return any(notice.status in FINAL_FAILURES for notice in referral.notices)


def message_index_item(message_id: str, reference: str, notice_id: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "pk": MESSAGE_PREFIX + message_id,
        "sk": MESSAGE_SK,
        "reference": reference,
        "notice_id": notice_id,
        TTL_ATTRIBUTE: int((now + MESSAGE_INDEX_LIFETIME).timestamp()),
    }


SENT_PREFIX = "SENT#"


def sent_marker_item(reference: str, notice_id: str, message_id: str, now: dt.datetime) -> dict[str, Any]:
    """A small item in the referral's partition saying SES accepted this notice: if recording the
    notice as sent then fails, the outbox finds this before it would send the email again."""
    return {
        "pk": partition_key(reference),
        "sk": SENT_PREFIX + notice_id,
        "message_id": message_id,
        TTL_ATTRIBUTE: int((now + MESSAGE_INDEX_LIFETIME).timestamp()),
    }


class ReferralStore:
    """Base of both stores: encoding and the rules; subclasses only move items."""

    def __init__(self, cipher: FieldCipher) -> None:
        self.cipher = cipher

    def add(self, referral: Referral) -> SealedRecord:
        """Store a new referral under one new data key; ReferenceTaken if the reference exists."""
        sealed = self.cipher.seal(referral.reference)
        item = to_item(referral, sealed)
        # The child index first: then every stored referral can be found as "known before".
        self.add_child_index(referral.reference, referral.child_keys)
        self._put_new(item)
        return sealed

    def fetch(self, reference: str) -> Referral:
        """The whole referral, decrypted (one KMS Decrypt)."""
        return from_item(self._get(reference), self.cipher)

    def fetch_summary(self, reference: str) -> ReferralSummary:
        return summary_from_item(self._get(reference))

    def open(self, reference: str) -> OpenReferral:
        """Decrypted, with its data key kept for sealing changes (one KMS Decrypt in all)."""
        return opened_from_item(self._get(reference), self.cipher)

    def save(self, opened: OpenReferral, updated: Referral, audit: list[AuditEvent]) -> Referral:
        """Write a change and its audit events in one transaction.

        Refused (StaleReferral) if the referral changed or its audit chain grew since it was read:
        the caller reads again and re-applies, so no change and no audit event is lost.
        """
        if audit:
            updated = replace(updated, audit_head=ChainHead(audit[-1].sequence, audit[-1].hash))
        stored = replace(updated, version=opened.referral.version + 1)
        self._replace_with_audit(
            to_item(stored, opened.sealed),
            expected_version=opened.referral.version,
            expected_audit_seq=opened.referral.audit_head.sequence,
            audit_items=[audit_to_item(event) for event in audit],
        )
        return stored

    def append_audit(self, referral: Referral, events: list[AuditEvent]) -> Referral:
        """Append audit events alone (e.g. a read): the referral's version is left as it is."""
        head = ChainHead(events[-1].sequence, events[-1].hash)
        self._append_audit(referral.reference, referral.audit_head.sequence, head, [audit_to_item(e) for e in events])
        return replace(referral, audit_head=head)

    def audit_trail(self, reference: str) -> tuple[list[AuditEvent], ChainHead | None]:
        """Every audit event of a referral in order, and the chain head stored on the referral."""
        items = self._partition(reference)
        referral = next((i for i in items if i["sk"] == REFERRAL_SK), None)
        events = sorted(
            (audit_from_item(i) for i in items if i["sk"].startswith(AUDIT_PREFIX)), key=lambda e: e.sequence
        )
        if referral is None:
            if not events:
                raise ReferralNotFound(reference)
            # Deleted by retention: its audit events (ids and codes only) are the receipt.
            return events, None
        head = ChainHead(int(referral.get("audit_seq", 0)), referral.get("audit_head", ChainHead().last_hash))
        return events, head

    def retention_facts(self, reference: str) -> RetentionFacts:
        """What the retention sweep needs, read from clear metadata: nothing is decrypted."""
        item = self._get(reference)
        retention_until = _parse(item.get("retention_until"))
        return RetentionFacts(
            reference=reference,
            version=int(item["version"]),
            child_keys=tuple(item.get("child_keys", ())),
            audit_head=ChainHead(int(item.get("audit_seq", 0)), item.get("audit_head", ChainHead().last_hash)),
            outcome=item.get("outcome"),
            closed_at=_parse(item.get("closed_at")),
            deletable_after=None if "hold_by" in item else retention_until,
            notice_ids=tuple(item.get("notices", {})),
        )

    def delete_with_receipt(self, facts: RetentionFacts, receipt: AuditEvent) -> None:
        """Delete a referral and its child index entries, leaving the receipt, all at once."""
        self._delete_with_receipt(
            facts.reference,
            facts.version,
            [(CHILD_PREFIX + key, f"REF#{facts.reference}") for key in facts.child_keys]
            # The markers of emails SES accepted (message ids only) go with the referral too.
            + [(partition_key(facts.reference), SENT_PREFIX + notice_id) for notice_id in facts.notice_ids],
            audit_to_item(receipt),
        )

    def references_due_for_deletion(self, now: dt.datetime, limit: int = 50) -> list[str]:
        items, _ = self._closed_before(_iso(now), limit)
        return [item["reference"] for item in items]

    def add_child_index(self, reference: str, child_keys: tuple[str, ...]) -> None:
        """One small item per child under its keyed hash, pointing at the referral (idempotent)."""
        if child_keys:
            self._put_index(
                [{"pk": CHILD_PREFIX + key, "sk": f"REF#{reference}", "reference": reference} for key in child_keys]
            )

    def referrals_of_child(self, child_key: str, exclude: str | None = None) -> list[ReferralSummary]:
        """Every referral indexed under this child's keyed hash: metadata only, nothing decrypted.

        An index item whose referral does not carry the same key (one left behind when a
        reference clashed and the referral went elsewhere) is ignored, never shown.
        """
        found = []
        for reference in self._indexed_references(CHILD_PREFIX + child_key):
            if reference == exclude:
                continue  # the referral being read: no need to read it again
            try:
                summary = self.fetch_summary(reference)
            except ReferralNotFound:
                continue
            if child_key in summary.child_keys:
                found.append(summary)
        return sorted(found, key=lambda summary: summary.received_at)

    def list_queue(
        self,
        *,
        status: str | None = None,
        rag: str | None = None,
        limit: int = 25,
        cursor: str | None = None,
        undelivered: bool = False,
    ) -> QueuePage:
        start = decode_cursor(cursor) if cursor else None
        items, last_key = self._queue_items(status, rag, limit, start, undelivered=undelivered)
        return QueuePage([queue_row(i) for i in items], encode_cursor(last_key) if last_key else None)

    def save_notices(self, referral: Referral) -> Referral:
        """Record notices' delivery state; refuses if the referral changed since it was read."""
        notices = {n.notice_id: notice_to_map(n) for n in referral.notices}
        # Tasks and the queue's "undelivered" flag ride along: a bounce raises a task in the same write.
        tasks = {task.task_id: _task_to_map(task) for task in referral.tasks} or None
        self._update_notices(
            referral.reference,
            referral.version,
            notices,
            outbox_attributes(referral),
            tasks=tasks,
            undelivered=has_undelivered_notice(referral),
            enquiries=enquiries_to_map(referral.enquiries),
            review_due=review.isoformat() if (review := review_due_on(referral)) else None,
        )
        return _bump(referral)

    def metadata_received_between(self, start: dt.datetime, end: dt.datetime) -> list[ReferralTimes]:
        """Every referral received in [start, end), as clear metadata for the timeliness report:
        only TIMELINESS_ATTRIBUTES are read (never a pd_ field) and no key is unwrapped."""
        return [timeliness_row(item) for item in self._received_between(_iso(start), _iso(end))]

    def _received_between(self, start: str, end: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _get(self, reference: str) -> dict[str, Any]:
        raise NotImplementedError

    def _put_new(self, item: dict[str, Any]) -> None:
        raise NotImplementedError

    def _update_notices(
        self,
        reference: str,
        version: int,
        notices: dict[str, Any],
        outbox: dict[str, str] | None,
        *,
        tasks: dict[str, Any] | None = None,
        undelivered: bool = False,
        enquiries: dict[str, Any] | None = None,
        review_due: str | None = None,
    ) -> None:
        raise NotImplementedError

    def references_with_notices_due(self, now: dt.datetime, limit: int = 50) -> list[str]:
        raise NotImplementedError

    def _replace_with_audit(
        self, item: dict[str, Any], *, expected_version: int, expected_audit_seq: int, audit_items: list[dict[str, Any]]
    ) -> None:
        raise NotImplementedError

    def _append_audit(
        self, reference: str, expected_seq: int, head: ChainHead, audit_items: list[dict[str, Any]]
    ) -> None:
        raise NotImplementedError

    def _partition(self, reference: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _queue_items(
        self,
        status: str | None,
        rag: str | None,
        limit: int,
        start: dict[str, str] | None,
        *,
        undelivered: bool = False,
    ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        raise NotImplementedError

    def _put_index(self, items: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def _delete_with_receipt(
        self, reference: str, version: int, index_keys: list[tuple[str, str]], receipt: dict[str, Any]
    ) -> None:
        raise NotImplementedError

    def _closed_before(self, moment: str, limit: int) -> tuple[list[dict[str, Any]], None]:
        raise NotImplementedError

    def _indexed_references(self, pk: str) -> list[str]:
        raise NotImplementedError

    # -- delivery tracking: the message index ---------------------------------------------------

    def save_message_index(self, message_id: str, reference: str, notice_id: str, now: dt.datetime) -> None:
        """Remember which notice an SES message carried, and that the notice was accepted by SES
        (idempotent: the same items again). One BatchWriteItem for both small items."""
        self._put_index(
            [
                message_index_item(message_id, reference, notice_id, now),
                sent_marker_item(reference, notice_id, message_id, now),
            ]
        )

    def fetch_sent_marker(self, reference: str, notice_id: str) -> str | None:
        """The SES message id of a notice SES already accepted, if it did."""
        item = self._get_key(partition_key(reference), SENT_PREFIX + notice_id)
        return item["message_id"] if item else None

    def fetch_sent_message(self, message_id: str) -> SentMessage | None:
        """The notice an SES message id belongs to; None if it was never indexed (or expired)."""
        item = self._get_key(MESSAGE_PREFIX + message_id, MESSAGE_SK)
        if item is None:
            return None
        return SentMessage(reference=item["reference"], notice_id=item["notice_id"])

    def _get_key(self, pk: str, sk: str) -> dict[str, Any] | None:
        raise NotImplementedError


def _bump(referral: Referral) -> Referral:
    return replace(referral, version=referral.version + 1)


class InMemoryReferralStore(ReferralStore):
    """Twin of DynamoReferralStore: same items (ciphertext included), kept in a dict."""

    def __init__(self, cipher: FieldCipher) -> None:
        super().__init__(cipher)
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def _get(self, reference: str) -> dict[str, Any]:
        item = self.items.get((partition_key(reference), REFERRAL_SK))
        if item is None:
            raise ReferralNotFound(reference)
        return dict(item)

    def _put_new(self, item: dict[str, Any]) -> None:
        key = (item["pk"], item["sk"])
        if key in self.items:
            raise ReferenceTaken(item["reference"])
        self.items[key] = dict(item)

    def _update_notices(
        self,
        reference: str,
        version: int,
        notices: dict[str, Any],
        outbox: dict[str, str] | None,
        *,
        tasks: dict[str, Any] | None = None,
        undelivered: bool = False,
        enquiries: dict[str, Any] | None = None,
        review_due: str | None = None,
    ) -> None:
        item = self._get(reference)
        if item["version"] != version:
            raise StaleReferral(reference)
        item.update(notices=notices, version=version + 1)
        if tasks:
            item["tasks"] = tasks
        if enquiries:
            item["enquiries"] = enquiries
        item.pop(UNDELIVERED_ATTRIBUTE, None)
        if undelivered:
            item[UNDELIVERED_ATTRIBUTE] = True
        item.pop(REVIEW_DUE_ATTRIBUTE, None)
        if review_due:
            item[REVIEW_DUE_ATTRIBUTE] = review_due
        item.pop("outbox_pk", None)
        item.pop("outbox_due", None)
        item.update(outbox or {})
        self.items[(item["pk"], item["sk"])] = item

    def _replace_with_audit(
        self, item: dict[str, Any], *, expected_version: int, expected_audit_seq: int, audit_items: list[dict[str, Any]]
    ) -> None:
        current = self._get(item["reference"])
        if current["version"] != expected_version or current.get("audit_seq", 0) != expected_audit_seq:
            raise StaleReferral(item["reference"])
        if any((a["pk"], a["sk"]) in self.items for a in audit_items):
            raise StaleReferral(item["reference"])
        self.items[(item["pk"], item["sk"])] = dict(item)
        for audit in audit_items:
            self.items[(audit["pk"], audit["sk"])] = dict(audit)

    def _append_audit(
        self, reference: str, expected_seq: int, head: ChainHead, audit_items: list[dict[str, Any]]
    ) -> None:
        current = self._get(reference)
        if current.get("audit_seq", 0) != expected_seq or any((a["pk"], a["sk"]) in self.items for a in audit_items):
            raise StaleReferral(reference)
        current.update(audit_seq=head.sequence, audit_head=head.last_hash)
        self.items[(current["pk"], current["sk"])] = current
        for audit in audit_items:
            self.items[(audit["pk"], audit["sk"])] = dict(audit)

    def _partition(self, reference: str) -> list[dict[str, Any]]:
        pk = partition_key(reference)
        return [dict(item) for (item_pk, _), item in sorted(self.items.items()) if item_pk == pk]

    def _queue_items(
        self,
        status: str | None,
        rag: str | None,
        limit: int,
        start: dict[str, str] | None,
        *,
        undelivered: bool = False,
    ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        ordered = sorted(
            (i for i in self.items.values() if i.get("queue_pk") == "OPEN" and i["sk"] == REFERRAL_SK),
            key=lambda i: i["queue_sk"],
        )
        if start:
            ordered = [i for i in ordered if i["queue_sk"] > start["queue_sk"]]
        # Like DynamoDB: Limit counts items read, the filter applies after.
        page, rest = ordered[:limit], ordered[limit:]
        matching = [
            i
            for i in page
            if (status is None or i["status"] == status)
            and (rag is None or i.get("rag") == rag)
            and (not undelivered or i.get(UNDELIVERED_ATTRIBUTE))
        ]
        last = page[-1] if page and rest else None
        key = {k: last[k] for k in ("pk", "sk", "queue_pk", "queue_sk")} if last else None
        return [dict(i) for i in matching], key

    def _delete_with_receipt(
        self, reference: str, version: int, index_keys: list[tuple[str, str]], receipt: dict[str, Any]
    ) -> None:
        current = self._get(reference)
        if current["version"] != version or (receipt["pk"], receipt["sk"]) in self.items:
            raise StaleReferral(reference)
        del self.items[(current["pk"], current["sk"])]
        for key in index_keys:
            self.items.pop(key, None)
        self.items[(receipt["pk"], receipt["sk"])] = dict(receipt)

    def _closed_before(self, moment: str, limit: int) -> tuple[list[dict[str, Any]], None]:
        closed = sorted(
            (i for i in self.items.values() if i.get("queue_pk") == "CLOSED" and i["queue_sk"] < moment),
            key=lambda i: i["queue_sk"],
        )
        return [dict(i) for i in closed[:limit]], None

    def _received_between(self, start: str, end: str) -> list[dict[str, Any]]:
        # Like the DynamoDB twin: every referral is in the queue index; only the listed attributes.
        return [
            {name: item[name] for name in ("pk", "sk", *TIMELINESS_ATTRIBUTES) if name in item}
            for item in self.items.values()
            if item["sk"] == REFERRAL_SK and "queue_pk" in item and start <= item["received_at"] < end
        ]

    def _put_index(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            self.items[(item["pk"], item["sk"])] = dict(item)

    def _indexed_references(self, pk: str) -> list[str]:
        return [item["reference"] for (item_pk, _), item in sorted(self.items.items()) if item_pk == pk]

    def references_with_notices_due(self, now: dt.datetime, limit: int = 50) -> list[str]:
        due = sorted(
            (item["outbox_due"], item["reference"])
            for item in self.items.values()
            if item.get("outbox_pk") == OUTBOX_PARTITION and item["outbox_due"] <= _iso(now)
        )
        return [reference for _, reference in due[:limit]]

    # -- delivery tracking ------------------------------------------------------------------------

    def _get_key(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self.items.get((pk, sk))
        return dict(item) if item is not None else None


class DynamoReferralStore(ReferralStore):
    def __init__(self, dynamodb_client: Any, table_name: str, cipher: FieldCipher) -> None:
        super().__init__(cipher)
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._db = dynamodb_client
        self._table = table_name
        self._serialize = TypeSerializer().serialize
        self._deserialize = TypeDeserializer().deserialize

    def _encode(self, item: dict[str, Any]) -> dict[str, Any]:
        return {key: self._serialize(value) for key, value in item.items()}

    def _decode(self, item: dict[str, Any]) -> dict[str, Any]:
        decoded = {key: self._deserialize(value) for key, value in item.items()}
        return plain_values(decoded)

    def _get(self, reference: str) -> dict[str, Any]:
        try:
            answer = self._db.get_item(
                TableName=self._table,
                Key={"pk": {"S": partition_key(reference)}, "sk": {"S": REFERRAL_SK}},
                ConsistentRead=True,
            )
        except Exception as exc:
            raise translate("dynamodb", exc) from None
        if "Item" not in answer:
            raise ReferralNotFound(reference)
        return self._decode(answer["Item"])

    def _put_new(self, item: dict[str, Any]) -> None:
        try:
            self._db.put_item(
                TableName=self._table,
                Item=self._encode(item),
                # One referral per reference, ever: a repeat or a clash must not overwrite.
                ConditionExpression="attribute_not_exists(pk)",
            )
        except Exception as exc:
            error = translate("dynamodb", exc)
            if error.code == "ConditionalCheckFailedException":
                raise ReferenceTaken(item["reference"]) from None
            raise error from None

    def _update_notices(
        self,
        reference: str,
        version: int,
        notices: dict[str, Any],
        outbox: dict[str, str] | None,
        *,
        tasks: dict[str, Any] | None = None,
        undelivered: bool = False,
        enquiries: dict[str, Any] | None = None,
        review_due: str | None = None,
    ) -> None:
        values = {
            ":notices": self._serialize(notices),
            ":expected": {"N": str(version)},
            ":next": {"N": str(version + 1)},
        }
        sets, removes = ["notices = :notices", "version = :next"], []
        if outbox:
            sets += ["outbox_pk = :opk", "outbox_due = :odue"]
            values[":opk"] = {"S": outbox["outbox_pk"]}
            values[":odue"] = {"S": outbox["outbox_due"]}
        else:
            removes += ["outbox_pk", "outbox_due"]
        if tasks:
            sets.append("tasks = :tasks")
            values[":tasks"] = self._serialize(tasks)
        if enquiries:
            # Metadata only: the questions stay sealed, and an enquiry is never removed by this.
            sets.append("enquiries = :enquiries")
            values[":enquiries"] = self._serialize(enquiries)
        if undelivered:
            sets.append(f"{UNDELIVERED_ATTRIBUTE} = :undelivered")
            values[":undelivered"] = {"BOOL": True}
        else:
            removes.append(UNDELIVERED_ATTRIBUTE)
        if review_due:
            sets.append(f"{REVIEW_DUE_ATTRIBUTE} = :review_due")
            values[":review_due"] = {"S": review_due}
        else:
            removes.append(REVIEW_DUE_ATTRIBUTE)
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"pk": {"S": partition_key(reference)}, "sk": {"S": REFERRAL_SK}},
                UpdateExpression=update,
                # Optimistic lock: a concurrent dispatcher or staff change wins, we re-read.
                ConditionExpression="version = :expected",
                ExpressionAttributeValues=values,
            )
        except Exception as exc:
            error = translate("dynamodb", exc)
            if error.code == "ConditionalCheckFailedException":
                raise StaleReferral(reference) from None
            raise error from None

    def references_with_notices_due(self, now: dt.datetime, limit: int = 50) -> list[str]:
        try:
            answer = self._db.query(
                TableName=self._table,
                IndexName=OUTBOX_INDEX,
                KeyConditionExpression="outbox_pk = :p AND outbox_due <= :now",
                ExpressionAttributeValues={":p": {"S": OUTBOX_PARTITION}, ":now": {"S": _iso(now)}},
                Limit=limit,
            )
        except Exception as exc:
            raise translate("dynamodb", exc) from None
        return [item["pk"]["S"].removeprefix("REF#") for item in answer.get("Items", [])]

    def _replace_with_audit(
        self, item: dict[str, Any], *, expected_version: int, expected_audit_seq: int, audit_items: list[dict[str, Any]]
    ) -> None:
        self._transact(
            item["reference"],
            [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": self._encode(item),
                        # Optimistic lock on both the change and the audit chain.
                        "ConditionExpression": f"version = :v AND {_chain_at(expected_audit_seq)}",
                        "ExpressionAttributeValues": {
                            ":v": {"N": str(expected_version)},
                            **_chain_values(expected_audit_seq),
                        },
                    }
                },
                *self._audit_puts(audit_items),
            ],
        )

    def _append_audit(
        self, reference: str, expected_seq: int, head: ChainHead, audit_items: list[dict[str, Any]]
    ) -> None:
        self._transact(
            reference,
            [
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": {"pk": {"S": partition_key(reference)}, "sk": {"S": REFERRAL_SK}},
                        "UpdateExpression": "SET audit_seq = :next, audit_head = :head",
                        "ConditionExpression": _chain_at(expected_seq),
                        "ExpressionAttributeValues": {
                            ":next": {"N": str(head.sequence)},
                            ":head": {"S": head.last_hash},
                            **_chain_values(expected_seq),
                        },
                    }
                },
                *self._audit_puts(audit_items),
            ],
        )

    def _audit_puts(self, audit_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._encode(audit),
                    # An audit event is written once and never overwritten.
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for audit in audit_items
        ]

    def _transact(self, reference: str, items: list[dict[str, Any]]) -> None:
        from botocore.exceptions import ClientError

        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                raise StaleReferral(reference) from None
            raise translate("dynamodb", exc) from None
        except Exception as exc:
            raise translate("dynamodb", exc) from None

    def _put_index(self, items: list[dict[str, Any]]) -> None:
        requests = [{"PutRequest": {"Item": self._encode(item)}} for item in items]
        try:
            for _ in range(5):
                answer = self._db.batch_write_item(RequestItems={self._table: requests})
                requests = answer.get("UnprocessedItems", {}).get(self._table, [])
                if not requests:
                    return
        except Exception as exc:
            raise translate("dynamodb", exc) from None
        # Throttled five times over: the caller stores nothing and says "try again".
        raise AwsError("dynamodb", "UnprocessedItems", retryable=True)

    def _delete_with_receipt(
        self, reference: str, version: int, index_keys: list[tuple[str, str]], receipt: dict[str, Any]
    ) -> None:
        self._transact(
            reference,
            [
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": {"pk": {"S": partition_key(reference)}, "sk": {"S": REFERRAL_SK}},
                        # Not if someone placed a hold (or changed anything) since the sweep read it.
                        "ConditionExpression": "version = :v",
                        "ExpressionAttributeValues": {":v": {"N": str(version)}},
                    }
                },
                *[
                    {"Delete": {"TableName": self._table, "Key": {"pk": {"S": pk}, "sk": {"S": sk}}}}
                    for pk, sk in index_keys
                ],
                *self._audit_puts([receipt]),
            ],
        )

    def _closed_before(self, moment: str, limit: int) -> tuple[list[dict[str, Any]], None]:
        from chalicelib.adapters.table import QUEUE_INDEX

        try:
            answer = self._db.query(
                TableName=self._table,
                IndexName=QUEUE_INDEX,
                KeyConditionExpression="queue_pk = :closed AND queue_sk < :moment",
                ExpressionAttributeValues={":closed": {"S": "CLOSED"}, ":moment": {"S": moment}},
                Limit=limit,
            )
        except Exception as exc:
            raise translate("dynamodb", exc) from None
        return [self._decode(i) for i in answer.get("Items", [])], None

    def _received_between(self, start: str, end: str) -> list[dict[str, Any]]:
        """The queue index holds every referral (OPEN or CLOSED) with its received_at: find the keys
        there, then read the clear attributes with BatchGetItem (the index does not project them)."""
        from chalicelib.adapters.table import QUEUE_INDEX

        keys: dict[str, dict[str, Any]] = {}
        for partition in ("OPEN", "CLOSED"):
            arguments: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": QUEUE_INDEX,
                "KeyConditionExpression": "queue_pk = :p",
                "FilterExpression": "received_at >= :start AND received_at < :end",
                "ProjectionExpression": "pk, sk",
                "ExpressionAttributeValues": {":p": {"S": partition}, ":start": {"S": start}, ":end": {"S": end}},
            }
            try:
                while True:
                    answer = self._db.query(**arguments)
                    # A referral closing while we read could be in both: one key per referral.
                    keys.update({i["pk"]["S"]: {"pk": i["pk"], "sk": i["sk"]} for i in answer.get("Items", [])})
                    if "LastEvaluatedKey" not in answer:
                        break
                    arguments["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
            except Exception as exc:
                raise translate("dynamodb", exc) from None
        found = list(keys.values())
        return [
            item
            for start_at in range(0, len(found), 100)
            for item in self._metadata_of(found[start_at : start_at + 100])
        ]

    def _metadata_of(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        names = {f"#a{n}": name for n, name in enumerate(TIMELINESS_ATTRIBUTES)}
        request: dict[str, Any] = {
            self._table: {"Keys": keys, "ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}
        }
        items: list[dict[str, Any]] = []
        try:
            for _ in range(5):
                answer = self._db.batch_get_item(RequestItems=request)
                items.extend(self._decode(i) for i in answer.get("Responses", {}).get(self._table, []))
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    return items
        except Exception as exc:
            raise translate("dynamodb", exc) from None
        raise AwsError("dynamodb", "UnprocessedKeys", retryable=True)

    def _indexed_references(self, pk: str) -> list[str]:
        try:
            answer = self._db.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": pk}},
                ProjectionExpression="#ref",
                ExpressionAttributeNames={"#ref": "reference"},  # REFERENCE is a reserved word
            )
        except Exception as exc:
            raise translate("dynamodb", exc) from None
        return [item["reference"]["S"] for item in answer.get("Items", [])]

    def _partition(self, reference: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition_key(reference)}},
            "ConsistentRead": True,
        }
        try:
            while True:
                answer = self._db.query(**arguments)
                items.extend(self._decode(i) for i in answer.get("Items", []))
                if "LastEvaluatedKey" not in answer:
                    return items
                arguments["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        except Exception as exc:
            raise translate("dynamodb", exc) from None

    def _queue_items(
        self,
        status: str | None,
        rag: str | None,
        limit: int,
        start: dict[str, str] | None,
        *,
        undelivered: bool = False,
    ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        from chalicelib.adapters.table import QUEUE_INDEX

        arguments: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": QUEUE_INDEX,
            "KeyConditionExpression": "queue_pk = :open",
            "ExpressionAttributeValues": {":open": {"S": "OPEN"}},
            "Limit": limit,
        }
        filters = []
        names: dict[str, str] = {}
        if status:
            filters.append("#status = :status")
            names["#status"] = "status"
            arguments["ExpressionAttributeValues"][":status"] = {"S": status}
        if rag:
            filters.append("rag = :rag")
            arguments["ExpressionAttributeValues"][":rag"] = {"S": rag}
        if undelivered:
            filters.append(f"{UNDELIVERED_ATTRIBUTE} = :undelivered")
            arguments["ExpressionAttributeValues"][":undelivered"] = {"BOOL": True}
        if filters:
            arguments["FilterExpression"] = " AND ".join(filters)
        if names:
            arguments["ExpressionAttributeNames"] = names
        if start:
            arguments["ExclusiveStartKey"] = {k: {"S": v} for k, v in start.items()}
        try:
            answer = self._db.query(**arguments)
        except Exception as exc:
            raise translate("dynamodb", exc) from None
        last = answer.get("LastEvaluatedKey")
        key = {k: v["S"] for k, v in last.items()} if last else None
        return [self._decode(i) for i in answer.get("Items", [])], key

    # -- delivery tracking ------------------------------------------------------------------------

    def _get_key(self, pk: str, sk: str) -> dict[str, Any] | None:
        try:
            answer = self._db.get_item(TableName=self._table, Key={"pk": {"S": pk}, "sk": {"S": sk}})
        except Exception as exc:
            raise translate("dynamodb", exc) from None
        return self._decode(answer["Item"]) if "Item" in answer else None


def _chain_at(sequence: int) -> str:
    # A referral with no audit event yet has no audit_seq attribute at all.
    return "audit_seq = :s" if sequence else "attribute_not_exists(audit_seq)"


def _chain_values(sequence: int) -> dict[str, Any]:
    return {":s": {"N": str(sequence)}} if sequence else {}

