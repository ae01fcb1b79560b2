"""The staff work queue: open referrals by urgency then deadline, from clear metadata only."""

from __future__ import annotations

from chalicelib.adapters.referrals import QueuePage
from chalicelib.wiring import wiring


def list_work_queue(
    *, status: str | None, rag: str | None, limit: int, cursor: str | None, undelivered: bool = False
) -> QueuePage:
    """`undelivered`: only referrals with a notice that bounced, was complained about, rejected or failed."""
    return wiring().referrals.list_queue(status=status, rag=rag, limit=limit, cursor=cursor, undelivered=undelivered)
