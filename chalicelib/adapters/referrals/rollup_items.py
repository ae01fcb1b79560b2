"""The daily rollups' items (domain/rollups.py): one small item per London day, counts only.

All under one partition (`ROLLUP`), sorted by day (`DAY#2026-12-07`; advice contacts'
`ADVICE#2026-12-07`), so a year is one Query (~366 items of a few hundred bytes, well under a
1 MB page) rather than one read per referral. A day's item takes a few writes an hour at a large
council's rate (30,000 referrals a year), far below DynamoDB's per-item and per-partition limits.

Counts change only by DynamoDB `ADD` inside the transaction that writes the referral (or the advice
contact) whose counts they are, conditional on its version: applied once, or not at all.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.dynamo_items import DynamoItems
from chalicelib.domain.rollups import DayCounts, DayRollup

ROLLUP_PK = "ROLLUP"
REFERRAL_DAY = "DAY#"
ADVICE_DAY = "ADVICE#"


def rollup_sk(prefix: str, day: dt.date) -> str:
    return prefix + day.isoformat()


def day_of(sk: str) -> dt.date:
    return dt.date.fromisoformat(sk.split("#", 1)[1])


def add_counts_update(table: str, prefix: str, day: dt.date, counts: dict[str, int]) -> dict[str, Any]:
    """One DynamoDB transaction `Update` adding these counts to a day's item (made if absent)."""
    names = {f"#c{n}": name for n, name in enumerate(sorted(counts))}
    values = {f":c{n}": {"N": str(counts[name])} for n, name in enumerate(sorted(counts))}
    return {
        "Update": {
            "TableName": table,
            "Key": {"pk": {"S": ROLLUP_PK}, "sk": {"S": rollup_sk(prefix, day)}},
            "UpdateExpression": "ADD " + ", ".join(f"{alias} {alias.replace('#', ':')}" for alias in names),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def add_counts_updates(table: str, prefix: str, delta: DayCounts) -> list[dict[str, Any]]:
    return [add_counts_update(table, prefix, day, counts) for day, counts in sorted(delta.items()) if counts]


def apply_in_memory(items: dict[tuple[str, str], dict[str, Any]], prefix: str, delta: DayCounts) -> None:
    """The in-memory twins' `ADD`: the same item shape as DynamoDB's."""
    for day, counts in delta.items():
        key = (ROLLUP_PK, rollup_sk(prefix, day))
        item = items.setdefault(key, {"pk": key[0], "sk": key[1]})
        for name, value in counts.items():
            item[name] = int(item.get(name, 0)) + value


def rollup_from_item(item: dict[str, Any]) -> DayRollup:
    counts = {name: int(value) for name, value in item.items() if name not in ("pk", "sk")}
    return DayRollup(day_of(item["sk"]), counts)


def query_days(table: DynamoItems, prefix: str, first: dt.date, last: dt.date) -> list[DayRollup]:
    """DynamoDB: the days' rollups in one Query (paged if ever over 1 MB)."""
    pages = table.pages(
        KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :last",
        ExpressionAttributeValues={
            ":pk": {"S": ROLLUP_PK},
            ":first": {"S": rollup_sk(prefix, first)},
            ":last": {"S": rollup_sk(prefix, last)},
        },
    )
    return [rollup_from_item(table.decode(item)) for answer in pages for item in answer.get("Items", [])]


def days_in_memory(
    items: dict[tuple[str, str], dict[str, Any]], prefix: str, first: dt.date, last: dt.date
) -> list[DayRollup]:
    low, high = rollup_sk(prefix, first), rollup_sk(prefix, last)
    return [
        rollup_from_item(item)
        for (pk, sk), item in sorted(items.items())
        if pk == ROLLUP_PK and low <= sk <= high and sk.startswith(prefix)
    ]
