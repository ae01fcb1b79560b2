"""How a referral's agency enquiries sit in its item: metadata in clear (so the outbox sweep can
record a publish or a chaser without a KMS call), the questions in one sealed field."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.envelope import SealedRecord
from chalicelib.domain.agencies import AgencyId
from chalicelib.domain.enquiries import Enquiry

QUESTIONS_FIELD = "enquiry_questions"
# Staff's reasons for withdrawing an enquiry: may name the family, so sealed like the questions.
WITHDRAWAL_REASONS_FIELD = "enquiry_withdrawal_reasons"
_TIMES = (
    "opened_at",
    "due_at",
    "escalate_at",
    "next_publish_at",
    "published_at",
    "answered_at",
    "chased_at",
    "escalated_at",
    "withdrawn_at",
)


def enquiries_to_map(enquiries: tuple[Enquiry, ...]) -> dict[str, Any] | None:
    if not enquiries:
        return None
    return {e.enquiry_id: _to_map(e) for e in enquiries}


def _to_map(enquiry: Enquiry) -> dict[str, Any]:
    data: dict[str, Any] = {"agency": enquiry.agency.value, "opened_by": enquiry.opened_by}
    for name in _TIMES:
        moment: dt.datetime | None = getattr(enquiry, name)
        if moment is not None:
            data[name] = moment.astimezone(dt.UTC).isoformat()
    if enquiry.publish_attempts:
        data["publish_attempts"] = enquiry.publish_attempts
    if enquiry.reply_ids:
        data["reply_ids"] = list(enquiry.reply_ids)
    if enquiry.request_message_id:
        data["request_message_id"] = enquiry.request_message_id
    if enquiry.withdrawn_by:
        data["withdrawn_by"] = enquiry.withdrawn_by
    if enquiry.withdrawn_because:
        data["withdrawn_because"] = enquiry.withdrawn_because
    return data


def questions_attribute(enquiries: tuple[Enquiry, ...], sealed: SealedRecord, prefix: str) -> dict[str, Any]:
    if not enquiries:
        return {}
    attributes = {
        prefix + QUESTIONS_FIELD: sealed.encrypt(QUESTIONS_FIELD, {e.enquiry_id: e.question for e in enquiries})
    }
    reasons = {e.enquiry_id: e.withdrawal_reason for e in enquiries if e.withdrawal_reason}
    if reasons:
        attributes[prefix + WITHDRAWAL_REASONS_FIELD] = sealed.encrypt(WITHDRAWAL_REASONS_FIELD, reasons)
    return attributes


@dataclass(frozen=True)
class EnquiryMetadata:
    """An enquiry as its item holds it in clear: enough to choose it from a list (triage), with no
    question and no KMS call."""

    enquiry_id: str
    agency: AgencyId
    opened_at: dt.datetime
    answered: bool
    withdrawn: bool


def enquiry_metadata(item: dict[str, Any]) -> tuple[EnquiryMetadata, ...]:
    stored = item.get("enquiries") or {}
    return tuple(
        EnquiryMetadata(
            enquiry_id,
            AgencyId(stored[enquiry_id]["agency"]),
            dt.datetime.fromisoformat(stored[enquiry_id]["opened_at"]),
            answered=bool(stored[enquiry_id].get("answered_at")),
            withdrawn=bool(stored[enquiry_id].get("withdrawn_at")),
        )
        for enquiry_id in sorted(stored, key=lambda enquiry_id: int(enquiry_id[1:]))
    )


def enquiries_from_item(item: dict[str, Any], sealed: SealedRecord, prefix: str) -> tuple[Enquiry, ...]:
    stored = item.get("enquiries") or {}
    if not stored:
        return ()
    questions = sealed.decrypt(QUESTIONS_FIELD, bytes(item[prefix + QUESTIONS_FIELD]))
    sealed_reasons = item.get(prefix + WITHDRAWAL_REASONS_FIELD)
    reasons = sealed.decrypt(WITHDRAWAL_REASONS_FIELD, bytes(sealed_reasons)) if sealed_reasons else {}
    # e2 before e10: by number, not by text.
    ids = sorted(stored, key=lambda enquiry_id: int(enquiry_id[1:]))
    return tuple(
        _from_map(enquiry_id, stored[enquiry_id], questions[enquiry_id], reasons.get(enquiry_id)) for enquiry_id in ids
    )


def _from_map(enquiry_id: str, data: dict[str, Any], question: str, reason: str | None = None) -> Enquiry:
    times = {name: dt.datetime.fromisoformat(data[name]) if data.get(name) else None for name in _TIMES}
    return Enquiry(
        enquiry_id=enquiry_id,
        agency=AgencyId(data["agency"]),
        question=question,
        opened_by=data["opened_by"],
        publish_attempts=int(data.get("publish_attempts", 0)),
        reply_ids=tuple(data.get("reply_ids", ())),
        request_message_id=data.get("request_message_id"),
        withdrawn_by=data.get("withdrawn_by"),
        withdrawn_because=data.get("withdrawn_because"),
        withdrawal_reason=reason,
        **times,  # type: ignore[arg-type]
    )
