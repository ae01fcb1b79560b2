"""Save and come back later, as the form shows it: times in London's words.

The use case (saving a draft under a resume code, taking it back) is
chalicelib/services/save_and_resume.py.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def london_time(moment: dt.datetime) -> str:
    """GOV.UK style, in London's time: `3:15pm on Tuesday 21 October 2025` (12pm is midday)."""
    local = moment.astimezone(LONDON)
    hour = local.hour % 12 or 12
    clock = f"{hour}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"
    if (local.hour, local.minute) == (12, 0):
        clock = "midday"
    elif (local.hour, local.minute) == (0, 0):
        clock = "midnight"
    return f"{clock} on {local.strftime('%A')} {local.day} {local.strftime('%B %Y')}"
