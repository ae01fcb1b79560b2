"""The referral's keys and the clear encodings every room shares.

A referral is one item, `REF#<reference>` / `REFERRAL`; its audit events, sent markers and so on
share its partition. Times are ISO 8601 in UTC to the millisecond, so they sort as text.
"""

from __future__ import annotations

import datetime as dt

REFERRAL_SK = "REFERRAL"
FIELD_PREFIX = "pd_"
CHILD_PREFIX = "CHILD#"


def partition_key(reference: str) -> str:
    return f"REF#{reference}"


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def parse(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None
