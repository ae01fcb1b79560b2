"""What the emergency duty team left for the day team: its notes and whether it handed over.

Plain values the Referral holds; the rules for writing them are in chalicelib/domain/out_of_hours.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# Sorts before every urgency rank ("-1#..." < "0#..."): handed over and not yet screened goes first.
HANDED_OVER_RANK = -1


@dataclass(frozen=True)
class HandoverNote:
    text: str
    written_by: str
    written_at: dt.datetime


@dataclass(frozen=True)
class Handover:
    """What the EDT did out of hours, for the day team: notes in order, and whether it handed over."""

    notes: tuple[HandoverNote, ...] = ()
    handed_over_by: str | None = None
    handed_over_at: dt.datetime | None = None

    @property
    def handed_over(self) -> bool:
        return self.handed_over_at is not None
