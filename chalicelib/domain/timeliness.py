"""How fast the hub decides: the timeliness report, computed from clear metadata only.

Plain Python over `ReferralTimes` rows (times, codes and counts that the store keeps in clear):
no personal data goes in, none comes out, and nothing here needs a key.

Scope
    A report covers the referrals *received* on London dates `date_from`..`date_to` inclusive
    (`london_bounds`): midnight to midnight Europe/London, so a day is 23 or 25 hours long across a
    clock change. Everything else (enquiries, notices) is counted for those referrals, whenever it
    happened. "Now" (for "still open past deadline") is when the report is made.

Referrals, per RAG rating (red, amber, green, not screened)
    - deadline: the screening's decision deadline (`due_at`); unscreened, Working Together's one
      working day from receipt (`working_together_due_at`).
    - decided: the decision stands, i.e. recorded without needing approval, or approved. A decision
      a manager returned is not a decision (until it is made again: then its new time counts).
      The decision time is `approved_at` when approval was needed, else `decided_at`.
    - decided in time: decision time <= deadline (exactly at the deadline is in time).
    - still open past deadline: not decided and the deadline has passed by now.
    - timeliness unknown: decided or open, but a time it needs is not in clear (items stored before
      the hub kept it, e.g. a referral closed before its RAG rating was kept on closing).
    - in-time share: in time / (decided in time + decided late + still open past deadline), as a
      percentage with one decimal: the referrals whose timeliness is settled. A referral still open
      within its deadline is not yet in or out of time, so it is in neither side.
    - median and 90th percentile of hours from receipt to decision (elapsed clock hours, one
      decimal, half up). The median of an even count is the mean of the middle two; the 90th
      percentile is the nearest rank (the smallest value at least 90% of decisions do not exceed):
      one value -> that value, two -> the larger, ten -> the ninth.

Agency enquiries, per agency
    sent (every enquiry opened), answered in time (answered_at <= due_at), answered late, in-time
    share (in time / (answered + unanswered past due)), median response hours (opened -> answered),
    still unanswered, and of those past due. A withdrawn enquiry (consent refused, or withdrawn by
    staff) is left out: the agency was asked not to answer it.

Outcome notices (outcome, referrer feedback, parents told), per kind
    delivered; failed (bounced, complained, rejected, failed: `FINAL_FAILURES`); pending (neither
    yet: owed, being sent, or sent with no delivery report so far).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar, Self
from zoneinfo import ZoneInfo

from chalicelib.domain.agencies import AGENCY_NAMES, AgencyId
from chalicelib.domain.decision import Rag
from chalicelib.domain.notices import FINAL_FAILURES, NoticeKind, NoticeStatus

LONDON = ZoneInfo("Europe/London")
MAX_DAYS = 366

NOT_SCREENED = "not_screened"
# A referral screened (screened_at in clear) whose rating is not: closed before the hub kept it.
RATING_UNKNOWN = "rating_unknown"
TOTAL = "total"
RAG_GROUPS: tuple[tuple[str, str], ...] = (
    (Rag.RED.value, "Red"),
    (Rag.AMBER.value, "Amber"),
    (Rag.GREEN.value, "Green"),
    (NOT_SCREENED, "Not screened"),
)
RATING_UNKNOWN_LABEL = "Screened, rating not recorded"
NOTICE_KINDS: tuple[tuple[NoticeKind, str], ...] = (
    (NoticeKind.OUTCOME, "Outcome to parents and carers"),
    (NoticeKind.REFERRER_FEEDBACK, "Feedback to the referrer"),
    (NoticeKind.PARENTS_TOLD, "Parents told of the referral"),
)
DECIDED_STATUSES = frozenset({"decided", "closed"})


class InvalidRange(ValueError):
    """A report range a person must fix; the message says how. `code` names the parameter at fault."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- input rows: what the store reads in clear ----------------------------------------------------


