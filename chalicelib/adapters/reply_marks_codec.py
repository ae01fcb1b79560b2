"""Agency replies shown whole, on the referral item: one sealed field (a reason may quote the reply)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.envelope import SealedRecord
from chalicelib.domain.reply_display import ReplyTextMark

FIELD = "reply_marks"


def reply_marks_attributes(marks: tuple[ReplyTextMark, ...], sealed: SealedRecord, prefix: str) -> dict[str, Any]:
    if not marks:
        return {}
    entries = [
        {"reply_id": m.reply_id, "marked_by": m.marked_by, "marked_at": m.marked_at.isoformat(), "reason": m.reason}
        for m in marks
    ]
    return {prefix + FIELD: sealed.encrypt(FIELD, entries)}


def reply_marks_from_item(item: dict[str, Any], sealed: SealedRecord, prefix: str) -> tuple[ReplyTextMark, ...]:
    blob = item.get(prefix + FIELD)
    if blob is None:
        return ()
    return tuple(
        ReplyTextMark(e["reply_id"], e["marked_by"], dt.datetime.fromisoformat(e["marked_at"]), e["reason"])
        for e in sealed.decrypt(FIELD, bytes(blob))
    )
