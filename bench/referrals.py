"""AWS work and latency of `POST /api/referrals`, in-process against moto.

Every AWS call the app makes goes through botocore's `BaseClient._make_api_call`; the bench
wraps it to count calls by operation and, for DynamoDB writes, to read the item before and after
(with the unwrapped call, so those reads are not counted) and price the write in WCUs.
"""

from __future__ import annotations

import math
import os
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.dynamodb_size import WriteCost, item_size

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "shared" / "examples"
EXAMPLE_NAMES = ("referral-support.json", "referral-protection.json", "referral-support-no-consent.json")
WRITES = {"PutItem", "UpdateItem", "DeleteItem"}


def examples() -> list[bytes]:
    return [(EXAMPLES_DIR / name).read_bytes() for name in EXAMPLE_NAMES]


@dataclass
class AwsTally:
    """Calls by `service.Operation`, and WCUs by `Operation table|index`, since the last `reset()`."""

    calls: Counter[str] = field(default_factory=Counter)
    wcu: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        self.calls.clear()
        self.wcu.clear()


@contextmanager
def counting_aws(table_name: str) -> Iterator[AwsTally]:
    import botocore.client

    tally = AwsTally()
    cost = WriteCost(table_name)
    original = botocore.client.BaseClient._make_api_call

    def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
        tally.calls[f"{client.meta.service_model.service_name}.{operation}"] += 1
        if operation not in WRITES:
            return original(client, operation, params)
        key = params.get("Key") or {name: params["Item"][name] for name in ("pk", "sk")}
        before = _read(original, client, params["TableName"], key)
        answer = original(client, operation, params)
        after = _read(original, client, params["TableName"], key)
        tally.wcu.update({f"{operation} {target}": n for target, n in cost.of(before, after).items()})
        return answer

    botocore.client.BaseClient._make_api_call = counted
    try:
        yield tally
    finally:
        botocore.client.BaseClient._make_api_call = original


def _read(call: Any, client: Any, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    return call(client, "GetItem", {"TableName": table, "Key": key, "ConsistentRead": True}).get("Item")


@dataclass(frozen=True)
class PerReferral:
    calls: dict[str, float]
    wcu: dict[str, float]
    referrals: int
    item_bytes: float

    @property
    def generate_data_key(self) -> float:
        return self.calls.get("kms.GenerateDataKey", 0)

    @property
    def kms_calls(self) -> float:
        return sum(n for name, n in self.calls.items() if name.startswith("kms."))

    @property
    def total_wcu(self) -> float:
        return sum(self.wcu.values())


@dataclass(frozen=True)
class Latency:
    p50_ms: float
    p99_ms: float
    mean_ms: float
    count: int


@contextmanager
def app_under_moto() -> Iterator[tuple[Any, Any]]:
    """The app in-process with moto (mock_aws) and every resource created; yields (client, wiring)."""
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-2", "MASH_STAGE": "local",
        # Hundreds of referrals from one address: lift the per-client limit, but keep it on so its
        # one counter write per request is in the figures.
        "MASH_RATE_LIMIT_API_REQUESTS": "1000000",
    })
    for name in ("MASH_AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)
    from chalice.test import Client
    from moto import mock_aws

    from chalicelib import wiring
    from local.resources import create_resources

    with mock_aws():
        hub = wiring.reset()
        create_resources(hub.settings, hub.aws_client)
        from app import app

        with Client(app) as client:
            yield client, hub
    wiring.reset()


def submit(client: Any, body: bytes) -> None:
    response = client.http.post(
        "/api/referrals",
        headers={"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())},
        body=body,
    )
    if response.status_code != 201:
        raise RuntimeError(f"POST /api/referrals answered {response.status_code}: {response.body[:300]!r}")


def measure_per_referral(rounds: int = 3) -> PerReferral:
    """Each example submitted `rounds` times after a warm-up; the mean per referral."""
    bodies = examples()
    with app_under_moto() as (client, hub), counting_aws(hub.settings.table_name) as tally:
        submit(client, bodies[0])  # warm-up: clients built, schemas compiled
        tally.reset()
        for _ in range(rounds):
            for body in bodies:
                submit(client, body)
        count = rounds * len(bodies)
        calls = {name: n / count for name, n in sorted(tally.calls.items())}
        wcu = {name: n / count for name, n in sorted(tally.wcu.items())}
        item_bytes = _mean_item_size(hub)
    return PerReferral(calls=calls, wcu=wcu, referrals=count, item_bytes=item_bytes)


def _mean_item_size(hub: Any) -> float:
    db = hub.aws_client("dynamodb")
    items = db.scan(TableName=hub.settings.table_name)["Items"]
    return statistics.fmean(item_size(item) for item in items) if items else 0.0


def measure_latency(count: int = 500) -> Latency:
    bodies = examples()
    samples: list[float] = []
    with app_under_moto() as (client, _hub):
        submit(client, bodies[0])  # warm-up
        for i in range(count):
            started = time.perf_counter()
            submit(client, bodies[i % len(bodies)])
            samples.append((time.perf_counter() - started) * 1000)
    ordered = sorted(samples)
    return Latency(
        p50_ms=statistics.median(ordered),
        p99_ms=ordered[math.ceil(0.99 * len(ordered)) - 1],  # nearest rank
        mean_ms=statistics.fmean(ordered),
        count=count,
    )
