"""Decision deadlines in MASH working time: the RAG rating's and Working Together's.

The working clock
    The MASH works Monday to Thursday 09:00–17:15 and Friday 09:00–17:00, Europe/London wall-clock
    time, and not on England and Wales bank holidays. Opening is inclusive and closing exclusive:
    09:00 is working time, 17:15 on a Thursday is not.

Red: clock hours
    A Red deadline is the screening time plus ``DeadlinePolicy.red`` (4 hours) of elapsed time,
    day or night, weekend or not: a child at immediate risk does not wait for the office to open
    (out of hours, the emergency duty team picks it up). Elapsed time is measured in UTC, so across
    a clock change "4 hours" is 4 real hours even though the wall clock moves by 3 or 5.

N working days: the same wall-clock time on the Nth working day, never past that day's close
    1. The clock starts at receipt if that is working time; otherwise at the next opening (09:00 of
       the next working day). So a referral in at 17:16 on a Thursday counts as in at 09:00 Friday.
    2. The deadline is the start's wall-clock time on the Nth working day after the start's day,
       brought forward to that day's close if the day closes earlier (Friday).

    Examples with 1 working day: Thursday 17:14 → Friday 17:00 (17:14 is past Friday's close);
    Thursday 17:16 → Monday 09:00 (the whole of Friday); Friday 16:00 → Monday 16:00.

    Why this and not "N x 8h15 of working minutes": staff read a deadline as "by this time on the
    next working day", and a minute budget would land at odd times (17:14 Thursday would be due at
    09:14 Monday). Why bring it forward to the close rather than roll the excess into the next
    day: rolling would push a Thursday-evening referral past a weekend for a quarter of an hour;
    erring early errs on the child's side. Monday 09:00 and Friday 17:00 are the same point on the
    working clock (no working minute between them); we say Monday 09:00 because that is what
    "the same time one working day later" gives, and it is never overdue before anyone is at work.
    Opening is 09:00 local wall-clock time whatever the UTC offset, so working days keep their
    shape across clock changes.

Working Together to Safeguard Children
    Every referral gets a decision on next steps within one working day of receipt:
    ``working_together_deadline(received_at)``, the same 1-working-day rule, from receipt (the RAG
    deadline runs from screening). Green's 3 working days are longer, so the two are tracked apart.

Bank holidays
    England and Wales bank holidays come from the ``govuk-bank-holidays`` package's bundled copy of
    GOV.UK's list, read offline (``use_cached_holidays=True``): Lambda has no network at run time
    and tests must never touch it. For a year the bundled list does not cover, the standard rules
    are computed (see ``standard_bank_holidays``). ``bank_holidays_known_until`` tells a health
    check when to bump the package.

Every function takes and returns timezone-aware datetimes (returned in UTC) and refuses naive ones.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from chalicelib.domain.decision import Rag

__all__ = [
    "DeadlinePolicy",
    "Rag",
    "add_working_days",
    "bank_holidays_known_until",
    "decision_deadline",
    "is_bank_holiday",
    "is_working_day",
    "is_working_time",
    "next_working_start",
    "standard_bank_holidays",
    "working_together_deadline",
]

# The tzdata package (pinned in requirements.txt) supplies this when the system has no tz files.
LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC

OPENING = dt.time(9, 0)
CLOSING_MONDAY_TO_THURSDAY = dt.time(17, 15)
CLOSING_FRIDAY = dt.time(17, 0)
FRIDAY = 4

# Enough to cross Christmas, New Year and a weekend together many times over: a loop that goes
# further than this is a bug, not a long holiday.
_MAX_DAYS_WITHOUT_WORK = 14


@dataclass(frozen=True)
class DeadlinePolicy:
    """How long each RAG rating gives for the MASH decision (defaults: typical London practice)."""

    red: dt.timedelta = dt.timedelta(hours=4)
    amber_working_days: int = 1
    green_working_days: int = 3

    def __post_init__(self) -> None:
        if self.red <= dt.timedelta(0):
            raise ValueError(f"Red must give some time to decide, got {self.red}")
        for name in ("amber_working_days", "green_working_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


# --- the public calculations -------------------------------------------------------------------


def decision_deadline(screened_at: dt.datetime, rag: Rag | str, policy: DeadlinePolicy | None = None) -> dt.datetime:
    """When the MASH decision on a referral screened at ``screened_at`` with this RAG is due (UTC)."""
    policy = policy or DeadlinePolicy()
    screened_at = _as_utc(screened_at, "screened_at")
    rating = Rag(rag)
    if rating is Rag.RED:
        return screened_at + policy.red
    days = policy.amber_working_days if rating is Rag.AMBER else policy.green_working_days
    return add_working_days(screened_at, days)


def working_together_deadline(received_at: dt.datetime) -> dt.datetime:
    """Working Together: a decision on next steps within one working day of receipt (UTC)."""
    return add_working_days(_as_utc(received_at, "received_at"), 1)


def add_working_days(moment: dt.datetime, days: int) -> dt.datetime:
    """The same working-clock time ``days`` working days on (see the module docstring), in UTC."""
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    start = _to_london(next_working_start(moment))
    day = start.date()
    for _ in range(days):
        day = _next_working_day_after(day)
    wall_clock = min(start.time().replace(tzinfo=None), _closing(day))
    return _london_wall_clock(day, wall_clock)


def is_working_time(moment: dt.datetime) -> bool:
    """Whether the MASH is at work at this moment."""
    local = _to_london(moment)
    day = local.date()
    return is_working_day(day) and OPENING <= local.time().replace(tzinfo=None) < _closing(day)


def next_working_start(moment: dt.datetime) -> dt.datetime:
    """When the working clock starts for something arriving at ``moment`` (UTC).

    ``moment`` itself if it is working time, otherwise the next opening.
    """
    if is_working_time(moment):
        return _as_utc(moment, "moment")
    local = _to_london(moment)
    day = local.date()
    before_opening = local.time().replace(tzinfo=None) < OPENING
    if not (is_working_day(day) and before_opening):
        day = _next_working_day_after(day)
    return _london_wall_clock(day, OPENING)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


# --- bank holidays -----------------------------------------------------------------------------


def is_bank_holiday(day: dt.date) -> bool:
    """An England and Wales bank holiday: GOV.UK's bundled list, or the standard rules past it."""
    calendar = _bank_holiday_calendar()
    if day.year in calendar.covered_years:
        return day in calendar.dates
    return day in standard_bank_holidays(day.year)


