"""Each member of staff's own audit chain, for what they do across referrals (a search).

The same tamper-evident events as a referral's chain (`chalicelib.domain.audit`), in their own
partition: `STAFFAUDIT#<staff id>`, a `HEAD` item (the next sequence and the last hash) and the
events `AUDIT#<sequence>`. An event and the head move together in one transaction; a race with
another request of the same person re-reads the head and tries again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.adapters.aws import translate
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
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._db = dynamodb_client
        self._table = table_name
        self._serialize = TypeSerializer().serialize
        self._deserialize = TypeDeserializer().deserialize

    def events(self, staff_id: str) -> list[AuditEvent]:
        from chalicelib.adapters.aws import plain_values

        try:
            answer = self._db.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :audit)",
                ExpressionAttributeValues={":pk": {"S": STAFF_AUDIT_PREFIX + staff_id}, ":audit": {"S": AUDIT_PREFIX}},
                ConsistentRead=True,
            )
        except Exception as exc:
            raise translate("dynamodb", exc) from None
        return [audit_from_item(plain_values({k: self._deserialize(v) for k, v in i.items()})) for i in answer["Items"]]

    def _head(self, staff_id: str) -> ChainHead:
        try:
            item = self._db.get_item(
                TableName=self._table,
                Key={"pk": {"S": STAFF_AUDIT_PREFIX + staff_id}, "sk": {"S": HEAD_SK}},
                ConsistentRead=True,
            ).get("Item")
        except Exception as exc:
            raise translate("dynamodb", exc) from None
        return ChainHead(int(item["sequence"]["N"]), item["last_hash"]["S"]) if item else ChainHead()

    def _write(self, staff_id: str, head: ChainHead, item: dict[str, Any]) -> None:
        from botocore.exceptions import ClientError

        at_head = "sequence = :seq" if head.sequence else "attribute_not_exists(pk)"
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": {"pk": {"S": item["pk"]}, "sk": {"S": HEAD_SK}},
                            "UpdateExpression": "SET #seq = :next, last_hash = :hash",
                            "ConditionExpression": at_head.replace("sequence", "#seq"),
                            "ExpressionAttributeNames": {"#seq": "sequence"},
                            "ExpressionAttributeValues": {
                                ":next": {"N": str(item["sequence"])},
                                ":hash": {"S": item["hash"]},
                                **({":seq": {"N": str(head.sequence)}} if head.sequence else {}),
                            },
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {k: self._serialize(v) for k, v in item.items()},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                raise StaleReferral(chain_name(staff_id)) from None
            raise translate("dynamodb", exc) from None
        except Exception as exc:
            raise translate("dynamodb", exc) from None
