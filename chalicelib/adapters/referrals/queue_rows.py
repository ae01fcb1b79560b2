"""The work queue: the index entry each referral carries, its rows, and the page cursor.

Clear metadata only, so listing the queue needs no decryption.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.adapters.referrals.allocation_codec import card_from_item, owner_from_item
from chalicelib.adapters.referrals.keys import iso
from chalicelib.adapters.referrals.notice_codec import task_from_map
from chalicelib.domain.failures import InvalidCursor
from chalicelib.domain.lifecycle import OPEN_STATUSES
from chalicelib.domain.notices import FINAL_FAILURES
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.review_dates import review_due_on
from chalicelib.domain.tasks import Task

# A notice failed for good (bounced, complained, rejected or out of attempts): the queue's flag.
UNDELIVERED_ATTRIBUTE = "undelivered"
# The earliest open review task's date (domain/review_dates.py), for the work queue: a date, nothing personal.
REVIEW_DUE_ATTRIBUTE = "review_due"
# The queue's out-of-hours flag (projected): "alerted" to the emergency duty team, or "handed_over" by it.
OUT_OF_HOURS_ATTRIBUTE = "out_of_hours"


def queue_attributes(referral: Referral) -> dict[str, Any]:
    """The work queue's index entry: open referrals by urgency, then deadline. Clear metadata only."""
    due = referral.due_at
    if referral.status not in OPEN_STATUSES:
        # Closed referrals sort by when they may be deleted; a held one sorts after every date.
        deletable = referral.deletable_after
        key = f"{iso(deletable)}#{referral.reference}" if deletable else f"~HOLD#{referral.reference}"
        return {"queue_pk": "CLOSED", "queue_sk": key}
    attributes: dict[str, Any] = {
        "queue_pk": "OPEN",
        "queue_sk": f"{referral.urgency_rank}#{iso(due) if due else '~'}#{referral.reference}",
    }
    if due:
        attributes["due_at"] = iso(due)
    if referral.screening:
        attributes["rag"] = referral.screening.rag.value
        attributes["level"] = referral.screening.level
    if has_undelivered_notice(referral):
        attributes[UNDELIVERED_ATTRIBUTE] = True
    review = review_due_on(referral)
    if review:
        attributes[REVIEW_DUE_ATTRIBUTE] = review.isoformat()
    out_of_hours = out_of_hours_state(referral)
    if out_of_hours:
        attributes[OUT_OF_HOURS_ATTRIBUTE] = out_of_hours
    return attributes


def out_of_hours_state(referral: Referral) -> str | None:
    from chalicelib.domain.out_of_hours import was_alerted

    if referral.edt_handover is not None and referral.edt_handover.handed_over:
        return "handed_over"
    return "alerted" if was_alerted(referral) else None


def has_undelivered_notice(referral: Referral) -> bool:
    return any(notice.status in FINAL_FAILURES for notice in referral.notices)


@dataclass(frozen=True)
class QueueRow:
    """One line of the work queue: metadata only, so listing needs no decryption."""

    reference: str
    route: str
    status: str
    rag: str | None
    level: int | None
    proposed_level: int | None  # None: the referrer was not sure
    received_at: str
    due_at: str | None
    # The referrer said a child is at immediate risk (kept in clear, like the route).
    immediate_risk: bool = False
    # A review date has come and its task is open (domain/review_dates.py): the earliest, YYYY-MM-DD.
    review_due_on: str | None = None
    # Out of hours: "alerted" (the emergency duty team was told) or "handed_over" (by it); else None.
    out_of_hours: str | None = None
    # Who owns the work (a staff id), its open tasks (clear metadata), and the sealed search card
    # that names the children (opened without KMS by the service: services/queue_people.py).
    owner: str | None = None
    open_tasks: tuple[Task, ...] = ()
    card: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None


def queue_row(item: dict[str, Any]) -> QueueRow:
    return QueueRow(
        reference=item["reference"],
        route=item["route"],
        status=item["status"],
        rag=item.get("rag"),
        level=int(item["level"]) if item.get("level") is not None else None,
        proposed_level=int(item["proposed_level"]) if item.get("proposed_level") is not None else None,
        received_at=item["received_at"],
        due_at=item.get("due_at"),
        immediate_risk=_immediate_risk(item),
        review_due_on=item.get(REVIEW_DUE_ATTRIBUTE),
        out_of_hours=item.get(OUT_OF_HOURS_ATTRIBUTE),
        owner=owner_from_item(item),
        open_tasks=tuple(
            task for task in (task_from_map(k, v) for k, v in sorted((item.get("tasks") or {}).items())) if task.open
        ),
        card=card_from_item(item),
    )


def _immediate_risk(item: dict[str, Any]) -> bool:
    # Projected into the queue index (table.QUEUE_PROJECTED), so it shows after screening too.
    return bool(item.get("immediate_risk", False))


def encode_cursor(key: dict[str, str]) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, str]:
    import base64
    import binascii
    import json

    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise InvalidCursor("cursor is not one this API gave out: start again without it") from None
    if (
        not isinstance(key, dict)
        or set(key) != {"pk", "sk", "queue_pk", "queue_sk"}
        or not all(isinstance(v, str) for v in key.values())
    ):
        raise InvalidCursor("cursor is not one this API gave out: start again without it")
    return key
