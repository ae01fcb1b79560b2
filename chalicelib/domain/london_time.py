"""The MASH's wall clock: Europe/London, whatever the server's time zone (Lambda's is UTC).

A date a person means ("today", "born on 14 March") is a London date: a referral sent at 00:30 on
a summer night is already tomorrow in London and still today in UTC.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def london_date(moment: dt.datetime) -> dt.date:
    """The London calendar date of an aware moment."""
    return moment.astimezone(LONDON).date()


def london_today() -> dt.date:
    """Today in London by the system clock: only where no injected clock reaches (prefer the wiring's)."""
    return dt.datetime.now(LONDON).date()
