"""Daily rollups: per London day, the counts the performance report adds up, so a year reads ~366 small
items, never one item per referral.

A referral *contributes* counts to at most two days, from its coded figures (`census.CensusFields`):
- its referral date: `received`, `route_<route>`; unless it is a duplicate, `source_<census code>` and
  `re_referrals` (or `re_referral_unknown` for one received before the hub computed it); if it is a
  duplicate, `duplicates` (so sources and the re-referral rate count each referral once);
- the London date its decision stood: `decided`, `outcome_<outcome>`, `assessments` (s17 or s47),
  `decision_seconds` (receipt to decision, summed; a mean is sum / decided).

Every write that changes a referral adds `contributions(after) - contributions(before)` to the days'
rollups in the same transaction as the referral's own write, which is conditional on the version it
read. So a retried write either commits once or is refused (and re-applied to a fresh read, whose
diff is then computed again): no count is ever added twice, and the rollups always equal the sum of
the stored referrals' contributions. A referral deleted by retention leaves its counts in place: the
figures of past years outlive the records.

An advice contact contributes `advice`, `advice_<outcome>` and `advice_caller_<caller kind>` to the
day it was called, in the write that records it; made into a referral, its outcome count moves
(`advice_moved`) in the write that changes its outcome, conditional on the outcome it had: once only.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from chalicelib.domain.census import ASSESSMENT_OUTCOMES, CensusFields
from chalicelib.domain.decision import Outcome
from chalicelib.domain.london_time import london_date

RECEIVED = "received"
DUPLICATES = "duplicates"
RE_REFERRALS = "re_referrals"
RE_REFERRAL_UNKNOWN = "re_referral_unknown"
DECIDED = "decided"
ASSESSMENTS = "assessments"
DECISION_SECONDS = "decision_seconds"
ADVICE = "advice"
ROUTE_PREFIX = "route_"
SOURCE_PREFIX = "source_"
OUTCOME_PREFIX = "outcome_"
ADVICE_PREFIX = "advice_"
ADVICE_CALLER_PREFIX = "advice_caller_"

Counts = dict[str, int]
DayCounts = dict[dt.date, Counts]


def contributions(fields: CensusFields | None) -> DayCounts:
    """What one referral, as it stands, adds to each day's rollup."""
    if fields is None:
        return {}
    received: Counter[str] = Counter({RECEIVED: 1, ROUTE_PREFIX + fields.route: 1})
    if fields.duplicate:
        received[DUPLICATES] += 1
    else:
        received[SOURCE_PREFIX + fields.source] += 1
        if fields.re_referral is None:
            received[RE_REFERRAL_UNKNOWN] += 1
        elif fields.re_referral:
            received[RE_REFERRALS] += 1
    days: dict[dt.date, Counter[str]] = {fields.referral_date: received}
    seconds = fields.decision_seconds
    if fields.decided_at is not None and fields.outcome_code and seconds is not None:
        decided = days.setdefault(london_date(fields.decided_at), Counter())
        decided[DECIDED] += 1
        decided[OUTCOME_PREFIX + fields.outcome_code] += 1
        decided[DECISION_SECONDS] += seconds
        if fields.outcome_code in {outcome.value for outcome in ASSESSMENT_OUTCOMES}:
            decided[ASSESSMENTS] += 1
    return {day: dict(counts) for day, counts in days.items()}


def rollup_delta(before: CensusFields | None, after: CensusFields | None) -> DayCounts:
    """What a change adds to each day's rollup (negative to take back), zeros left out."""
    old, new = contributions(before), contributions(after)
    delta: DayCounts = {}
    for day in sorted(set(old) | set(new)):
        names = set(old.get(day, {})) | set(new.get(day, {}))
        changed = {
            name: new.get(day, {}).get(name, 0) - old.get(day, {}).get(name, 0)
            for name in sorted(names)
            if new.get(day, {}).get(name, 0) != old.get(day, {}).get(name, 0)
        }
        if changed:
            delta[day] = changed
    return delta


def merged(deltas: list[DayCounts]) -> DayCounts:
    """Several changes' deltas as one per day (one transaction may touch a day's item only once)."""
    total: dict[dt.date, Counter[str]] = {}
    for delta in deltas:
        for day, counts in delta.items():
            total.setdefault(day, Counter()).update(counts)
    return {
        day: {k: v for k, v in counts.items() if v} for day, counts in sorted(total.items()) if any(counts.values())
    }


def advice_contribution(called_at: dt.datetime, outcome: str, caller_kind: str) -> DayCounts:
    """What one advice call adds to the day it was called (London date)."""
    return {london_date(called_at): {ADVICE: 1, ADVICE_PREFIX + outcome: 1, ADVICE_CALLER_PREFIX + caller_kind: 1}}


def advice_moved(called_at: dt.datetime, old_outcome: str, new_outcome: str) -> DayCounts:
    """A call's outcome changed: its count moves from the old outcome to the new one, on its own day."""
    if old_outcome == new_outcome:
        return {}
    return {london_date(called_at): {ADVICE_PREFIX + old_outcome: -1, ADVICE_PREFIX + new_outcome: 1}}


@dataclass(frozen=True)
class DayRollup:
    """One London day's counts, as stored (a name absent is 0)."""

    day: dt.date
    counts: Counts = field(default_factory=dict)

    def count(self, name: str) -> int:
        return self.counts.get(name, 0)


OUTCOME_NAMES = tuple(OUTCOME_PREFIX + outcome.value for outcome in Outcome)
