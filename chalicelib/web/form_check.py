"""The check-your-answers page: the stored answers as GOV.UK summary lists, with Change links."""

from __future__ import annotations

import datetime as dt
from typing import Any

from markupsafe import Markup, escape

from chalicelib.domain.referral import (
    AGENCY_LABELS,
    CONCERN_LABELS,
    LEVELS_OF_NEED,
    NOT_SURE,
    Agency,
    ConcernCategory,
    Gender,
    ReferrerKind,
    Route,
)
from chalicelib.domain.validation import FieldError

GENDER_LABELS = {Gender.FEMALE: "Female", Gender.MALE: "Male", Gender.OTHER: "Other", Gender.NOT_KNOWN: "Not known"}
KIND_LABELS = {ReferrerKind.PROFESSIONAL: "A professional", ReferrerKind.PUBLIC: "A member of the public"}
ROUTE_LABELS = {Route.SUPPORT: "Request for help and support", Route.PROTECTION: "Child protection referral"}
CONSENT_LABELS = {"given": "Consent given", "refused": "Consent refused", "not_sought": "Consent not asked for"}

Row = dict[str, Any]


def check_sections(answers: dict[str, Any]) -> list[dict[str, Any]]:
    """Each card on the page: a title, its rows, and card-level actions (remove a child)."""
    sections: list[dict[str, Any]] = [
        {"title": "Your referral", "rows": _referral_rows(answers)},
        {"title": "About you", "rows": _referrer_rows(answers.get("referrer") or {})},
    ]
    children = answers.get("children") or []
    for number, child in enumerate(children, start=1):
        sections.append(
            {
                "title": f"Child {number}",
                "rows": _child_rows(child, number),
                "remove": f"/referral/child/{number}/remove" if len(children) > 1 else None,
            }
        )
    sections.append(
        {
            "title": "Children",
            "rows": [_row("Children added", str(len(children)), "/referral/children", "Add or remove", "children")],
        }
    )
    for number, parent in enumerate(answers.get("parents_carers") or [], start=1):
        sections.append(
            {
                "title": f"Parent or carer {number}",
                "rows": _parent_rows(parent, number),
                "remove": f"/referral/parent/{number}/remove",
            }
        )
    sections.append(
        {
            "title": "Parents and carers",
            "rows": [
                _row(
                    "Parents or carers added",
                    str(len(answers.get("parents_carers") or [])),
                    "/referral/parents",
                    "Add or remove",
                    "parents or carers",
                )
            ],
        }
    )
    for key, title, rows_of in (
        ("household_members", "Household member", _household_rows),
        ("people_posing_risk", "Person who may pose a risk", _risk_rows),
    ):
        kind, summary, plural = LIST_PATHS[key]
        for number, person in enumerate(answers.get(key) or [], start=1):
            sections.append(
                {
                    "title": f"{title} {number}",
                    "rows": rows_of(person, number),
                    "remove": f"/referral/{kind}/{number}/remove",
                }
            )
        count = str(len(answers.get(key) or []))
        sections.append(
            {
                "title": plural.capitalize(),
                "rows": [_row(f"{plural.capitalize()} added", count, summary, "Add or remove", plural)],
            }
        )
    sections.append({"title": "Your concerns", "rows": _concern_rows(answers.get("concerns") or {})})
    if answers.get("route") == Route.PROTECTION.value:
        sections.append({"title": "Telling the parents", "rows": _informed_rows(answers.get("parents_informed") or {})})
    else:
        sections.append({"title": "Consent", "rows": _consent_rows(answers.get("consent") or {})})
    return sections


def _row(key: str, value: Any, href: str, action: str = "Change", hidden: str | None = None) -> Row:
    value_part = (
        {"html": value} if isinstance(value, Markup) else {"text": value if value not in (None, "") else "Not given"}
    )
    return {
        "key": {"text": key},
        "value": value_part,
        "actions": {"items": [{"href": href, "text": action, "visuallyHiddenText": hidden or key.lower()}]},
    }


