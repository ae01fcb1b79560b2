"""Case notes on the referral item: one sealed field under the referral's own data key, so a note
costs no new KMS data key (the change that adds it already holds the key open)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.envelope import SealedRecord
from chalicelib.domain.case_notes import CaseNote, NoteType

FIELD = "case_notes"


def case_notes_attributes(notes: tuple[CaseNote, ...], sealed: SealedRecord, prefix: str) -> dict[str, Any]:
    if not notes:
        return {}
    entries = [
        {
            "id": n.note_id,
            "kind": n.kind.value,
            "text": n.text,
            "by": n.written_by,
            "at": n.written_at.isoformat(),
            **({"corrects": n.corrects} if n.corrects else {}),
        }
        for n in notes
    ]
    return {prefix + FIELD: sealed.encrypt(FIELD, entries)}


def case_notes_from_item(item: dict[str, Any], sealed: SealedRecord, prefix: str) -> tuple[CaseNote, ...]:
    blob = item.get(prefix + FIELD)
    if blob is None:
        return ()
    return tuple(
        CaseNote(
            e["id"], NoteType(e["kind"]), e["text"], e["by"], dt.datetime.fromisoformat(e["at"]), e.get("corrects")
        )
        for e in sealed.decrypt(FIELD, bytes(blob))
    )
