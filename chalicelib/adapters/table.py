"""The single DynamoDB table's shape: one definition for the local stack, tests and the package.

Items of a referral share the partition `REF#<reference>`. Form drafts live under `DRAFT#<id>`.
- GSI `queue`: the staff work queue (status, then due time); KEYS_ONLY plus the few clear
  metadata fields the queue shows, so listing it needs no decryption.
- GSI `owner`: sparse; only open referrals someone owns carry `owner_pk` (`OWNER#<staff id>`),
  sorted like the queue, so "my work" is one Query; it carries what the queue's index carries.
- GSI `outbox`: sparse; only items with a message waiting to go carry `outbox_pk`, so the
  dispatcher finds pending sends without scanning.
- TTL on `expires_at` (epoch seconds): drafts expire, closed referrals are deleted by retention.
"""

from __future__ import annotations

from typing import Any

TTL_ATTRIBUTE = "expires_at"
QUEUE_INDEX = "queue"
OUTBOX_INDEX = "outbox"
OWNER_INDEX = "owner"
OUTBOX_PARTITION = "PENDING"

# "undelivered": set while a notice has bounced, been complained about, rejected or failed.
QUEUE_PROJECTED = [
    "reference",
    "route",
    "status",
    "received_at",
    "proposed_level",
    "rag",
    "level",
    "due_at",
    "undelivered",
    "immediate_risk",  # shown on the queue after screening too
    "review_due",  # a review date's task is open (its date)
    "out_of_hours",  # alerted to, or handed over by, the emergency duty team
    "owner",  # who owns the work (a staff id)
    "tasks",  # the tasks' clear metadata (kind, dates, done): counted open and overdue
    "card",  # the children's first names and dates of birth, sealed (search_cards): to recognise it
]


def table_definition(table_name: str) -> dict[str, Any]:
    """Arguments for DynamoDB CreateTable (on-demand billing)."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "queue_pk", "AttributeType": "S"},
            {"AttributeName": "queue_sk", "AttributeType": "S"},
            {"AttributeName": "owner_pk", "AttributeType": "S"},
            {"AttributeName": "owner_sk", "AttributeType": "S"},
            {"AttributeName": "outbox_pk", "AttributeType": "S"},
            {"AttributeName": "outbox_due", "AttributeType": "S"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": QUEUE_INDEX,
                "KeySchema": [
                    {"AttributeName": "queue_pk", "KeyType": "HASH"},
                    {"AttributeName": "queue_sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": QUEUE_PROJECTED},
            },
            {
                "IndexName": OWNER_INDEX,
                "KeySchema": [
                    {"AttributeName": "owner_pk", "KeyType": "HASH"},
                    {"AttributeName": "owner_sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": QUEUE_PROJECTED},
            },
            {
                "IndexName": OUTBOX_INDEX,
                "KeySchema": [
                    {"AttributeName": "outbox_pk", "KeyType": "HASH"},
                    {"AttributeName": "outbox_due", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
    }


def ttl_specification() -> dict[str, Any]:
    """Arguments for UpdateTimeToLive."""
    return {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
