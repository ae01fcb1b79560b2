"""The item moves only the reply and triage stores need, beside the shared ones (`dynamo_items`).

Append a read to an item; move a triage line with a conditional decision. Only the DynamoDB stores
use them: their in-memory twins keep domain objects (adapters/agency_replies_memory.py), held to the
same contract by tests/test_reply_store.py and test_triage_store.py.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamo_items import DynamoItems


class ReplyItems(DynamoItems):
    """The reply and triage stores' items in the hub's table."""

    def append_view(self, pk: str, sk: str, view: dict[str, str]) -> dict[str, Any] | None:
        answer = self.write_if(
            "update_item",
            Key=self.key(pk, sk),
            UpdateExpression="SET #views = list_append(if_not_exists(#views, :none), :view)",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#views": "views"},
            ExpressionAttributeValues={":none": {"L": []}, ":view": {"L": [self.serialize(view)]}},
            ReturnValues="ALL_NEW",
        )
        return None if answer is None else self.decode(answer["Attributes"])

    def decide(
        self,
        key: tuple[str, str],
        expected_status: str,
        sets: dict[str, Any],
        removes: list[str],
        old_line: tuple[str, str],
        new_line: dict[str, Any],
    ) -> bool:
        """Set the item's decision and move its list line, if its status is still `expected_status`."""
        names = {"#status": "status"}
        values: dict[str, Any] = {":expected": {"S": expected_status}}
        assignments = []
        for index, (name, value) in enumerate(sets.items()):
            names[f"#s{index}"] = name
            values[f":s{index}"] = self.serialize(value)
            assignments.append(f"#s{index} = :s{index}")
        for index, name in enumerate(removes):
            names[f"#r{index}"] = name
        update = "SET " + ", ".join(assignments)
        if removes:
            update += " REMOVE " + ", ".join(f"#r{index}" for index in range(len(removes)))
        return self.transact(
            [
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": self.key(*key),
                        "UpdateExpression": update,
                        "ConditionExpression": "#status = :expected",
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values,
                    }
                },
                {"Delete": {"TableName": self.table, "Key": self.key(*old_line)}},
                {"Put": {"TableName": self.table, "Item": self.encode(new_line)}},
            ]
        )
