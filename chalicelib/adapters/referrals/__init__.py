"""Referral storage: DynamoDB, with an in-memory twin that keeps items in the same encrypted shape.

Only non-personal metadata is stored in clear (reference, route, status, times, proposed level,
delivery state of notices). Each personal section of the submission is one encrypted field.

The rooms:

| module | what it holds |
|---|---|
| `keys` | the item's keys and prefixes (`REF#`, `REFERRAL`, `CHILD#`, `pd_`), the time encoding |
| `item_codec` | a referral to its item and back (`to_item`, `opened_from_item`), the summary, audit events' items |
| `decision_codec` | each staff decision's attributes: screening, decision, consent, parents told, onward, outcome notice, legal hold and retention |
| `notice_codec` | notice and task maps, the outbox index entry |
| `queue_rows` | the work queue's index entry and flags, its rows (`QueueRow`, `QueuePage`) and cursors |
| `sent_markers` | delivery tracking: the message index (`MSG#`) and sent markers (`SENT#`) |
| `timeliness_reads` | what the timeliness report reads of each referral, and its row |
| `store` | `ReferralStore`: the rules both stores share; `RetentionFacts` |
| `dynamo` / `memory` | `DynamoReferralStore` and its in-memory twin `InMemoryReferralStore` |

Every name below stays importable from `chalicelib.adapters.referrals`, as before the split.
Storage failures are domain types (`chalicelib/domain/failures.py`), re-exported here.
"""

from __future__ import annotations

from chalicelib.adapters.referrals.dynamo import DynamoReferralStore
from chalicelib.adapters.referrals.item_codec import (
    AUDIT_PREFIX,
    OpenReferral,
    ReferralSummary,
    audit_from_item,
    audit_to_item,
    from_item,
    opened_from_item,
    summary_from_item,
    to_item,
)
from chalicelib.adapters.referrals.keys import CHILD_PREFIX, FIELD_PREFIX, REFERRAL_SK, partition_key
from chalicelib.adapters.referrals.memory import InMemoryReferralStore
from chalicelib.adapters.referrals.notice_codec import notice_from_map, notice_to_map, outbox_attributes
from chalicelib.adapters.referrals.queue_rows import (
    OUT_OF_HOURS_ATTRIBUTE,
    REVIEW_DUE_ATTRIBUTE,
    UNDELIVERED_ATTRIBUTE,
    QueuePage,
    QueueRow,
    decode_cursor,
    encode_cursor,
    has_undelivered_notice,
    out_of_hours_state,
    queue_attributes,
    queue_row,
)
from chalicelib.adapters.referrals.sent_markers import (
    MESSAGE_INDEX_LIFETIME,
    MESSAGE_PREFIX,
    MESSAGE_SK,
    SENT_PREFIX,
    SentMessage,
    message_index_item,
    sent_marker_item,
)
from chalicelib.adapters.referrals.store import ReferralStore, RetentionFacts
from chalicelib.adapters.referrals.timeliness_reads import TIMELINESS_ATTRIBUTES, timeliness_row
from chalicelib.domain.failures import AwsError, InvalidCursor, ReferenceTaken, ReferralNotFound, StaleReferral

__all__ = [
    "AUDIT_PREFIX",
    "CHILD_PREFIX",
    "FIELD_PREFIX",
    "MESSAGE_INDEX_LIFETIME",
    "MESSAGE_PREFIX",
    "MESSAGE_SK",
    "OUT_OF_HOURS_ATTRIBUTE",
    "REFERRAL_SK",
    "REVIEW_DUE_ATTRIBUTE",
    "SENT_PREFIX",
    "TIMELINESS_ATTRIBUTES",
    "UNDELIVERED_ATTRIBUTE",
    "AwsError",
    "DynamoReferralStore",
    "InMemoryReferralStore",
    "InvalidCursor",
    "OpenReferral",
    "QueuePage",
    "QueueRow",
    "ReferenceTaken",
    "ReferralNotFound",
    "ReferralStore",
    "ReferralSummary",
    "RetentionFacts",
    "SentMessage",
    "StaleReferral",
    "audit_from_item",
    "audit_to_item",
    "decode_cursor",
    "encode_cursor",
    "from_item",
    "has_undelivered_notice",
    "message_index_item",
    "notice_from_map",
    "notice_to_map",
    "opened_from_item",
    "out_of_hours_state",
    "outbox_attributes",
    "partition_key",
    "queue_attributes",
    "queue_row",
    "sent_marker_item",
    "summary_from_item",
    "timeliness_row",
    "to_item",
]