@dataclass(frozen=True)
class EnquiryTimes:
    agency: str
    opened_at: dt.datetime
    due_at: dt.datetime | None
    answered_at: dt.datetime | None = None


@dataclass(frozen=True)
class NoticeState:
    kind: str
    status: str


@dataclass(frozen=True)
class ReferralTimes:
    """One referral's clear metadata, as far as timeliness goes. No personal data."""

    received_at: dt.datetime
    status: str
    rag: str | None = None
    screened_at: dt.datetime | None = None
    # The queue's deadline: the screening's once screened, else Working Together's.
    due_at: dt.datetime | None = None
    working_together_due_at: dt.datetime | None = None
    decided_at: dt.datetime | None = None
    needs_approval: bool = False
    approved_at: dt.datetime | None = None
    enquiries: tuple[EnquiryTimes, ...] = ()
    notices: tuple[NoticeState, ...] = ()

    @property
    def group(self) -> str:
        if self.rag:
            return self.rag
        return RATING_UNKNOWN if self.screened_at else NOT_SCREENED

    @property
    def deadline(self) -> dt.datetime | None:
        if self.rag:
            return self.due_at
        if self.screened_at:
            return None  # the screening's deadline, and it is not in clear
        return self.working_together_due_at or self.due_at

    @property
    def decided(self) -> bool:
        return self.status in DECIDED_STATUSES

    @property
    def decision_time(self) -> dt.datetime | None:
        """When the decision came to stand; None if not decided (or its time is not in clear)."""
        if not self.decided:
            return None
        return self.approved_at if self.needs_approval else self.decided_at


# --- the range -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRange:
    """London dates, both included. A report kind may allow another length or say an inverted range
    in other words (domain/performance.py): the class attributes, not a copy of the checks."""

    date_from: dt.date
    date_to: dt.date

    max_days: ClassVar[int] = MAX_DAYS
    days_refusal: ClassVar[str] = (
        "A report covers at most {max} days; this range is {days} days: split it into shorter ranges"
    )

    @classmethod
    def parse(cls, date_from: str | None, date_to: str | None) -> Self:
        if not date_from or not date_to:
            missing = " and ".join(name for name, value in (("from", date_from), ("to", date_to)) if not value)
            raise InvalidRange(
                "range_required",
                f"Give {missing}: the range is ?from=YYYY-MM-DD&to=YYYY-MM-DD, London dates, both included",
            )
        return cls.of(_date("from", date_from), _date("to", date_to))

    @classmethod
    def of(cls, date_from: dt.date, date_to: dt.date) -> Self:
        if date_from > date_to:
            raise InvalidRange("invalid_range", cls.inverted(date_from, date_to))
        days = (date_to - date_from).days + 1
        if days > cls.max_days:
            raise InvalidRange("invalid_range", cls.days_refusal.format(max=cls.max_days, days=days))
        return cls(date_from, date_to)

    @staticmethod
    def inverted(date_from: dt.date, date_to: dt.date) -> str:
        return f"from ({date_from.isoformat()}) is after to ({date_to.isoformat()}): swap them"

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return london_bounds(self.date_from, self.date_to)


# The hub's referrals are all of this millennium; the bound keeps the arithmetic clear of date.max.
FIRST_YEAR, LAST_YEAR = 2000, 2999
DATE_PATTERN = r"^2[0-9]{3}-[0-9]{2}-[0-9]{2}$"


def _date(name: str, text: str) -> dt.date:
    try:
        if len(text) != 10:
            raise ValueError(text)
        date = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidRange(f"invalid_{name}", f"{name} must be a date as YYYY-MM-DD, like 2026-04-01") from None
    if not FIRST_YEAR <= date.year <= LAST_YEAR:
        raise InvalidRange(f"invalid_{name}", f"{name} must be a date from {FIRST_YEAR} to {LAST_YEAR}")
    return date


