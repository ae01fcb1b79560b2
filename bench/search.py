"""Search and the queue at 1,000 and 10,000 referrals (in-process moto, chalice.test.Client, a practitioner).

Seeding: the first `POSTED` referrals go through POST /api/referrals (the real path: the referral,
its child and search entries in one TransactWriteItems); the rest are stored as that path stores
them (the same items: referral, child index, search entries with their sealed cards, made by the
hub's own code), but written with BatchWriteItem, 25 items a call. moto's TransactWriteItems
deep-copies every table to be able to roll back, so 10,000 transactions would take hours; the
items in the table are the same either way.

A search is timed through GET /admin/search with a mix of what callers give: a whole name, a
surname alone, a first name with a month of birth, a postcode with a surname. Each search writes
one audit event in the searcher's chain, a TransactWriteItems, before which moto deep-copies the
whole table once per item of the transaction, to roll back if one is refused: about 35 s a search
at 10,000 referrals, none of it the hub's. While timing, that copy is skipped
(`moto_without_rollback_copies`): no transaction here is refused (any refusal stops the bench),
and the calls counted are the same. moto's Query still reads and sorts every item of the table
(a real Query reads only its partition), so "end to end on moto" grows with the table while the
hub's work does not: "outside AWS calls" is the hub's own time, without botocore or moto.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench.aws_meter import counting_aws
from bench.referrals import submit
from bench.search_quality import FIRST_NAMES, LAST_NAMES
from bench.staff_api import PerRequest, Samples, per_request, practitioner_token, staff_client, timed

SIZES = (1_000, 10_000)
POSTED = 10
# Searches and queue pages timed at each size: fewer at 10,000, where each of moto's transactions
# (one per search: its audit event) copies a table of some 250,000 items.
SEARCHES = {1_000: 40, 10_000: 12}
QUEUE_PAGES = {1_000: 20, 10_000: 10}
PAGE_SIZE = 25
FIRST_BIRTHDAY = dt.date(2008, 1, 1)
BATCH = 25


@dataclass(frozen=True)
class SearchFigures:
    referrals: int
    seed_seconds: float
    search: Samples
    search_work: PerRequest
    found_per_search: float
    queue: Samples
    queue_work: PerRequest


def synthetic_referral(number: int) -> dict[str, Any]:
    """A support referral with a child and a parent of their own: names from several languages,
    a date of birth and a postcode spread over the set (deterministic by number)."""
    from tests.factories import support_referral

    first = FIRST_NAMES[number % len(FIRST_NAMES)]
    last = LAST_NAMES[(number // len(FIRST_NAMES)) % len(LAST_NAMES)]
    born = FIRST_BIRTHDAY + dt.timedelta(days=(number * 7) % 5000)
    postcode = f"E{number % 20 + 1} {number % 9 + 1}A{'ABDEFGHJLNPQRSTUWXYZ'[number % 20]}"
    return support_referral(
        **{
            "children.0.first_name": first,
            "children.0.last_name": last,
            "children.0.date_of_birth": born.isoformat(),
            "children.0.address.postcode": postcode,
            "parents_carers.0.name": f"{FIRST_NAMES[(number + 7) % len(FIRST_NAMES)]} {last}",
        }
    )


def store_searchable(hub: Any, referral: dict[str, Any]) -> None:
    """The items submit_referral stores (referral, child index, search entries and card), batch-written."""
    from chalicelib.adapters.referrals.item_codec import to_item
    from chalicelib.adapters.referrals.search_index import search_entry_items
    from chalicelib.domain.deadlines import working_together_deadline
    from chalicelib.domain.reference import new_reference
    from chalicelib.domain.referral import ReferralSubmission
    from chalicelib.domain.referral_record import Channel, Referral
    from chalicelib.domain.search_terms import referral_terms, search_card
    from chalicelib.services.submit_referral import _child_keys

    submission = ReferralSubmission.model_validate(referral)
    reference = new_reference()
    now = hub.clock()
    stored = Referral.receive(
        reference,
        submission,
        channel=Channel.API,
        now=now,
        request_fingerprint="bench",
        idempotency_key_hash=None,
        working_together_due_at=working_together_deadline(now),
        child_keys=_child_keys(submission),
        search_keys=tuple(dict.fromkeys(hub.blind_index.hash(t) for t in referral_terms(reference, submission))),
    )
    store = hub.referrals
    items = [to_item(stored, store.cipher.seal(reference))]
    items += store._child_index_items(reference, stored.child_keys)
    items += search_entry_items(stored, hub.search_cards.seal(reference, search_card(submission)))
    for start in range(0, len(items), BATCH):
        store._put_index(items[start : start + BATCH])


def seed(client: Any, hub: Any, count: int) -> float:
    started = time.perf_counter()
    for number in range(count):
        if number < POSTED:
            submit(client, json.dumps(synthetic_referral(number)).encode())
        else:
            store_searchable(hub, synthetic_referral(number))
    return time.perf_counter() - started


def searches(count: int, how_many: int) -> list[str]:
    """What callers give, as query strings: a deterministic mix over the seeded names."""
    import urllib.parse

    chooser = random.Random(13)  # noqa: S311 - a repeatable mix of searches, not a secret
    asked: list[str] = []
    for _ in range(how_many):
        number = chooser.randrange(count)
        child = synthetic_referral(number)["children"][0]
        first, last, born = child["first_name"], child["last_name"], child["date_of_birth"]
        shape = len(asked) % 4
        query = [
            {"name": f"{first} {last}"},
            {"name": last},
            {"name": first, "dob": born[:7]},
            {"name": last, "postcode": child["address"]["postcode"]},
        ][shape]
        asked.append(urllib.parse.urlencode(query))
    return asked


@contextmanager
def moto_without_rollback_copies() -> Iterator[None]:
    """moto's TransactWriteItems without its copy of every table it touches (see the docstring)."""
    import copy

    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.models.table import Table

    def deepcopy(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    original = dynamodb_models.copy
    dynamodb_models.copy = SimpleNamespace(deepcopy=deepcopy)  # type: ignore[assignment]
    try:
        yield
    finally:
        dynamodb_models.copy = original


def measure(count: int) -> SearchFigures:
    with tempfile.TemporaryDirectory(prefix="bench-issuer-") as key_dir:
        token, jwks_path = practitioner_token(Path(key_dir))
        from bench.referrals import BENCH_RATE_LIMIT, app_under_moto

        env = {"MASH_LOCAL_JWKS_PATH": jwks_path, "MASH_RATE_LIMIT_SEARCH_REQUESTS": BENCH_RATE_LIMIT}
        with app_under_moto(env) as (client, hub):
            seed_seconds = seed(client, hub, count)
            staff = staff_client(client, token)
            staff("GET", "/admin/search?name=Oliwia&dob=2010-01", None)  # warm-up: imports, the cards' key
            staff("GET", f"/admin/referrals?limit={PAGE_SIZE}", None)
            with moto_without_rollback_copies(), counting_aws() as tally:
                search_timing, search_work, found = _search_all(staff, tally, searches(count, SEARCHES.get(count, 20)))
                queue_timing, queue_work = _queue_pages(staff, tally, QUEUE_PAGES.get(count, 10))
    return SearchFigures(count, seed_seconds, search_timing, search_work, found, queue_timing, queue_work)


def _search_all(staff: Callable[..., Any], tally: Any, asked: list[str]) -> tuple[Samples, PerRequest, float]:
    samples = Samples()
    tally.reset()
    found = 0
    for query in asked:
        answer = timed(functools.partial(staff, "GET", f"/admin/search?{query}", None), tally, samples)
        found += len(answer["referrals"])
    return samples, per_request(tally, len(asked)), found / len(asked)


def _queue_pages(staff: Callable[..., Any], tally: Any, pages: int) -> tuple[Samples, PerRequest]:
    samples = Samples()
    tally.reset()
    cursor = None
    for _ in range(pages):
        path = f"/admin/referrals?limit={PAGE_SIZE}" + (f"&cursor={cursor}" if cursor else "")
        page = timed(functools.partial(staff, "GET", path, None), tally, samples)
        cursor = page["next_cursor"]
    return samples, per_request(tally, pages)


def report(show: Callable[..., None]) -> None:
    print(
        "(i) Search and the queue at 1,000 and 10,000 referrals (in-process moto, a practitioner token)\n"
        f"  seeding: {POSTED} by POST /api/referrals, the rest as that path stores them (the same items,\n"
        "  made by the hub's code) but batch-written: moto's transactions copy the whole table each time;\n"
        "  timed with moto's rollback copy skipped (no transaction is refused); moto's Query reads the\n"
        "  whole table (a real one reads its partition): 'outside AWS calls' is the hub's own time",
        flush=True,
    )
    for count in SIZES:
        figures = measure(count)
        show(f"{count:,} referrals seeded", f"{figures.seed_seconds:.0f} s")
        _figures(show, "GET /admin/search (mixed searches)", figures.search, figures.search_work)
        show("  referrals shown per search (mean)", f"{figures.found_per_search:.1f}")
        _figures(
            show, f"GET /admin/referrals?limit={PAGE_SIZE} (following the cursor)", figures.queue, figures.queue_work
        )


def _figures(show: Callable[..., None], label: str, samples: Samples, work: PerRequest) -> None:
    show(label, "")
    for name, times in (("end to end on moto", samples.end_to_end_ms), ("outside AWS calls", samples.app_ms)):
        show(f"  median / p95 {name}", f"{statistics.median(times):.1f} / {_p95(times):.1f} ms (n={len(times)})")
    kms = work.kms()
    show("  KMS calls per request", f"{kms:g}", "<= 1", kms <= 1)
    show("  DynamoDB calls per request", ", ".join(f"{n} {c:g}" for n, c in work.dynamodb_calls().items()))


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]  # nearest rank
