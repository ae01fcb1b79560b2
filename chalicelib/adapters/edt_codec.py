"""The emergency duty team's handover on the referral item: who and when in clear (like a consent
record's), the notes themselves sealed under the referral's data key (free text may name the family)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.envelope import SealedRecord
from chalicelib.domain.handover import Handover, HandoverNote

NOTES_FIELD = "edt_notes"


def handover_attributes(handover: Handover | None, sealed: SealedRecord, prefix: str) -> dict[str, Any]:
    if handover is None:
        return {}
    attributes: dict[str, Any] = {
        "edt_note_count": len(handover.notes),
        prefix + NOTES_FIELD: sealed.encrypt(
            NOTES_FIELD,
            [{"text": n.text, "by": n.written_by, "at": _iso(n.written_at)} for n in handover.notes],
        ),
    }
    if handover.handed_over_at is not None:
        attributes.update(edt_handed_over_at=_iso(handover.handed_over_at), edt_handed_over_by=handover.handed_over_by)
    return attributes


def handover_from_item(item: dict[str, Any], sealed: SealedRecord, prefix: str) -> Handover | None:
    blob = item.get(prefix + NOTES_FIELD)
    if blob is None:
        return None
    notes = tuple(
        HandoverNote(text=n["text"], written_by=n["by"], written_at=dt.datetime.fromisoformat(n["at"]))
        for n in sealed.decrypt(NOTES_FIELD, bytes(blob))
    )
    handed_over_at = item.get("edt_handed_over_at")
    return Handover(
        notes=notes,
        handed_over_by=item.get("edt_handed_over_by"),
        handed_over_at=dt.datetime.fromisoformat(handed_over_at) if handed_over_at else None,
    )


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")
