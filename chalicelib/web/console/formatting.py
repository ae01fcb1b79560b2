"""How the console writes things for people: moments and time left in London time, and labels.

`_now` is the wiring clock (which tests and the local run move), read when asked, not at import.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from chalicelib.domain.audit import AccessReason

LONDON = ZoneInfo("Europe/London")

REASON_LABELS: dict[AccessReason, str] = {
    AccessReason.NEW_CONCERN: "A new concern about the same child",
    AccessReason.SUBJECT_ACCESS: "A subject access request",
    AccessReason.COURT_OR_POLICE: "A request from a court or the police",
    AccessReason.COMPLAINT: "A complaint or a case review",
    AccessReason.QUALITY_AUDIT: "A quality audit",
}
STATUS_LABELS = {
    "received": "Received",
    "screened": "Screened",
    "decision_proposed": "Decision waiting for approval",
    "decided": "Decided",
    "closed": "Closed",
}
RAG_TAGS = {"red": "govuk-tag--red", "amber": "govuk-tag--orange", "green": "govuk-tag--green"}


def _now() -> dt.datetime:
    from chalicelib.wiring import wiring

    return wiring().clock()


def _as_datetime(value: str | dt.datetime | None) -> dt.datetime | None:
    if value is None or value == "":
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def when(value: str | dt.datetime | None, *, date_only: bool = False) -> str:
    """A moment as GOV.UK writes it, in London time: 26 November 2026 at 2:05pm."""
    moment = _as_datetime(value)
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    day = f"{local.day} {local:%B %Y}"
    if date_only:
        return day
    hour = local.hour % 12 or 12
    clock = f"{hour}{local:%p}".lower() if local.minute == 0 else f"{hour}:{local:%M%p}".lower()
    return f"{day} at {clock}"


def _plural(number: int, unit: str) -> str:
    return f"{number} {unit}{'' if number == 1 else 's'}"


def time_left(due: str | dt.datetime | None, now: dt.datetime) -> str:
    """'2 hours 10 minutes left', 'overdue by 1 day': the two largest units, by the wiring clock."""
    moment = _as_datetime(due)
    if moment is None:
        return ""
    delta = moment - now
    overdue = delta < dt.timedelta(0)
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        span = _plural(days, "day") + (f" {_plural(hours, 'hour')}" if hours else "")
    elif hours:
        span = _plural(hours, "hour") + (f" {_plural(minutes, 'minute')}" if minutes else "")
    elif minutes:
        span = _plural(minutes, "minute")
    else:
        span = "less than a minute"
    return f"overdue by {span}" if overdue else f"{span} left"


def is_overdue(due: str | dt.datetime | None) -> bool:
    moment = _as_datetime(due)
    return moment is not None and moment < _now()
