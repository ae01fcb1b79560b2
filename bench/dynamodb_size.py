"""DynamoDB write units from item sizes, by DynamoDB's published sizing rules.

moto answers ReturnConsumedCapacity with a constant, so the bench computes WCUs itself:
- an item's size is the sum of its attribute names and values (UTF-8 strings, raw binary,
  numbers about 1 byte per 2 significant digits + 1, booleans and nulls 1 byte, lists and maps
  3 bytes + 1 byte per element + their contents);
- a standard write costs 1 WCU per started KB of the larger of the item before and after;
- each global secondary index the write touches costs 1 WCU per started KB of the projected
  entry (2 when the index key changes: delete the old entry, put the new one);
- a transactional write (TransactWriteItems) costs twice that for the item itself; its GSI
  entries are written after the transaction commits (DynamoDB propagates them as ordinary
  index writes), so they are priced at the standard rate;
- BatchWriteItem is priced per request, as if each were its own PutItem or DeleteItem.
"""

from __future__ import annotations

import math
from typing import Any

from chalicelib.adapters.table import table_definition

KB = 1024

Item = dict[str, dict[str, Any]]


def attribute_value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "B":
        return len(inner)
    if kind == "N":
        return _number_size(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in inner)
    if kind == "NS":
        return sum(_number_size(n) for n in inner)
    if kind == "BS":
        return sum(len(b) for b in inner)
    if kind == "L":
        return 3 + sum(1 + attribute_value_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + attribute_value_size(v) for k, v in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").lstrip("0") or "0"
    return math.ceil(len(digits.rstrip("0") or "0") / 2) + 1


def item_size(item: Item) -> int:
    return sum(len(name.encode()) + attribute_value_size(value) for name, value in item.items())


def units(size: int) -> int:
    return max(1, math.ceil(size / KB))


class WriteCost:
    """WCUs of one table's writes, given the item before and after each write."""

    def __init__(self, table_name: str) -> None:
        definition = table_definition(table_name)
        self._table_keys = [k["AttributeName"] for k in definition["KeySchema"]]
        self._indexes = definition.get("GlobalSecondaryIndexes", [])

    def of(self, before: Item | None, after: Item | None, transactional: bool = False) -> dict[str, int]:
        """{'table': n, '<index>': n, ...} for one write that took the item from `before` to `after`."""
        largest = max(item_size(before or {}), item_size(after or {}))
        # Transactions pay twice for the item (prepare and commit), not for the index entries.
        cost = {"table": units(largest) * (2 if transactional else 1)}
        for index in self._indexes:
            index_units = self._index_units(index, before, after)
            if index_units:
                cost[index["IndexName"]] = index_units
        return cost

    def _index_units(self, index: dict[str, Any], before: Item | None, after: Item | None) -> int:
        old, new = self._entry(index, before), self._entry(index, after)
        if old == new:
            return 0  # nothing projected changed: the index is not written
        keys = [k["AttributeName"] for k in index["KeySchema"]]
        key_changed = old is not None and new is not None and any(old.get(k) != new.get(k) for k in keys)
        writes = [e for e in (old if key_changed or new is None else None, new) if e is not None]
        return sum(units(item_size(entry)) for entry in writes)

    def _entry(self, index: dict[str, Any], item: Item | None) -> Item | None:
        """The index entry for an item, or None when the item lacks the index key (sparse)."""
        keys = [k["AttributeName"] for k in index["KeySchema"]]
        if item is None or any(k not in item for k in keys):
            return None
        projection = index["Projection"]
        if projection["ProjectionType"] == "ALL":
            return dict(item)
        names = {*self._table_keys, *keys, *projection.get("NonKeyAttributes", [])}
        return {name: value for name, value in item.items() if name in names}
