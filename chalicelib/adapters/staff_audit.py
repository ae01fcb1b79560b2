"""Each member of staff's own audit chain, for what they do across referrals (a search).

The same tamper-evident events as a referral's chain (`chalicelib.domain.audit`), in their own
partition: `STAFFAUDIT#<staff id>`, a `HEAD` item (the next sequence and the last hash) and the
events `AUDIT#<sequence>`. An event and the head move together in one transaction; a race with
another request of the same person re-reads the head and tries again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.adapters.dynamo_items import DynamoItems
from chalicelib.adapters.referrals.item_codec import AUDIT_PREFIX, audit_from_item, audit_to_item
from chalicelib.domain.audit import AuditEvent, ChainHead
from chalicelib.domain.failures import StaleReferral

STAFF_AUDIT_PREFIX = "STAFFAUDIT#"
HEAD_SK = "HEAD"
MAX_TRIES = 3


def chain_name(staff_id: str) -> str:
    """What stands for the referral in a staff chain's events (their `reference`)."""
    return f"staff:{staff_id}"


class StaffAuditLog:
    def append(self, staff_id: str, build: Callable[[ChainHead], AuditEvent]) -> AuditEvent:
        """Append the event `build` makes from the chain's head; retried if the head moved meanwhile."""
        for _ in range(MAX_TRIES):
            head = self._head(staff_id)
            event = build(head)
            item = {**audit_to_item(event), "pk": STAFF_AUDIT_PREFIX + staff_id}
            try:
                self._write(staff_id, head, item)
            except StaleReferral:
                continue
            return event
        raise StaleReferral(chain_name(staff_id))

    def events(self, staff_id: str) -> list[AuditEvent]:
        raise NotImplementedError

    def _head(self, staff_id: str) -> ChainHead:
        raise NotImplementedError

    def _write(self, staff_id: str, head: ChainHead, item: dict[str, Any]) -> None:
        raise NotImplementedError


class InMemoryStaffAuditLog(StaffAuditLog):
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def events(self, staff_id: str) -> list[AuditEvent]:
        pk = STAFF_AUDIT_PREFIX + staff_id
        return [audit_from_item(i) for (p, sk), i in sorted(self.items.items()) if p == pk and sk != HEAD_SK]

    def _head(self, staff_id: str) -> ChainHead:
        item = self.items.get((STAFF_AUDIT_PREFIX + staff_id, HEAD_SK))
        return ChainHead(item["sequence"], item["last_hash"]) if item else ChainHead()

    def _write(self, staff_id: str, head: ChainHead, item: dict[str, Any]) -> None:
        if self._head(staff_id) != head:
            raise StaleReferral(chain_name(staff_id))
        self.items[(item["pk"], item["sk"])] = item
        self.items[(item["pk"], HEAD_SK)] = {"sequence": item["sequence"], "last_hash": item["hash"]}


class DynamoStaffAuditLog(StaffAuditLog):
    def __init__(self, dynamodb_client: Any, table_name: str) -> None:
        self.items = DynamoItems(dynamodb_client, table_name)

    def events(self, staff_id: str) -> list[AuditEvent]:
        answer = self.items.call(
            "query",
            KeyConditionExpression="pk = :pk AND begins_with(sk, :audit)",
            ExpressionAttributeValues={":pk": {"S": STAFF_AUDIT_PREFIX + staff_id}, ":audit": {"S": AUDIT_PREFIX}},
            ConsistentRead=True,
        )
        return [audit_from_item(self.items.decode(i)) for i in answer["Items"]]

    def _head(self, staff_id: str) -> ChainHead:
        item = self.items.get(STAFF_AUDIT_PREFIX + staff_id, HEAD_SK)
        return ChainHead(item["sequence"], item["last_hash"]) if item else ChainHead()

    def _write(self, staff_id: str, head: ChainHead, item: dict[str, Any]) -> None:
        at_head = "#seq = :seq" if head.sequence else "attribute_not_exists(pk)"
        head_update = {
            "TableName": self.items.table,
            "Key": self.items.key(item["pk"], HEAD_SK),
            "UpdateExpression": "SET #seq = :next, last_hash = :hash",
            "ConditionExpression": at_head,
            "ExpressionAttributeNames": {"#seq": "sequence"},
            "ExpressionAttributeValues": {
                ":next": {"N": str(item["sequence"])},
                ":hash": {"S": item["hash"]},
                **({":seq": {"N": str(head.sequence)}} if head.sequence else {}),
            },
        }
        # The head moved meanwhile (another request of the same person): append reads it again.
        if not self.items.transact([{"Update": head_update}, {"Put": self.items.new_put(item)}]):
            raise StaleReferral(chain_name(staff_id))