def _lines(*parts: Any) -> Markup:
    return Markup("<br>").join(escape(part) for part in parts if part)


def _date(iso: str | None) -> str:
    return dt.date.fromisoformat(iso).strftime("%-d %B %Y") if iso else ""


_YES_NO: dict[bool | None, str] = {True: "Yes", False: "No"}


def _yes_no(value: bool | None) -> str:
    return _YES_NO.get(value, "Not known")


def _address(address: dict[str, Any] | None) -> Markup:
    address = address or {}
    return _lines(address.get("line1"), address.get("line2"), address.get("town"), address.get("postcode"))


def _referral_rows(answers: dict[str, Any]) -> list[Row]:
    route = answers.get("route")
    return [
        _row(
            "Child at immediate risk of harm",
            _yes_no(answers.get("immediate_risk")),
            "/referral/immediate-risk",
            hidden="whether a child is at immediate risk of harm",
        ),
        _row(
            "Kind of referral",
            ROUTE_LABELS[Route(route)] if route else "",
            "/referral/route",
            hidden="the kind of referral",
        ),
    ]


def _referrer_rows(referrer: dict[str, Any]) -> list[Row]:
    href = "/referral/about-you"
    kind = referrer.get("kind")
    rows = [
        _row("You are", KIND_LABELS[ReferrerKind(kind)] if kind else "", href, hidden="whether you are a professional")
    ]
    rows.append(_row("Your name", referrer.get("name"), href))
    if kind == ReferrerKind.PROFESSIONAL.value:
        agency = referrer.get("agency")
        rows += [
            _row("Your role", referrer.get("role"), href),
            _row("Organisation", referrer.get("organisation"), href),
            _row("Agency", AGENCY_LABELS[Agency(agency)] if agency else "", href),
        ]
    rows += [_row("Email address", referrer.get("email"), href), _row("Phone number", referrer.get("phone"), href)]
    may_know = "Yes" if referrer.get("family_may_know") else "No"
    rows.append(
        _row("The family may know you referred", may_know, href, hidden="whether the family may know you referred")
    )
    return rows


def _child_rows(child: dict[str, Any], number: int) -> list[Row]:
    href = f"/referral/child/{number}"
    gender = child.get("gender")
    if child.get("unborn"):
        born = _row("Due date", _date(child.get("expected_date")), href, hidden=f"child {number}'s due date")
    else:
        born = _row("Date of birth", _date(child.get("date_of_birth")), href, hidden=f"child {number}'s date of birth")
    return [
        _row(
            "Name", f"{child.get('first_name', '')} {child.get('last_name', '')}", href, hidden=f"child {number}'s name"
        ),
        born,
        _row("Gender", GENDER_LABELS[Gender(gender)] if gender else "", href, hidden=f"child {number}'s gender"),
        _row("Address", _address(child.get("address")), href, hidden=f"child {number}'s address"),
        _row("School or setting", child.get("school_or_setting"), href, hidden=f"child {number}'s school or setting"),
        _row("First language", child.get("first_language"), href, hidden=f"child {number}'s first language"),
        _row(
            "Interpreter needed",
            _yes_no(child.get("interpreter_needed")),
            href,
            hidden=f"whether child {number} needs an interpreter",
        ),
        _row("Disability", child.get("disability"), href, hidden=f"child {number}'s disability"),
        _row("What they have said", child.get("views"), href, hidden=f"what child {number} has said"),
    ]


