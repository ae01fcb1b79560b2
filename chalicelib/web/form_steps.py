"""The public form's question pages as data: the `Step` each page is, and where it goes next.

Immediate risk, route, about you, concerns and consent are fixed steps; a child, parent or carer,
household member or person who may pose a risk is a step made for its number in the list.
The request cycle that shows and reads them is in form_cycle.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.referral import (
    AGENCY_LABELS,
    CONCERN_LABELS,
    LEVELS_OF_NEED,
    NOT_SURE,
    ReferrerKind,
)
from chalicelib.web import form_pages as pages
from chalicelib.web.form_fields import Form, PageErrors

CHECK = "/referral/check"
HOUSEHOLD = "/referral/household"
RISKS = "/referral/risks"
FIRST_PAGE = "/referral/immediate-risk"
SAVE_PAGE = "/referral/save"
RESUME_PAGE = "/referral/resume"
# The secondary button's name and value on every question page.
ACTION_FIELD = "action"
SAVE_ACTION = "save"
# Form bookkeeping in the answers (dropped before submitting): what was typed on a page that was
# saved unfinished, by page path; and the page "Save and come back later" was pressed on.
PARTIAL = "_partial"
RESUME_AT = "_resume_at"
# A page posted with problems: its errors and what was typed, by page path, for the GET it redirects to.
SHOWN_ERRORS = "_shown_errors"

Answers = dict[str, Any]


@dataclass(frozen=True)
class Step:
    """One question page: its template, how to read and store it, and where to go next."""

    template: str
    read: Callable[[Form, PageErrors], Any]
    store: Callable[[Answers, Any], None]
    values: Callable[[Answers], dict[str, Any]]
    next: Callable[[Answers, Any], str]
    back: Callable[[Answers], str]
    context: dict[str, Any] = field(default_factory=dict)


def _after(answers: Answers, natural: str) -> str:
    """Once the referrer has seen check answers, a change takes them back there (via any gap)."""
    if answers.get("_checking"):
        return pages.first_incomplete(answers) or CHECK
    return natural


def _back(answers: Answers, natural: str) -> str:
    return CHECK if answers.get("_checking") else natural


# --- the pages -------------------------------------------------------------------------------


def _set(key: str) -> Callable[[Answers, Any], None]:
    def store(answers: Answers, value: Any) -> None:
        answers[key] = value

    return store


IMMEDIATE_RISK = Step(
    template="immediate_risk.html",
    read=pages.read_immediate_risk,
    store=_set("immediate_risk"),
    values=lambda a: {"immediate_risk": pages.yes_no_value(a.get("immediate_risk"))},
    next=lambda a, risk: "/referral/call-now" if risk else _after(a, "/referral/route"),
    back=lambda a: _back(a, "/"),
)

ROUTE = Step(
    template="route.html",
    read=pages.read_route,
    store=_set("route"),
    values=lambda a: {"route": a.get("route")},
    next=lambda a, _: _after(a, "/referral/about-you"),
    back=lambda a: _back(a, "/referral/call-now" if a.get("immediate_risk") else FIRST_PAGE),
)

ABOUT_YOU = Step(
    template="about_you.html",
    read=pages.read_referrer,
    store=_set("referrer"),
    values=lambda a: pages.referrer_values(a.get("referrer")),
    next=lambda a, _: _after(a, "/referral/child/1"),
    back=lambda a: _back(a, "/referral/route"),
    context={"agencies": AGENCY_LABELS},
)


def concerns_step(answers: Answers) -> Step:
    """The concerns page; a member of the public may also answer "Not sure" for the level of need."""
    public = (answers.get("referrer") or {}).get("kind") == ReferrerKind.PUBLIC.value
    return Step(
        template="concerns.html",
        read=pages.read_concerns,
        store=_set("concerns"),
        values=lambda a: pages.concerns_values(a.get("concerns")),
        next=lambda a, _: _after(a, "/referral/consent"),
        back=lambda a: _back(a, RISKS),
        context={"concern_labels": CONCERN_LABELS, "levels": LEVELS_OF_NEED, "public": public, "not_sure": NOT_SURE},
    )


def _store_in_list(key: str, number: int) -> Callable[[Answers, Any], None]:
    def store(answers: Answers, value: Any) -> None:
        items = answers.setdefault(key, [])
        if number <= len(items):
            items[number - 1] = value
        else:
            items.append(value)

    return store


def _item(answers: Answers, key: str, number: int) -> dict[str, Any] | None:
    items = answers.get(key) or []
    return items[number - 1] if number <= len(items) else None


def child_step(number: int) -> Step:
    return Step(
        template="child.html",
        read=pages.read_child,
        store=_store_in_list("children", number),
        values=lambda a: pages.child_values(_item(a, "children", number)),
        next=lambda a, _: _after(a, "/referral/children"),
        back=lambda a: _back(a, "/referral/about-you" if number == 1 else "/referral/children"),
        context={"number": number, "due_example": _due_example()},
    )


def _due_example() -> str:
    return (dt.date.today() + dt.timedelta(days=120)).strftime("%-d %-m %Y")


def parent_step(number: int) -> Step:
    return Step(
        template="parent.html",
        read=pages.read_parent,
        store=_store_in_list("parents_carers", number),
        values=lambda a: pages.parent_values(_item(a, "parents_carers", number)),
        next=lambda a, _: _after(a, "/referral/parents"),
        back=lambda a: _back(a, "/referral/parents"),
        context={"number": number},
    )


def household_step(number: int) -> Step:
    return Step(
        template="household_member.html",
        read=pages.read_household_member,
        store=_store_in_list("household_members", number),
        values=lambda a: pages.household_member_values(_item(a, "household_members", number)),
        next=lambda a, _: _after(a, HOUSEHOLD),
        back=lambda a: _back(a, HOUSEHOLD),
        context={"number": number},
    )


def risk_step(number: int) -> Step:
    return Step(
        template="risk_person.html",
        read=pages.read_person_posing_risk,
        store=_store_in_list("people_posing_risk", number),
        values=lambda a: pages.person_posing_risk_values(_item(a, "people_posing_risk", number)),
        next=lambda a, _: _after(a, RISKS),
        back=lambda a: _back(a, RISKS),
        context={"number": number},
    )


def _consent_step(answers: Answers) -> Step:
    if answers.get("route") == "protection":
        return Step(
            template="parents_informed.html",
            read=pages.read_parents_informed,
            store=_set("parents_informed"),
            values=lambda a: pages.parents_informed_values(a.get("parents_informed")),
            next=lambda a, _: CHECK,
            back=lambda a: _back(a, "/referral/concerns"),
        )
    return Step(
        template="consent.html",
        read=pages.read_consent,
        store=_set("consent"),
        values=lambda a: pages.consent_values(a.get("consent")),
        next=lambda a, _: CHECK,
        back=lambda a: _back(a, "/referral/concerns"),
    )