def london_bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC: London midnight starting `date_from` to London midnight after `date_to`."""
    start = dt.datetime.combine(date_from, dt.time(0), tzinfo=LONDON)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), tzinfo=LONDON)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


# --- figures ---------------------------------------------------------------------------------------


def round_1(value: float) -> float:
    """One decimal, half up (as a person rounds), not Python's half to even."""
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def median(values: Sequence[float]) -> float | None:
    return round_1(statistics.median(values)) if values else None


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest rank: the smallest value that at least `share` of the values do not exceed."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(round(share * len(ordered), 9)))
    return round_1(ordered[rank - 1])


def percent(part: int, whole: int) -> float | None:
    return round_1(100 * part / whole) if whole else None


def hours_between(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 3600


# --- the report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RagRow:
    group: str  # red, amber, green, not_screened, rating_unknown, or total
    label: str
    received: int
    decided: int
    decided_in_time: int
    decided_late: int
    open_past_deadline: int
    open_within_deadline: int
    timeliness_unknown: int
    in_time_percent: float | None
    median_hours_to_decision: float | None
    p90_hours_to_decision: float | None


@dataclass(frozen=True)
class AgencyRow:
    agency: str
    label: str
    sent: int
    answered: int
    answered_in_time: int
    answered_late: int
    in_time_percent: float | None
    median_response_hours: float | None
    unanswered: int
    unanswered_past_due: int


@dataclass(frozen=True)
class NoticeRow:
    kind: str
    label: str
    total: int
    delivered: int
    failed: int
    pending: int


@dataclass(frozen=True)
class TimelinessReport:
    date_from: dt.date
    date_to: dt.date
    generated_at: dt.datetime
    by_rag: tuple[RagRow, ...]  # red, amber, green, not screened (+ rating unknown when there are any)
    total: RagRow
    by_agency: tuple[AgencyRow, ...]  # every agency, in the directory's order
    notices: tuple[NoticeRow, ...]  # outcome, referrer feedback, parents told
    timezone: str = "Europe/London"

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "timezone": self.timezone,
            "generated_at": self.generated_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "referrals": {"by_rag": [asdict(row) for row in self.by_rag], "total": asdict(self.total)},
            "agencies": [asdict(row) for row in self.by_agency],
            "notices": [asdict(row) for row in self.notices],
        }


def build_report(rows: Iterable[ReferralTimes], report_range: ReportRange, now: dt.datetime) -> TimelinessReport:
    """The report over referrals received in the range (rows outside it are left out here too)."""
    start, end = report_range.bounds()
    chosen = [row for row in rows if start <= row.received_at < end]
    groups = [*RAG_GROUPS]
    if any(row.group == RATING_UNKNOWN for row in chosen):
        groups.append((RATING_UNKNOWN, RATING_UNKNOWN_LABEL))
    by_rag = tuple(_rag_row(key, label, [r for r in chosen if r.group == key], now) for key, label in groups)
    return TimelinessReport(
        date_from=report_range.date_from,
        date_to=report_range.date_to,
        generated_at=now,
        by_rag=by_rag,
        total=_rag_row(TOTAL, "All referrals", chosen, now),
        by_agency=_agency_rows(chosen, now),
        notices=_notice_rows(chosen),
    )


def _rag_row(key: str, label: str, rows: list[ReferralTimes], now: dt.datetime) -> RagRow:
    in_time = late = past = within = unknown = 0
    hours: list[float] = []
    for row in rows:
        deadline, decided_at = row.deadline, row.decision_time
        if decided_at is not None:
            hours.append(hours_between(row.received_at, decided_at))
        if row.decided:
            if decided_at is None or deadline is None:
                unknown += 1
            elif decided_at <= deadline:
                in_time += 1
            else:
                late += 1
        elif deadline is None:
            unknown += 1
        elif deadline < now:
            past += 1
        else:
            within += 1
    return RagRow(
        group=key,
        label=label,
        received=len(rows),
        decided=sum(1 for row in rows if row.decided),
        decided_in_time=in_time,
        decided_late=late,
        open_past_deadline=past,
        open_within_deadline=within,
        timeliness_unknown=unknown,
        in_time_percent=percent(in_time, in_time + late + past),
        median_hours_to_decision=median(hours),
        p90_hours_to_decision=percentile(hours, 0.9),
    )