def _parent_rows(parent: dict[str, Any], number: int) -> list[Row]:
    href = f"/referral/parent/{number}"
    hidden = f"parent or carer {number}'s"
    address = _lines("Same as the child's") if parent.get("address_same_as_child") else _address(parent.get("address"))
    return [
        _row("Name", parent.get("name"), href, hidden=f"{hidden} name"),
        _row("Relationship to the child", parent.get("relationship"), href, hidden=f"{hidden} relationship"),
        _row(
            "Parental responsibility",
            _yes_no(parent.get("parental_responsibility")),
            href,
            hidden=f"whether parent or carer {number} has parental responsibility",
        ),
        _row(
            "Safe to contact",
            _yes_no(parent.get("safe_to_contact")),
            href,
            hidden=f"whether it is safe to contact parent or carer {number}",
        ),
        _row("Phone number", parent.get("phone"), href, hidden=f"{hidden} phone number"),
        _row("Email address", parent.get("email"), href, hidden=f"{hidden} email address"),
        _row("Address", address, href, hidden=f"{hidden} address"),
        _row("First language", parent.get("first_language"), href, hidden=f"{hidden} first language"),
    ]


LIST_PATHS = {
    "children": ("child", "/referral/children", "children"),
    "parents_carers": ("parent", "/referral/parents", "parents or carers"),
    "household_members": ("household", "/referral/household", "other adults in the household"),
    "people_posing_risk": ("risk", "/referral/risks", "people who may pose a risk"),
}
NOUNS = {"child": "child", "parent": "parent or carer", "household": "household member", "risk": "person"}


def _age(person: dict[str, Any]) -> str:
    if person.get("date_of_birth"):
        return f"Born {_date(person.get('date_of_birth'))}"
    return f"About {person['approximate_age']}" if "approximate_age" in person else "Not known"


def _household_rows(member: dict[str, Any], number: int) -> list[Row]:
    href, hidden = f"/referral/household/{number}", f"household member {number}'s"
    return [
        _row("Name", member.get("name"), href, hidden=f"{hidden} name"),
        _row("Who they are to the child", member.get("relationship"), href, hidden=f"{hidden} relationship"),
        _row("Age", _age(member), href, hidden=f"{hidden} age"),
        _row("Parental responsibility", _yes_no(member.get("parental_responsibility")), href,
             hidden=f"whether household member {number} has parental responsibility"),
        _row("Safe to contact", _yes_no(member.get("safe_to_contact")), href,
             hidden=f"whether it is safe to contact household member {number}"),
        _row("Phone number", member.get("phone"), href, hidden=f"{hidden} phone number"),
        _row("Email address", member.get("email"), href, hidden=f"{hidden} email address"),
        _row("First language", member.get("first_language"), href, hidden=f"{hidden} first language"),
    ]  # fmt: skip


def _risk_rows(person: dict[str, Any], number: int) -> list[Row]:
    href, hidden = f"/referral/risk/{number}", f"person {number}'s"
    same = person.get("address_same_as_child")
    address = (
        _lines("Lives with the child") if same else _address(person.get("address")) if same is False else "Not known"
    )
    return [
        _row("Name", person.get("name") or "Not known", href, hidden=f"{hidden} name"),
        _row("Who they are", person.get("relationship"), href, hidden=f"who person {number} is"),
        _row("Age", _age(person), href, hidden=f"{hidden} age"),
        _row("Address", address, href, hidden=f"{hidden} address"),
        _row("What you know", person.get("what_is_known"), href, hidden=f"what you know about person {number}"),
    ]


def _level_words(level: Any) -> str:
    if level == NOT_SURE:
        return "Not sure: the MASH will decide"
    return f"Level {level}: {LEVELS_OF_NEED[int(level)][0]}" if level else ""


def _concern_rows(concerns: dict[str, Any]) -> list[Row]:
    href = "/referral/concerns"
    level = concerns.get("proposed_level")
    categories = _lines(*(CONCERN_LABELS[ConcernCategory(c)] for c in concerns.get("categories", [])))
    return [
        _row("Kinds of concern", categories, href, hidden="the kinds of concern"),
        _row("What is happening", concerns.get("description"), href, hidden="what is happening"),
        _row("The child's views and experience", concerns.get("childs_views"), href),
        _row("What has been tried", concerns.get("what_has_been_tried"), href),
        _row("Proposed level of need", _level_words(level), href),
    ]


