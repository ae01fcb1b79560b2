"""Red referrals past their deadline: counted by the outbox sweep for the operations alarm.

From the work queue's clear metadata only (no item read, nothing decrypted). The queue is ordered by
urgency then deadline, and every screened Red referral has the same urgency, so the Red rows come
together, earliest deadline first: the count stops at the first Red row whose deadline is still to
come. So each sweep reads the queue only as far as the Red referrals that are late, plus one page.
"""

from __future__ import annotations

import datetime as dt

from chalicelib.adapters.referrals import ReferralStore
from chalicelib.domain.decision import Rag
from chalicelib.domain.lifecycle import ReferralStatus

# No decision stands yet (a proposed one waits for a manager): the Red deadline is still running.
UNDECIDED = frozenset({ReferralStatus.SCREENED, ReferralStatus.DECISION_PROPOSED})
PAGE_SIZE = 100


def red_referrals_past_deadline(store: ReferralStore, now: dt.datetime) -> int:
    late = 0
    cursor: str | None = None
    while True:
        page = store.list_queue(rag=Rag.RED.value, limit=PAGE_SIZE, cursor=cursor)
        for row in page.rows:
            if row.due_at is None:
                continue
            if dt.datetime.fromisoformat(row.due_at) > now:
                return late  # every Red row after this one is due later still
            late += row.status in UNDECIDED
        if page.next_cursor is None:
            return late
        cursor = page.next_cursor
