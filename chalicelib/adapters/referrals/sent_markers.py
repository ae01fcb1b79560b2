"""Delivery tracking: the message index (`MSG#`) and the sent markers (`SENT#`).

Ids only, never an address; both expire by the table's TTL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.referrals.keys import partition_key
from chalicelib.adapters.table import TTL_ATTRIBUTE

# SES events name only its MessageId. One small item per sent email, `MSG#<message id>`, says
# which referral and notice it carried: ids only, never an address. It cannot share the notice's
# UpdateItem (another item), so it is written just after SES accepts the email; if that write
# is lost, the event handler counts the event as unmatched and the notice stays "sent".
MESSAGE_PREFIX = "MSG#"
MESSAGE_SK = "NOTICE"
# SES reports within days (a complaint can take weeks); then the table's TTL removes the item.
MESSAGE_INDEX_LIFETIME = dt.timedelta(days=90)


@dataclass(frozen=True)
class SentMessage:
    """Where an SES message id points: the referral and the notice it carried."""

    reference: str
    notice_id: str


def message_index_item(message_id: str, reference: str, notice_id: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "pk": MESSAGE_PREFIX + message_id,
        "sk": MESSAGE_SK,
        "reference": reference,
        "notice_id": notice_id,
        TTL_ATTRIBUTE: int((now + MESSAGE_INDEX_LIFETIME).timestamp()),
    }


SENT_PREFIX = "SENT#"


def sent_marker_item(reference: str, notice_id: str, message_id: str, now: dt.datetime) -> dict[str, Any]:
    """A small item in the referral's partition saying SES accepted this notice: if recording the
    notice as sent then fails, the outbox finds this before it would send the email again."""
    return {
        "pk": partition_key(reference),
        "sk": SENT_PREFIX + notice_id,
        "message_id": message_id,
        TTL_ATTRIBUTE: int((now + MESSAGE_INDEX_LIFETIME).timestamp()),
    }