def _agency_rows(rows: list[ReferralTimes], now: dt.datetime) -> tuple[AgencyRow, ...]:
    enquiries = [enquiry for row in rows for enquiry in row.enquiries]
    known = [agency.value for agency in AgencyId]
    others = sorted({e.agency for e in enquiries} - set(known))
    return tuple(_agency_row(agency, [e for e in enquiries if e.agency == agency], now) for agency in (*known, *others))


def _agency_row(agency: str, enquiries: list[EnquiryTimes], now: dt.datetime) -> AgencyRow:
    # (opened, answered, due) of each answered enquiry: answered is known to be set from here on.
    answered = [(e.opened_at, e.answered_at, e.due_at) for e in enquiries if e.answered_at is not None]
    in_time = sum(1 for _, answered_at, due_at in answered if due_at is not None and answered_at <= due_at)
    late = sum(1 for _, answered_at, due_at in answered if due_at is not None and answered_at > due_at)
    unanswered = [e for e in enquiries if e.answered_at is None]
    past_due = sum(1 for e in unanswered if e.due_at is not None and e.due_at < now)
    return AgencyRow(
        agency=agency,
        label=_agency_label(agency),
        sent=len(enquiries),
        answered=len(answered),
        answered_in_time=in_time,
        answered_late=late,
        in_time_percent=percent(in_time, in_time + late + past_due),
        median_response_hours=median([hours_between(opened_at, answered_at) for opened_at, answered_at, _ in answered]),
        unanswered=len(unanswered),
        unanswered_past_due=past_due,
    )


def _agency_label(agency: str) -> str:
    try:
        return AGENCY_NAMES[AgencyId(agency)]
    except ValueError:
        return agency


def _notice_rows(rows: list[ReferralTimes]) -> tuple[NoticeRow, ...]:
    failures = {status.value for status in FINAL_FAILURES}
    found = []
    for kind, label in NOTICE_KINDS:
        notices = [n for row in rows for n in row.notices if n.kind == kind.value]
        delivered = sum(1 for n in notices if n.status == NoticeStatus.DELIVERED.value)
        failed = sum(1 for n in notices if n.status in failures)
        found.append(NoticeRow(kind.value, label, len(notices), delivered, failed, len(notices) - delivered - failed))
    return tuple(found)


# --- CSV -------------------------------------------------------------------------------------------

CSV_COLUMNS = ("section", "key", "label", "measure", "value")


def to_csv(report: TimelinessReport) -> str:
    """The report as one long CSV (section, key, label, measure, value): one figure a line, so it
    opens in a spreadsheet, pivots, and reads back with the csv module. An empty figure (no value:
    a median of nothing) is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for measure, value in (
        ("from", report.date_from.isoformat()),
        ("to", report.date_to.isoformat()),
        ("timezone", report.timezone),
        ("generated_at", report.generated_at.astimezone(dt.UTC).isoformat(timespec="seconds")),
    ):
        writer.writerow(("report", "", "", measure, value))
    for section, rows in (
        ("referrals", (*report.by_rag, report.total)),
        ("agencies", report.by_agency),
        ("notices", report.notices),
    ):
        for row in rows:
            key, label, *measures = (getattr(row, f.name) for f in fields(row))
            for f, value in zip(fields(row)[2:], measures, strict=True):
                writer.writerow((section, key, _cell(label), f.name, "" if value is None else value))
    return out.getvalue()


def _cell(text: str) -> str:
    # A spreadsheet runs a cell that starts like a formula: never let one through.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
