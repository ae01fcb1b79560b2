"""Marking a referral a duplicate of another: linked to the original and closed, sending nothing twice.

The lifecycle closes a referral only once decided (`lifecycle.py`); a duplicate needs no decision of
its own, since the original carries the work, so it is closed from any open status, by the same
roles that may close a referral. What it still owed the family (a consent request, the parents
told, an outcome notice) is cancelled before it goes: the original sends its own. Its acknowledgement
to the referrer is kept: whoever referred is still told their referral arrived.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from chalicelib.domain.lifecycle import OPEN_STATUSES, ReferralStatus
from chalicelib.domain.notices import NoticeStatus
from chalicelib.domain.referral_links import LinkKind, ReferralLink, with_link
from chalicelib.domain.referral_record import FAMILY_NOTICES, Referral, ReferralClosed
from chalicelib.domain.tasks import TaskKind

# MASH_RETENTION_YEARS may set it ({"duplicate": 2}); a duplicate holds nothing the original lacks.
DUPLICATE_RETENTION_KEY = "duplicate"
DEFAULT_DUPLICATE_YEARS = 2


def close_as_duplicate(
    referral: Referral,
    original: str,
    *,
    by: str,
    now: dt.datetime,
    reason: str,
    years_by_outcome: dict[str, int],
) -> tuple[Referral, ReferralLink]:
    """The duplicate closed and linked (kind duplicate_of), its unsent family notices cancelled;
    returns it and the link as the original is to hold it."""
    if referral.status not in OPEN_STATUSES:
        raise ReferralClosed(referral.reference)
    link = ReferralLink(original, LinkKind.DUPLICATE_OF, by, now, reason)
    withheld = {
        notice.notice_id
        for notice in referral.notices
        if notice.kind in FAMILY_NOTICES and notice.status is NoticeStatus.PENDING
    }
    notices = tuple(notice.cancelled() if notice.notice_id in withheld else notice for notice in referral.notices)
    # A held notice's translation task has nothing left to do.
    tasks = tuple(
        task.done(by, now) if task.kind is TaskKind.TRANSLATE_NOTICE and task.about in withheld and task.open else task
        for task in referral.tasks
    )
    years = years_by_outcome.get(DUPLICATE_RETENTION_KEY, DEFAULT_DUPLICATE_YEARS)
    closed = replace(
        referral,
        status=ReferralStatus.CLOSED,
        closed_at=now,
        retention_until=_years_after(now, years),
        links=with_link(referral.links, link, superseding=True),
        notices=notices,
        tasks=tasks,
    )
    return closed, link.mirrored(referral.reference)


def cancelled_notices(before: Referral, after: Referral) -> list[str]:
    """The notices a change cancelled, by id (for the audit: ids only)."""
    was = {notice.notice_id: notice.status for notice in before.notices}
    return sorted(
        notice.notice_id
        for notice in after.notices
        if notice.status is NoticeStatus.CANCELLED and was.get(notice.notice_id) is not NoticeStatus.CANCELLED
    )


def _years_after(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February in a year that has none
        return moment.replace(year=moment.year + years, day=28)
