"""Count the AWS calls the app makes and price its DynamoDB writes in WCUs.

Every AWS call goes through botocore's `BaseClient._make_api_call`; the meter wraps it. For each
item a write touches (PutItem, UpdateItem, DeleteItem, every request of a BatchWriteItem, every
action of a TransactWriteItems) it reads the item before and after, with the unwrapped call so
those reads are not counted, and prices the change by bench.dynamodb_size.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from bench.dynamodb_size import Item, WriteCost, item_size, units

SINGLE_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem"})
TABLE_KEY = ("pk", "sk")

# Item kinds by partition key prefix (see chalicelib/adapters/*): labels for the breakdown.
KIND_BY_PREFIX = (
    ("CHILD#", "child-index"),
    ("MSG#", "message-index"),
    ("RATE#", "rate-limit"),
    ("SUPPRESS#", "suppression"),
    ("CONSENT#", "consent"),
    ("CONFIG", "config"),
    ("DRAFT#", "draft"),
)


@dataclass(frozen=True)
class WriteTarget:
    """One item one write request touches."""

    table: str
    key: Item
    transactional: bool = False
    condition_only: bool = False  # a TransactWriteItems ConditionCheck: billed as a write, changes nothing


class WriteLabel(NamedTuple):
    """Where WCUs went: the API call, the kind of item, and `table` or the GSI written."""

    operation: str
    kind: str
    target: str

    def __str__(self) -> str:
        return f"{self.operation} {self.kind} {self.target}"


def item_kind(key: Item) -> str:
    pk, sk = key["pk"]["S"], key["sk"]["S"]
    if pk.startswith("REF#"):
        return "audit" if sk.startswith("AUDIT#") else "referral"
    return next((kind for prefix, kind in KIND_BY_PREFIX if pk.startswith(prefix)), "other")


def _key_of(body: dict[str, Any]) -> Item:
    return body.get("Key") or {name: body["Item"][name] for name in TABLE_KEY}


def write_targets(operation: str, params: dict[str, Any]) -> list[WriteTarget]:
    """Every item a write request touches; [] for anything that is not a DynamoDB write."""
    if operation in SINGLE_WRITES:
        return [WriteTarget(params["TableName"], _key_of(params))]
    if operation == "BatchWriteItem":
        return [
            WriteTarget(table, _key_of(request.get("PutRequest") or request["DeleteRequest"]))
            for table, requests in params["RequestItems"].items()
            for request in requests
        ]
    if operation == "TransactWriteItems":
        targets = []
        for action in params["TransactItems"]:
            ((kind, body),) = action.items()
            targets.append(
                WriteTarget(
                    body["TableName"], _key_of(body), transactional=True, condition_only=kind == "ConditionCheck"
                )
            )
        return targets
    return []


def price(cost: WriteCost, target: WriteTarget, before: Item | None, after: Item | None) -> dict[str, int]:
    """WCUs of one item's write: {'table': n, '<index>': n}."""
    if target.condition_only:
        return {"table": 2 * units(item_size(before or {}))}
    return cost.of(before, after, transactional=target.transactional)


def _key_id(table: str, key: Item) -> str:
    return table + json.dumps(key, sort_keys=True, default=str)


def unprocessed(operation: str, answer: dict[str, Any]) -> set[str]:
    """Items a BatchWriteItem left unwritten (throttled): not billed, the caller sends them again."""
    if operation != "BatchWriteItem":
        return set()
    return {
        _key_id(table, _key_of(request.get("PutRequest") or request["DeleteRequest"]))
        for table, requests in (answer.get("UnprocessedItems") or {}).items()
        for request in requests
    }


@dataclass
class AwsTally:
    """Calls by `service.Operation`, and WCUs by WriteLabel, since the last `reset()`.

    Also the seconds spent inside the app's AWS calls (in moto, in-process) and in the meter's own
    reads, so a timing can leave out the meter and tell the app's time from the emulator's.
    """

    calls: Counter[str] = field(default_factory=Counter)
    wcu: Counter[WriteLabel] = field(default_factory=Counter)
    aws_seconds: float = 0.0
    meter_seconds: float = 0.0

    def reset(self) -> None:
        self.calls.clear()
        self.wcu.clear()
        self.aws_seconds = self.meter_seconds = 0.0


Read = Callable[[WriteTarget], Item | None]


class _Pricer:
    """Prices each write request from the items before and after it."""

    def __init__(self, tally: AwsTally) -> None:
        self._tally = tally
        self._costs: dict[str, WriteCost] = {}

    def record(self, operation: str, targets: list[WriteTarget], read: Read, run: Callable[[], Any]) -> Any:
        befores = self._metered(lambda: [read(target) for target in targets])
        answer = run()
        skipped = unprocessed(operation, answer)
        afters = self._metered(lambda: [read(target) for target in targets])
        for target, before, after in zip(targets, befores, afters, strict=True):
            if _key_id(target.table, target.key) in skipped:
                continue
            cost = self._costs.setdefault(target.table, WriteCost(target.table))
            for where, n in price(cost, target, before, after).items():
                self._tally.wcu[WriteLabel(operation, item_kind(target.key), where)] += n
        return answer

    def _metered(self, reads: Callable[[], list[Item | None]]) -> list[Item | None]:
        started = time.perf_counter()
        try:
            return reads()
        finally:
            self._tally.meter_seconds += time.perf_counter() - started


@contextmanager
def counting_aws() -> Iterator[AwsTally]:
    import botocore.client

    tally = AwsTally()
    pricer = _Pricer(tally)
    original = botocore.client.BaseClient._make_api_call

    def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
        tally.calls[f"{client.meta.service_model.service_name}.{operation}"] += 1

        def run() -> Any:
            started = time.perf_counter()
            try:
                return original(client, operation, params)
            finally:
                tally.aws_seconds += time.perf_counter() - started

        targets = write_targets(operation, params) if client.meta.service_model.service_name == "dynamodb" else []
        if not targets:
            return run()

        def read(target: WriteTarget) -> Item | None:
            found = original(client, "GetItem", {"TableName": target.table, "Key": target.key, "ConsistentRead": True})
            return found.get("Item")

        return pricer.record(operation, targets, read, run)

    botocore.client.BaseClient._make_api_call = counted
    try:
        yield tally
    finally:
        botocore.client.BaseClient._make_api_call = original
