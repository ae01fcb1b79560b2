"""The staff API against 1,000 referrals, in-process (moto, chalice.test.Client, a staff token).

Figures: the work queue's latency and AWS calls per page (goal: no KMS call), the whole
picture's latency and AWS work per view (goal: one kms.Decrypt; the read is audited, so it
writes), and the WCUs of a screening. The bench walks the queue first, then views, then screens,
so each figure is taken on the state a practitioner would meet.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.aws_meter import AwsTally, WriteLabel, counting_aws
from bench.referrals import Latency, app_under_moto, examples, latency_of, submit

REFERRALS = 1000
POSTED = 20  # of the 1,000, sent through POST /api/referrals to time that path; the rest via the store
QUEUE_CALLS = 200
PAGE_SIZE = 25
# moto's TransactWriteItems deep-copies every table (to roll back), about a second per call at
# this size: the audited views and the screenings are sampled fewer times to keep the run short.
VIEWS = 60
SCREENINGS = 20
FIRST_BIRTHDAY = dt.date(2010, 1, 1)


@dataclass(frozen=True)
class PerRequest:
    """Mean AWS work of one request."""

    calls: dict[str, float]
    wcu: dict[WriteLabel, float]

    def kms(self, operation: str | None = None) -> float:
        prefix = f"kms.{operation}" if operation else "kms."
        return sum(n for name, n in self.calls.items() if name.startswith(prefix))

    def dynamodb_calls(self) -> dict[str, float]:
        return {name.removeprefix("dynamodb."): n for name, n in self.calls.items() if name.startswith("dynamodb.")}

    @property
    def total_wcu(self) -> float:
        return sum(self.wcu.values())


@dataclass(frozen=True)
class Timing:
    end_to_end: Latency  # through chalice.test.Client and moto, less the meter's own reads
    app_only: Latency  # less the time inside moto too: what the app itself spends


@dataclass
class Samples:
    end_to_end_ms: list[float] = field(default_factory=list)
    app_ms: list[float] = field(default_factory=list)

    def timing(self) -> Timing:
        return Timing(latency_of(self.end_to_end_ms), latency_of(self.app_ms))


@dataclass(frozen=True)
class StaffFigures:
    seed_post_ms: float
    seed_store_ms: float
    seed_seconds: float
    pages_per_walk: int
    referrals_per_walk: int
    queue: Timing
    queue_work: PerRequest
    view: Timing
    view_work: PerRequest
    screening: Timing
    screening_work: PerRequest


def distinct_child(example: dict[str, Any], number: int) -> dict[str, Any]:
    """The example with its children born on a date of their own: 1,000 different children, so
    "known before" finds what it would in a real queue rather than 333 referrals of one child."""
    referral = json.loads(json.dumps(example))
    for child in referral["children"]:
        if child.get("date_of_birth"):
            child["date_of_birth"] = (FIRST_BIRTHDAY + dt.timedelta(days=number)).isoformat()
    return referral


def store_directly(hub: Any, referral: dict[str, Any]) -> None:
    """What submit_referral stores, without the HTTP round trip and the acknowledgement email."""
    from chalicelib.domain.child_identity import identity_text
    from chalicelib.domain.deadlines import working_together_deadline
    from chalicelib.domain.reference import new_reference
    from chalicelib.domain.referral import ReferralSubmission
    from chalicelib.domain.referral_record import Channel, Referral
    from chalicelib.domain.search_terms import search_card

    submission = ReferralSubmission.model_validate(referral)
    identities = [identity_text(c.first_name, c.last_name, c.date_of_birth) for c in submission.children]
    now = hub.clock()
    reference = new_reference()
    hub.referrals.add(
        Referral.receive(
            reference,
            submission,
            channel=Channel.API,
            now=now,
            request_fingerprint="bench",
            idempotency_key_hash=None,
            working_together_due_at=working_together_deadline(now),
            child_keys=tuple(dict.fromkeys(hub.blind_index.hash(i) for i in identities if i)),
        ),
        # As submit_referral seals it: the queue names the children from it (services/queue_people.py).
        search_card=hub.search_cards.seal(reference, search_card(submission)),
    )


def seed(client: Any, hub: Any) -> tuple[float, float, float]:
    """1,000 referrals; returns (ms per POST, ms per store write, seconds in all)."""
    bodies = [json.loads(body) for body in examples()]
    started = time.perf_counter()
    for number in range(POSTED):
        submit(client, json.dumps(distinct_child(bodies[number % len(bodies)], number)).encode())
    posted = time.perf_counter()
    for number in range(POSTED, REFERRALS):
        store_directly(hub, distinct_child(bodies[number % len(bodies)], number))
    stored = time.perf_counter()
    return (
        (posted - started) * 1000 / POSTED,
        (stored - posted) * 1000 / (REFERRALS - POSTED),
        stored - started,
    )


Staff = Callable[[str, str, Any], Any]


def staff_client(client: Any, token: str) -> Staff:
    def request(method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        response = client.http.request(method, path, headers=headers, body=json.dumps(body).encode() if body else b"")
        if response.status_code != 200:
            raise RuntimeError(f"{method} {path} answered {response.status_code}: {response.body[:300]!r}")
        return json.loads(response.body)

    return request


def timed(action: Callable[[], Any], tally: AwsTally, samples: Samples) -> Any:
    aws_before, meter_before = tally.aws_seconds, tally.meter_seconds
    started = time.perf_counter()
    answer = action()
    elapsed = time.perf_counter() - started - (tally.meter_seconds - meter_before)
    samples.end_to_end_ms.append(elapsed * 1000)
    samples.app_ms.append((elapsed - (tally.aws_seconds - aws_before)) * 1000)
    return answer


def per_request(tally: AwsTally, count: int) -> PerRequest:
    return PerRequest(
        calls={name: n / count for name, n in sorted(tally.calls.items())},
        wcu={label: n / count for label, n in sorted(tally.wcu.items())},
    )


def walk_queue(staff: Staff, tally: AwsTally) -> tuple[Timing, PerRequest, int, list[str]]:
    """QUEUE_CALLS pages of the queue, following the cursor and starting again at the end."""
    samples = Samples()
    cursor: str | None = None
    first_walk: list[str] = []
    pages_in_first_walk = 0
    walks = 0
    tally.reset()
    for _ in range(QUEUE_CALLS):
        path = f"/admin/referrals?limit={PAGE_SIZE}" + (f"&cursor={cursor}" if cursor else "")
        page = timed(lambda path=path: staff("GET", path, None), tally, samples)
        if walks == 0:
            first_walk.extend(row["reference"] for row in page["referrals"])
            pages_in_first_walk += 1
        cursor = page["next_cursor"]
        if cursor is None:
            walks += 1
    return samples.timing(), per_request(tally, QUEUE_CALLS), pages_in_first_walk, first_walk


def view_each(staff: Staff, tally: AwsTally, references: list[str]) -> tuple[Timing, PerRequest]:
    samples = Samples()
    tally.reset()
    for reference in references:
        timed(lambda reference=reference: staff("GET", f"/admin/referrals/{reference}", None), tally, samples)
    return samples.timing(), per_request(tally, len(references))


def screen_each(staff: Staff, tally: AwsTally, references: list[str]) -> tuple[Timing, PerRequest]:
    body = {"rag": "amber", "level": 2, "rationale": "Bench screening: needs a multi-agency look within a day."}
    samples = Samples()
    tally.reset()
    for reference in references:
        path = f"/admin/referrals/{reference}/screening"
        timed(lambda path=path: staff("POST", path, body), tally, samples)
    return samples.timing(), per_request(tally, len(references))


def practitioner_token(key_dir: Path) -> tuple[str, str]:
    """(token, JWKS path) from the local issuer: a synthetic practitioner, as `make token` prints."""
    from local.issuer import SYNTHETIC_STAFF, LocalIssuer

    issuer = LocalIssuer(key_dir)
    practitioner = SYNTHETIC_STAFF["practitioner"]
    return issuer.sign(issuer.claims_for(practitioner)), str(issuer.jwks_path)


def measure_staff_api() -> StaffFigures:
    with tempfile.TemporaryDirectory(prefix="bench-issuer-") as key_dir:
        token, jwks_path = practitioner_token(Path(key_dir))
        with app_under_moto({"MASH_LOCAL_JWKS_PATH": jwks_path}) as (client, hub):
            post_ms, store_ms, seed_seconds = seed(client, hub)  # not metered: the meter's reads would slow it
            staff = staff_client(client, token)
            # Warm-up, not measured: token verification and the view's first run (imports,
            # templates); the blind-index key was cached by the seeding already.
            staff("GET", f"/admin/referrals?limit={PAGE_SIZE}", None)
            with counting_aws() as tally:
                queue, queue_work, pages, walked = walk_queue(staff, tally)
                references = list(dict.fromkeys(walked))
                staff("GET", f"/admin/referrals/{references[-1]}", None)
                view, view_work = view_each(staff, tally, references[:VIEWS])
                screening, screening_work = screen_each(staff, tally, references[VIEWS : VIEWS + SCREENINGS])
    return StaffFigures(
        seed_post_ms=post_ms,
        seed_store_ms=store_ms,
        seed_seconds=seed_seconds,
        pages_per_walk=pages,
        referrals_per_walk=len(set(walked)),
        queue=queue,
        queue_work=queue_work,
        view=view,
        view_work=view_work,
        screening=screening,
        screening_work=screening_work,
    )
