"""Held family emails' releases on the referral item: one sealed field (a translation is what the
family reads, and a reason for English may name them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.envelope import SealedRecord
from chalicelib.domain.translations import NoticeTranslation

FIELD = "translations"


def translations_attributes(
    translations: tuple[NoticeTranslation, ...], sealed: SealedRecord, prefix: str
) -> dict[str, Any]:
    if not translations:
        return {}
    entries = [
        {
            "notice_id": t.notice_id,
            "language": t.language,
            "decided_by": t.decided_by,
            "decided_at": t.decided_at.isoformat(),
            "text": t.text,
            "english_reason": t.english_reason,
        }
        for t in translations
    ]
    return {prefix + FIELD: sealed.encrypt(FIELD, entries)}


def translations_from_item(item: dict[str, Any], sealed: SealedRecord, prefix: str) -> tuple[NoticeTranslation, ...]:
    blob = item.get(prefix + FIELD)
    if blob is None:
        return ()
    return tuple(
        NoticeTranslation(
            notice_id=entry["notice_id"],
            language=entry["language"],
            decided_by=entry["decided_by"],
            decided_at=dt.datetime.fromisoformat(entry["decided_at"]),
            text=entry.get("text"),
            english_reason=entry.get("english_reason"),
        )
        for entry in sealed.decrypt(FIELD, bytes(blob))
    )
