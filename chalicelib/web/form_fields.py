"""Reading posted form fields into the domain's JSON shape, and errors into input ids.

A page posts flat names (`first_name`, `address-line1`, `date_of_birth-day`); the domain speaks
dotted paths (`address.line1`, `date_of_birth`). This module is the only place that maps one to
the other, so each message lands beside the input it is about.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from chalicelib.domain.validation import InvalidReferral, validate
from chalicelib.web.clock import hub_today

DATE_PARTS = ("day", "month", "year")
# Fields asked with a GOV.UK date input: their errors link to the day box.
DATE_FIELDS = {"date_of_birth", "expected_date", "given_on"}

Form = dict[str, list[str]]


@dataclass
class PageErrors:
    """One message per field key, in page order, with the id of the input to link to."""

    messages: dict[str, str] = field(default_factory=dict)
    anchors: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, message: str, anchor: str | None = None) -> None:
        if key not in self.messages:  # the first (page-specific) message for a field wins
            self.messages[key] = message
            self.anchors[key] = anchor or input_id(key)

    def sort(self, order: tuple[str, ...]) -> None:
        """Put messages in the order the fields appear on the page (the summary must follow it)."""
        rank = {key: position for position, key in enumerate(order)}
        self.messages = dict(sorted(self.messages.items(), key=lambda item: rank.get(item[0], len(rank))))

    def discard(self, key: str) -> None:
        self.messages.pop(key, None)
        self.anchors.pop(key, None)

    def __bool__(self) -> bool:
        return bool(self.messages)

    def summary(self) -> list[dict[str, str]]:
        return [{"text": text, "href": f"#{self.anchors[key]}"} for key, text in self.messages.items()]


def input_id(key: str) -> str:
    """The id of the input a domain field path is about (dots become hyphens)."""
    if key.endswith("address"):
        return key.replace(".", "-") + "-line1"
    if key in DATE_FIELDS:
        return f"{key}-day"
    return key.replace(".", "-")


def text(form: Form, name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip()


def choices(form: Form, name: str) -> list[str]:
    return [value for value in form.get(name, []) if value]


def yes_no(form: Form, name: str) -> bool | None:
    return {"yes": True, "no": False}.get(text(form, name))


def put(data: dict[str, Any], key: str, value: Any) -> None:
    """Set only answers that were given, so the domain's own 'missing' messages apply."""
    if value not in (None, "", []):
        data[key] = value


def read_date(form: Form, prefix: str, label: str, errors: PageErrors) -> str | None:
    """A GOV.UK date input as an ISO date; partial or impossible dates are this page's errors."""
    parts = {part: text(form, f"{prefix}-{part}") for part in DATE_PARTS}
    if not any(parts.values()):
        return None
    missing = [part for part in DATE_PARTS if not parts[part]]
    if missing:
        errors.add(prefix, f"{label} must include a {' and a '.join(missing)}", f"{prefix}-{missing[0]}")
        return None
    try:
        if len(parts["year"]) != 4:
            raise ValueError("year")
        return dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"])).isoformat()
    except ValueError:
        errors.add(prefix, f"{label} must be a real date, like 14 3 2017", f"{prefix}-day")
        return None


def date_values(iso: str | None, prefix: str) -> dict[str, str]:
    """An ISO date back into the three inputs' values."""
    if not iso:
        return {}
    date = dt.date.fromisoformat(iso)
    return {f"{prefix}-day": str(date.day), f"{prefix}-month": str(date.month), f"{prefix}-year": str(date.year)}


def read_address(form: Form, prefix: str = "address") -> dict[str, str]:
    address: dict[str, str] = {}
    for part in ("line1", "line2", "town", "postcode"):
        put(address, part, text(form, f"{prefix}-{part}"))
    return address


def address_values(address: dict[str, Any] | None, prefix: str = "address") -> dict[str, str]:
    return {f"{prefix}-{part}": value for part, value in (address or {}).items() if value}


def check(
    model: type[BaseModel],
    data: dict[str, Any],
    errors: PageErrors,
    blank_messages: dict[str, str] | None = None,
) -> BaseModel | None:
    """Validate a page's answers with its sub-model; collect errors; the model when all is well.

    `blank_messages` replace the domain's generic "Enter ..." for fields left blank on this
    page, where the page can say it better ("Enter the child's first name").
    """
    blank_messages = blank_messages or {}
    try:
        result = validate(model, data, today=hub_today())
    except InvalidReferral as invalid:
        for problem in invalid.errors:
            blank = problem.field in blank_messages and _is_blank(data, problem.field)
            errors.add(problem.field, blank_messages[problem.field] if blank else problem.message)
        _check_the_rest(model, data, errors, {problem.field.split(".")[0] for problem in invalid.errors})
        return None
    return None if errors else result


# Valid stand-ins for fields a page may get wrong, so the rules across fields (a date of birth in the
# past, a due date within 10 months) can be checked too: synthetic, and never stored or shown.
STAND_INS: dict[str, Any] = {
    "first_name": "Stand-in",
    "last_name": "Stand-in",
    "name": "Stand-in",
    "relationship": "Stand-in",
    "address": {"line1": "1 Stand-in Road", "town": "Stand-in", "postcode": "E17 1AA"},
    "email": "stand-in@stand-in.example",
    "phone": "020 7946 0000",
    "gender": None,
    "school_or_setting": None,
    "first_language": None,
    "disability": None,
    "views": None,
}


def _check_the_rest(model: type[BaseModel], data: dict[str, Any], errors: PageErrors, failed: set[str]) -> None:
    """A model's checks across fields run only once every field is valid, so a page would show the
    date-of-birth error only after the address was fixed. Check again with stand-ins for the fields
    already in error, and add what else is wrong: every error on the page at once."""
    if not failed or not failed <= STAND_INS.keys():
        return
    probe = {**data, **{name: STAND_INS[name] for name in failed}}
    probe = {name: value for name, value in probe.items() if value is not None}
    try:
        validate(model, probe, today=hub_today())
    except InvalidReferral as invalid:
        for problem in invalid.errors:
            if problem.field.split(".")[0] not in failed:
                errors.add(problem.field, problem.message)


def _is_blank(data: dict[str, Any], dotted: str) -> bool:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return True
        value = value[part]
    return value in (None, "", [])
