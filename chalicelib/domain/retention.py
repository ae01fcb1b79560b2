"""How long a closed referral is kept, by its outcome, and legal holds that stop the clock.

UK GDPR's storage limitation: personal data is kept no longer than needed. A referral that led to
no further action is needed for less time than one that led to a child protection enquiry.
The years are configurable (MASH_RETENTION_YEARS, JSON); these defaults are a starting point for
the council's records manager, not legal advice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib.domain.decision import Outcome

DEFAULT_RETENTION_YEARS: dict[str, int] = {
    Outcome.NO_FURTHER_ACTION: 2,
    Outcome.UNIVERSAL_SERVICES: 2,
    Outcome.EARLY_HELP: 6,
    Outcome.TRANSFER: 6,
    Outcome.CHILD_AND_FAMILY_ASSESSMENT: 15,
    Outcome.ALLOCATED_WORKER: 15,
    Outcome.MAP_MASE: 25,
    Outcome.STRATEGY_DISCUSSION: 25,
}
# DynamoDB TTL is only a backstop, this long after the retention date: the daily retention sweep
# deletes first and leaves an audit receipt; TTL deletes silently.
TTL_BACKSTOP = dt.timedelta(days=30)


@dataclass(frozen=True)
class LegalHold:
    placed_by: str
    placed_at: dt.datetime
    reason: str


def retention_until(outcome: Outcome, closed_at: dt.datetime, years_by_outcome: dict[str, int]) -> dt.datetime:
    years = years_by_outcome.get(outcome.value, DEFAULT_RETENTION_YEARS[outcome])
    try:
        return closed_at.replace(year=closed_at.year + years)
    except ValueError:  # 29 February in a year that has none
        return closed_at.replace(year=closed_at.year + years, day=28)