def bank_holidays_known_until() -> dt.date:
    """The last day GOV.UK's bundled list covers; past it the standard rules are used."""
    return dt.date(max(_bank_holiday_calendar().covered_years), 12, 31)


@dataclass(frozen=True)
class _BankHolidayCalendar:
    dates: frozenset[dt.date]
    covered_years: frozenset[int]

    @classmethod
    def from_dates(cls, dates: Iterable[dt.date]) -> _BankHolidayCalendar:
        known = frozenset(dates)
        # A year counts as covered only if the list reaches its Christmas: a half-published year
        # falls back to the rules rather than silently missing its later holidays.
        return cls(dates=known, covered_years=frozenset(d.year for d in known if d.month == 12))


@functools.cache
def _bank_holiday_calendar() -> _BankHolidayCalendar:
    # Imported here, not at module load: the package imports requests, and a cold start that
    # never computes a deadline should not pay for it.
    from govuk_bank_holidays.bank_holidays import BankHolidays

    # use_cached_holidays: the bundled copy only, never a download. The division matters: without
    # it the package returns only holidays common to all of the UK (no Easter Monday, no August).
    holidays = BankHolidays(use_cached_holidays=True)
    return _BankHolidayCalendar.from_dates(
        h["date"] for h in holidays.get_holidays(division=BankHolidays.ENGLAND_AND_WALES)
    )


@functools.cache
def standard_bank_holidays(year: int) -> frozenset[dt.date]:
    """England and Wales bank holidays by the standing rules (Banking and Financial Dealings Act).

    Why compute rather than refuse past the bundled list: a screening must never fail for want of
    a deadline, and the rules reproduce GOV.UK's list for every year without a one-off change
    (the tests check this against the bundled data). What they miss: one-off extra days (jubilees,
    coronations, a state funeral) only make our deadline earlier, the child's side; a moved
    holiday (VE Day 2020 moved the May holiday to a Friday) could make it a day late, so the
    package is bumped when GOV.UK announces one.
    """
    easter = _easter_sunday(year)
    return frozenset(
        {
            _substitute_if_weekend(dt.date(year, 1, 1), taken=set()),
            easter - dt.timedelta(days=2),  # Good Friday
            easter + dt.timedelta(days=1),  # Easter Monday
            _first_monday(year, 5),  # Early May bank holiday
            _last_monday(year, 5),  # Spring bank holiday
            _last_monday(year, 8),  # Summer bank holiday
            *_christmas_and_boxing_day(year),
        }
    )


def _christmas_and_boxing_day(year: int) -> set[dt.date]:
    # Each falls on its date, or the next weekday not already taken: Christmas on a Saturday gives
    # Monday 27 and Tuesday 28; on a Sunday, Boxing Day Monday 26 and a substitute Tuesday 27.
    taken: set[dt.date] = set()
    for day in (dt.date(year, 12, 25), dt.date(year, 12, 26)):
        taken.add(_substitute_if_weekend(day, taken))
    return taken


def _substitute_if_weekend(day: dt.date, taken: set[dt.date]) -> dt.date:
    while day.weekday() >= 5 or day in taken:
        day += dt.timedelta(days=1)
    return day


def _first_monday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> dt.date:
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    last = next_month - dt.timedelta(days=1)
    return last - dt.timedelta(days=last.weekday())


def _easter_sunday(year: int) -> dt.date:
    # The anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


# --- helpers -----------------------------------------------------------------------------------


def _closing(day: dt.date) -> dt.time:
    return CLOSING_FRIDAY if day.weekday() == FRIDAY else CLOSING_MONDAY_TO_THURSDAY


def _next_working_day_after(day: dt.date) -> dt.date:
    for _ in range(_MAX_DAYS_WITHOUT_WORK):
        day += dt.timedelta(days=1)
        if is_working_day(day):
            return day
    raise RuntimeError(f"no working day within {_MAX_DAYS_WITHOUT_WORK} days after {day}")


def _london_wall_clock(day: dt.date, time: dt.time) -> dt.datetime:
    # Working hours never meet a clock change (those happen at 01:00 UTC on a Sunday), so the
    # local time always exists and is never ambiguous.
    return dt.datetime.combine(day, time, tzinfo=LONDON).astimezone(UTC)


def _to_london(moment: dt.datetime) -> dt.datetime:
    return _as_utc(moment, "moment").astimezone(LONDON)


def _as_utc(moment: dt.datetime, name: str) -> dt.datetime:
    if not isinstance(moment, dt.datetime):
        raise TypeError(f"{name} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"{name} is a naive datetime ({moment.isoformat()}): give a timezone-aware one, "
            "e.g. datetime.now(UTC), so the deadline cannot be an hour out"
        )
    return moment.astimezone(UTC)