def _consent_rows(consent: dict[str, Any]) -> list[Row]:
    href = "/referral/consent"
    rows = [
        _row(
            "Parents aware of the referral",
            _yes_no(consent.get("parents_aware")),
            href,
            hidden="whether the parents are aware of the referral",
        ),
        _row("Consent", CONSENT_LABELS.get(consent.get("status", ""), ""), href, hidden="consent"),
    ]
    status = consent.get("status")
    if status == "given":
        rows += [
            _row("Given by", consent.get("given_by"), href, hidden="who gave consent"),
            _row("Given on", _date(consent.get("given_on")), href, hidden="when consent was given"),
            _row("How", consent.get("how"), href, hidden="how consent was given"),
        ]
    elif status == "refused":
        rows.append(_row("Why it was refused", consent.get("reason_refused"), href, hidden="why consent was refused"))
    elif status == "not_sought":
        rows.append(
            _row(
                "Why it was not asked for",
                consent.get("reason_not_sought"),
                href,
                hidden="why consent was not asked for",
            )
        )
    rows.append(
        _row(
            "Discussed with the parents",
            _yes_no(consent.get("discussed_with_parents")),
            href,
            hidden="whether you have discussed your concerns with the parents",
        )
    )
    if consent.get("discussed_with_parents"):
        rows.append(_row("What they said", consent.get("parents_response"), href, hidden="what the parents said"))
    return rows


def _informed_rows(informed: dict[str, Any]) -> list[Row]:
    href = "/referral/consent"
    rows = [
        _row(
            "Parents told about the referral",
            _yes_no(informed.get("informed")),
            href,
            hidden="whether the parents have been told",
        )
    ]
    if informed.get("informed") is False:
        rows.append(
            _row("Why not", informed.get("reason_not_informed"), href, hidden="why the parents have not been told")
        )
    return rows


# Where to change each part of the referral, for errors found only when the whole is checked.
SECTION_PAGES = {
    "route": "/referral/route",
    "immediate_risk": "/referral/immediate-risk",
    "referrer": "/referral/about-you",
    "children": "/referral/child/{n}",
    "parents_carers": "/referral/parent/{n}",
    "household_members": "/referral/household/{n}",
    "people_posing_risk": "/referral/risk/{n}",
    "concerns": "/referral/concerns",
    "consent": "/referral/consent",
    "parents_informed": "/referral/consent",
}


def error_links(errors: list[FieldError]) -> list[dict[str, str]]:
    links = []
    for error in errors:
        parts = error.field.split(".")
        number = int(parts[1]) + 1 if len(parts) > 1 and parts[1].isdigit() else 1
        href = SECTION_PAGES.get(parts[0], "/referral/check").format(n=number)
        links.append({"text": error.message, "href": href})
    return links


def list_rows(key: str, items: list[dict[str, Any]]) -> list[Row]:
    """The children, parents or other people added so far, each with Change (and Remove, if it can go)."""
    kind = LIST_PATHS[key][0]
    noun = NOUNS[kind]
    rows = []
    for number, item in enumerate(items, start=1):
        if key == "children":
            name = f"{item.get('first_name', '')} {item.get('last_name', '')}"
            detail = (
                f"Due {_date(item.get('expected_date'))}"
                if item.get("unborn")
                else f"Born {_date(item.get('date_of_birth'))}"
            )
        else:
            name, detail = item.get("name") or "Name not known", item.get("relationship", "")
        actions = [{"href": f"/referral/{kind}/{number}", "text": "Change", "visuallyHiddenText": f"{noun} {number}"}]
        if key != "children" or len(items) > 1:  # a referral always keeps one child
            actions.append(
                {
                    "href": f"/referral/{kind}/{number}/remove",
                    "text": "Remove",
                    "visuallyHiddenText": f"{noun} {number}",
                }
            )
        rows.append({"key": {"text": name}, "value": {"text": detail}, "actions": {"items": actions}})
    return rows
