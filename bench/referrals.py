"""AWS work and latency of `POST /api/referrals`, in-process against moto.

Calls and WCUs are counted by bench.aws_meter. Each referral's writes fall in three parts:
- the submission write: the child index (BatchWriteItem, one CHILD# item per child) and the
  referral itself (PutItem) with its GSI entries;
- recording the acknowledgement: an UpdateItem of the referral's notices (and outbox entry), and
  the MSG# item (BatchWriteItem) that points SES's delivery events at the notice;
- the public rate limit's counter: an UpdateItem of a tiny RATE# item.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.aws_meter import AwsTally, WriteLabel, counting_aws
from bench.dynamodb_size import item_size

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE_NAMES = ("referral-support.json", "referral-protection.json", "referral-support-no-consent.json")
# The bench sends hundreds of referrals from one address: the counter is still written (and
# priced), it just never refuses.
BENCH_RATE_LIMIT = "1000000"

SUBMISSION = "submission write"
ACKNOWLEDGEMENT = "acknowledgement"
RATE_LIMIT = "rate-limit counter"
OTHER = "other"


def examples() -> list[bytes]:
    return [(EXAMPLES_DIR / name).read_bytes() for name in EXAMPLE_NAMES]


def part_of_submission(label: WriteLabel) -> str:
    """Which part of handling one POST a write belongs to."""
    if label.operation in ("BatchWriteItem", "PutItem") and label.kind in ("child-index", "referral"):
        return SUBMISSION
    if (label.operation == "UpdateItem" and label.kind == "referral") or label.kind == "message-index":
        return ACKNOWLEDGEMENT
    if label.kind == "rate-limit":
        return RATE_LIMIT
    return OTHER


@dataclass(frozen=True)
class PerReferral:
    calls: dict[str, float]
    wcu: dict[WriteLabel, float]
    # The blind-index key's one-off set-up in the warm-up (first use in the process): excluded.
    setup_calls: dict[str, int]
    referrals: int
    item_bytes: float

    @property
    def generate_data_key(self) -> float:
        return self.calls.get("kms.GenerateDataKey", 0)

    @property
    def kms_calls(self) -> float:
        return sum(n for name, n in self.calls.items() if name.startswith("kms."))

    def wcu_of(self, part: str) -> float:
        return sum(n for label, n in self.wcu.items() if part_of_submission(label) == part)

    def breakdown(self, part: str) -> dict[WriteLabel, float]:
        return {label: n for label, n in self.wcu.items() if part_of_submission(label) == part}

    @property
    def total_wcu(self) -> float:
        return sum(self.wcu.values())


@dataclass(frozen=True)
class Latency:
    p50_ms: float
    p99_ms: float
    mean_ms: float
    count: int


def latency_of(samples_ms: list[float]) -> Latency:
    ordered = sorted(samples_ms)
    return Latency(
        p50_ms=statistics.median(ordered),
        p99_ms=ordered[math.ceil(0.99 * len(ordered)) - 1],  # nearest rank
        mean_ms=statistics.fmean(ordered),
        count=len(ordered),
    )


@contextmanager
def app_under_moto(extra_env: dict[str, str] | None = None) -> Iterator[tuple[Any, Any]]:
    """The app in-process with moto (mock_aws) and every resource created; yields (client, wiring)."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-west-2",
            "MASH_STAGE": "local",
            "MASH_RATE_LIMIT_API_REQUESTS": BENCH_RATE_LIMIT,
            **(extra_env or {}),
        }
    )
    for name in ("MASH_AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)
    from chalice.test import Client
    from moto import mock_aws

    from chalicelib import wiring
    from local.resources import create_resources

    with mock_aws():
        hub = wiring.reset()
        created = create_resources(hub.settings, hub.aws_client)
        os.environ["MASH_AGENCY_TOPIC_ARN"] = created["agency_topic_arn"]  # as local/stack.py hands it over
        hub = wiring.reset()
        from app import app

        with Client(app) as client:
            yield client, hub
    wiring.reset()


def submit(client: Any, body: bytes) -> str:
    response = client.http.post(
        "/api/referrals",
        headers={"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())},
        body=body,
    )
    if response.status_code != 201:
        raise RuntimeError(f"POST /api/referrals answered {response.status_code}: {response.body[:300]!r}")
    return json.loads(response.body)["reference"]


def warm_up(client: Any, hub: Any, tally: AwsTally, body: bytes) -> dict[str, int]:
    """Set up what a container does once; returns the calls of the blind-index key's set-up.

    The key is fetched (created on first ever use) and unwrapped on its first use in a process,
    then cached: an extra kms.Decrypt and a CONFIG GetItem (and PutItem) no later referral pays.
    """
    tally.reset()
    hub.blind_index  # noqa: B018 - the property fetches, unwraps and caches the key
    setup = dict(tally.calls)
    submit(client, body)  # clients built, schemas compiled
    tally.reset()
    return setup


def check_setup_excluded(tally: AwsTally) -> None:
    """The per-referral figures must not carry the one-off key set-up: fail loudly if they do."""
    if tally.calls.get("kms.Decrypt") or any(label.kind == "config" for label in tally.wcu):
        raise RuntimeError("the blind-index key was set up during the measured referrals: the warm-up missed it")


def measure_per_referral(rounds: int = 3) -> PerReferral:
    """Each example submitted `rounds` times after a warm-up; the mean per referral."""
    bodies = examples()
    with app_under_moto() as (client, hub), counting_aws() as tally:
        setup = warm_up(client, hub, tally, bodies[0])
        for _ in range(rounds):
            for body in bodies:
                submit(client, body)
        check_setup_excluded(tally)
        count = rounds * len(bodies)
        calls = {name: n / count for name, n in sorted(tally.calls.items())}
        wcu = {label: n / count for label, n in sorted(tally.wcu.items())}
        item_bytes = _mean_referral_size(hub)
    return PerReferral(calls=calls, wcu=wcu, setup_calls=setup, referrals=count, item_bytes=item_bytes)


def _mean_referral_size(hub: Any) -> float:
    """Of the referral items only: not the child index, counters or the key item."""
    db = hub.aws_client("dynamodb")
    items = [
        item
        for page in db.get_paginator("scan").paginate(TableName=hub.settings.table_name)
        for item in page["Items"]
        if item["sk"]["S"] == "REFERRAL"
    ]
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
    return latency_of(samples)
