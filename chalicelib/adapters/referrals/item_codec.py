"""The item codec: a referral to its one DynamoDB item and back, and its audit events' items.

Only non-personal metadata is stored in clear (reference, route, status, times, proposed level,
delivery state of notices). Each personal section of the submission is one encrypted field; each
decision's attributes come from `decision_codec`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import edt_codec
from chalicelib.adapters.case_notes_codec import case_notes_attributes, case_notes_from_item
from chalicelib.adapters.contact_plan_codec import contact_plan_attributes, contact_plan_from_item
from chalicelib.adapters.enquiry_codec import (
    EnquiryMetadata,
    enquiries_from_item,
    enquiries_to_map,
    enquiry_metadata,
    questions_attribute,
)
from chalicelib.adapters.envelope import FieldCipher, SealedRecord
from chalicelib.adapters.lawful_basis_codec import sharing_bases_attributes, sharing_bases_from_item
from chalicelib.adapters.referral_links_codec import links_attributes, links_from_item
from chalicelib.adapters.referrals.allocation_codec import card_from_item, owner_attributes, owner_from_item
from chalicelib.adapters.referrals.census_codec import census_attributes, re_referral_from_item
from chalicelib.adapters.referrals.decision_codec import (
    consent_attributes,
    consent_from_item,
    decision_attributes,
    decision_from_item,
    legal_hold_from_item,
    onward_attributes,
    onward_from_item,
    outcome_notice_attributes,
    outcome_notice_from_item,
    parents_told_attributes,
    parents_told_from_item,
    retention_attributes,
    screening_attributes,
    screening_from_item,
)
from chalicelib.adapters.referrals.keys import FIELD_PREFIX, REFERRAL_SK, iso, parse, partition_key
from chalicelib.adapters.referrals.notice_codec import (
    notice_from_map,
    notice_to_map,
    outbox_attributes,
    task_from_map,
    task_to_map,
)
from chalicelib.adapters.referrals.queue_rows import queue_attributes
from chalicelib.adapters.reply_marks_codec import reply_marks_attributes, reply_marks_from_item
from chalicelib.adapters.task_notes_codec import task_notes_attributes, with_task_notes
from chalicelib.adapters.translations_codec import translations_attributes, translations_from_item
from chalicelib.domain.audit import AuditAction, AuditEvent, ChainHead
from chalicelib.domain.referral import STORED, ReferralSubmission, Route
from chalicelib.domain.referral_record import PERSONAL_SECTIONS, Channel, Referral, ReferralStatus


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
    enquiries: tuple[EnquiryMetadata, ...] = ()  # in clear: agency, when asked, answered or withdrawn


def to_item(referral: Referral, sealed: SealedRecord) -> dict[str, Any]:
    submission = referral.submission.model_dump(mode="json")
    item: dict[str, Any] = {
        "pk": partition_key(referral.reference),
        "sk": REFERRAL_SK,
        "reference": referral.reference,
        "route": referral.route.value,
        "status": referral.status.value,
        "channel": referral.channel.value,
        "received_at": iso(referral.received_at),
        "immediate_risk": referral.immediate_risk,
        "proposed_level": referral.proposed_level,
        "request_fingerprint": referral.request_fingerprint,
        "version": referral.version,
        "data_key": sealed.encrypted_key,
        "notices": {n.notice_id: notice_to_map(n) for n in referral.notices},
        **queue_attributes(referral),
    }
    item.update(owner_attributes(referral, item))
    if referral.audit_head.sequence:
        # Absent until the first event (a new referral has none): the genesis hash is implied.
        item.update(audit_seq=referral.audit_head.sequence, audit_head=referral.audit_head.last_hash)
    if referral.idempotency_key_hash:
        item["idempotency_key_hash"] = referral.idempotency_key_hash
    if referral.working_together_due_at:
        item["working_together_due_at"] = iso(referral.working_together_due_at)
    if referral.child_keys:
        item["child_keys"] = list(referral.child_keys)
    if referral.search_keys:
        item["search_keys"] = list(referral.search_keys)
    for section in PERSONAL_SECTIONS:
        # An empty list (no household members named) is not stored: it reads back as the default.
        if submission.get(section) not in (None, []):
            item[FIELD_PREFIX + section] = sealed.encrypt(section, submission[section])
    item.update(retention_attributes(referral, sealed))
    item.update(consent_attributes(referral.recorded_consent, sealed))
    item.update(parents_told_attributes(referral.parents_told_decision, sealed))
    item.update(onward_attributes(referral.onward_referrals, sealed))
    item.update(outcome_notice_attributes(referral.outcome_notice_decision, sealed))
    item.update(contact_plan_attributes(referral.contact_decisions, sealed, FIELD_PREFIX))
    item.update(translations_attributes(referral.translations, sealed, FIELD_PREFIX))
    item.update(reply_marks_attributes(referral.reply_marks, sealed, FIELD_PREFIX))
    item.update(case_notes_attributes(referral.case_notes, sealed, FIELD_PREFIX))
    item.update(links_attributes(referral.links, sealed, FIELD_PREFIX))
    item.update(sharing_bases_attributes(referral.sharing_bases))
    if referral.enquiries:
        item["enquiries"] = enquiries_to_map(referral.enquiries)
        item.update(questions_attribute(referral.enquiries, sealed, FIELD_PREFIX))
    if referral.tasks:
        item["tasks"] = {task.task_id: task_to_map(task) for task in referral.tasks}
        item.update(task_notes_attributes(referral.tasks, sealed, FIELD_PREFIX))
    item.update(screening_attributes(referral.screening, sealed))
    item.update(decision_attributes(referral.decision, sealed))
    item.update(edt_codec.handover_attributes(referral.edt_handover, sealed, FIELD_PREFIX))
    item.update(outbox_attributes(referral) or {})
    item.update(census_attributes(referral))
    return item


def summary_from_item(item: dict[str, Any]) -> ReferralSummary:
    return ReferralSummary(
        reference=item["reference"],
        route=Route(item["route"]),
        status=ReferralStatus(item["status"]),
        received_at=parse(item["received_at"]),  # type: ignore[arg-type]
        request_fingerprint=item["request_fingerprint"],
        idempotency_key_hash=item.get("idempotency_key_hash"),
        child_keys=tuple(item.get("child_keys", ())),
        outcome=item.get("outcome"),
        immediate_risk=bool(item.get("immediate_risk", False)),
        enquiries=enquiry_metadata(item),
    )


def from_item(item: dict[str, Any], cipher: FieldCipher) -> Referral:
    return opened_from_item(item, cipher).referral


@dataclass(frozen=True)
class OpenReferral:
    """A decrypted referral and its unwrapped data key, so changes are sealed without another KMS call."""

    referral: Referral
    sealed: SealedRecord
    # The sealed search card carried on the item (allocation_codec), kept as it is by every save.
    card: bytes | None = None


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
        proposed_level=int(item["proposed_level"]) if item.get("proposed_level") is not None else None,
        request_fingerprint=summary.request_fingerprint,
        idempotency_key_hash=summary.idempotency_key_hash,
        submission=submission,
        notices=tuple(notice_from_map(k, v) for k, v in sorted(item.get("notices", {}).items())),
        working_together_due_at=parse(item.get("working_together_due_at")),
        screening=screening_from_item(item, sealed),
        decision=decision_from_item(item, sealed),
        audit_head=ChainHead(int(item.get("audit_seq", 0)), item.get("audit_head", ChainHead().last_hash)),
        child_keys=summary.child_keys,
        search_keys=tuple(item.get("search_keys", ())),
        closed_at=parse(item.get("closed_at")),
        retention_until=parse(item.get("retention_until")),
        legal_hold=legal_hold_from_item(item, sealed),
        recorded_consent=consent_from_item(item, sealed),
        parents_told_decision=parents_told_from_item(item, sealed),
        onward_referrals=onward_from_item(item, sealed),
        outcome_notice_decision=outcome_notice_from_item(item, sealed),
        contact_decisions=contact_plan_from_item(item, sealed, FIELD_PREFIX),
        translations=translations_from_item(item, sealed, FIELD_PREFIX),
        reply_marks=reply_marks_from_item(item, sealed, FIELD_PREFIX),
        case_notes=case_notes_from_item(item, sealed, FIELD_PREFIX),
        links=links_from_item(item, sealed, FIELD_PREFIX),
        sharing_bases=sharing_bases_from_item(item),
        tasks=with_task_notes(
            tuple(task_from_map(k, v) for k, v in sorted(item.get("tasks", {}).items())), item, sealed, FIELD_PREFIX
        ),
        enquiries=enquiries_from_item(item, sealed, FIELD_PREFIX),
        edt_handover=edt_codec.handover_from_item(item, sealed, FIELD_PREFIX),
        owner=owner_from_item(item),
        re_referral=re_referral_from_item(item),
        version=int(item["version"]),
    )
    return OpenReferral(referral, sealed, card_from_item(item))


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
