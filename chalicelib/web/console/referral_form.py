"""The staff referral form: one page with every section a referral needs, read by the public form's
own readers (`form_pages`), so both refuse the same things with the same words.

Each section's inputs carry a prefix (`referrer-name`, `child-2-address-line1`) since one page asks
about several people; a section is read with its prefix taken off and its errors put back under it,
so every message lands beside its input and the summary lists them all at once, in page order.

The people come in lists (children, parents and carers, household members, people who may pose a
risk), the GOV.UK way without JavaScript: each list shows its entries plus one blank set; "Add
another …" and "Remove" post the page back (`arranged`) with everything typed kept, entries numbered
again from 1 with blank ones dropped; "Make the referral" reads it. Children 2 and on may live at
child 1's address (`SAME_ADDRESS`, "yes"): child 1's address is theirs, with nothing typed twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.referral import PROFESSIONAL_FIELD_MESSAGES, ReferralSubmission, Route
from chalicelib.domain.validation import MISSING_MESSAGES, InvalidReferral, validate
from chalicelib.web import form_pages as pages
from chalicelib.web.clock import hub_today
from chalicelib.web.form_fields import Form, PageErrors, choices, input_id, text, yes_no

Reader = Callable[[Form, PageErrors], dict[str, Any] | None]
# The public form speaks to the referrer ("Enter your full name"); here staff fill it in for them.
IN_STAFF_WORDS = {
    pages.REFERRER_BLANKS["name"]: "Enter the referrer's full name",
    pages.REFERRER_BLANKS["email"]: "Enter the referrer's email address",
    pages.REFERRER_BLANKS["phone"]: "Enter a phone number the referrer can be called back on",
    PROFESSIONAL_FIELD_MESSAGES["role"]: "Enter the referrer's role, like designated safeguarding lead",
    PROFESSIONAL_FIELD_MESSAGES["organisation"]: "Enter the name of the referrer's organisation",
    PROFESSIONAL_FIELD_MESSAGES["agency"]: "Select the kind of agency the referrer works for",
    MISSING_MESSAGES["kind"]: "Select whether the referrer is a professional or a member of the public",
}
LIST_FIELDS = {"concerns-categories"}
# Children 2 and on: do they live at child 1's address? Not a field of the referral, only of this page.
SAME_ADDRESS = "same_address_as_child_1"
ADDRESS_PARTS = ("line1", "line2", "town", "postcode")
LATER_CHILD_ORDER = tuple(
    field for name in pages.CHILD_ORDER for field in ((SAME_ADDRESS, name) if name == "address" else (name,))
)


@dataclass(frozen=True)
class PeopleList:
    """One list of people on the page: its entries' inputs are `{kind}-{number}-{field}`."""

    kind: str
    key: str  # the submission's list
    read: Reader
    limit: int
    noun: str  # "Add another child", "Remove child 2"
    heading: str
    required: bool = False  # a referral names one child at least: the first set is read even blank


PEOPLE = (
    PeopleList("child", "children", pages.read_child, pages.MAX_CHILDREN, "child", "The children", required=True),
    PeopleList("parent", "parents_carers", pages.read_parent, pages.MAX_PARENTS, "parent or carer",
               "Parents and carers"),
    PeopleList("household", "household_members", pages.read_household_member, pages.MAX_HOUSEHOLD,
               "household member", "Other adults in the household"),
    PeopleList("risk", "people_posing_risk", pages.read_person_posing_risk, pages.MAX_RISKS,
               "person who may pose a risk", "People who may pose a risk to the child"),
)  # fmt: skip
PEOPLE_BY_KEY = {people.key: people for people in PEOPLE}
KINDS = {people.kind for people in PEOPLE}
ENTRY_NAME = re.compile(r"(?P<kind>[a-z]+)-(?P<number>[1-9][0-9]?)-(?P<field>.+)")
# A whole-referral rule's field path (the submission's) -> the prefixed key of the input it is about.
SECTION_PREFIXES = {"referrer": "referrer-", "concerns": "concerns-"}


def read_referral(form: Form, errors: PageErrors) -> ReferralSubmission | None:
    """The referral the page describes (its people as `arranged`), or None with every problem on the
    page in `errors`."""
    immediate_risk = pages.read_immediate_risk(form, errors)
    route = pages.read_route(form, errors)
    data: dict[str, Any] = {
        "immediate_risk": immediate_risk,
        "route": route,
        "referrer": _section(form, "referrer-", pages.read_referrer, errors),
    }
    counts = entry_counts(name for name in form if _filled(form, name))
    for people in PEOPLE:
        numbers = range(1, max(counts[people.kind], 1 if people.required else 0) + 1)
        data[people.key] = [_section(form, f"{people.kind}-{n}-", _reader(people, n, form), errors) for n in numbers]
    data["concerns"] = _section(form, "concerns-", pages.read_concerns, errors)
    if route == Route.SUPPORT.value:
        data["consent"] = _section(form, "consent-", pages.read_consent, errors)
    elif route == Route.PROTECTION.value:
        data["parents_informed"] = _section(form, "informed-", pages.read_parents_informed, errors)
    if errors:
        return None
    try:  # the rules across sections (a professional chooses a level; the route's own section)
        submission: ReferralSubmission = validate(ReferralSubmission, data, today=hub_today())
    except InvalidReferral as invalid:
        for problem in invalid.errors:
            key, anchor = _page_key(problem.field)
            errors.add(key, problem.message, anchor)
        return None
    return submission


def _reader(people: PeopleList, number: int, form: Form) -> Reader:
    """How one entry is read: the list's reader, but for children 2 and on, who may live at child 1's."""
    if people.kind != "child" or number == 1:
        return people.read
    first_address = {f"address-{part}": form.get(f"child-1-address-{part}", []) for part in ADDRESS_PARTS}
    return lambda entry, errors: read_later_child(entry, errors, number, first_address)


def read_later_child(form: Form, errors: PageErrors, number: int, first_address: Form) -> dict[str, Any] | None:
    """Child 2 or later, by the public form's reader: at child 1's address when that is the answer
    (what was typed for their own is not kept); else the address typed for them, which also stands
    for "no" when the question was left (a page posted without the reveal's script, or an older one)."""
    same = yes_no(form, SAME_ADDRESS)
    typed = any(_filled(form, f"address-{part}") for part in ADDRESS_PARTS)
    if same:
        form = {**form, **first_address}
    own = PageErrors()
    child = pages.read_child(form, own)
    if same or (same is None and not typed):  # child 1's address errors are said against child 1's inputs
        for key in [key for key in own.messages if key.startswith("address")]:
            own.discard(key)
    if same is None and not typed:
        own.add(SAME_ADDRESS, f"Select yes if child {number} lives at the same address as child 1")
        child = None
    own.sort(LATER_CHILD_ORDER)
    for key, message in own.messages.items():
        errors.add(key, message, own.anchors[key])
    return child


def _section(form: Form, prefix: str, read: Reader, errors: PageErrors) -> dict[str, Any] | None:
    """One section read by the public form's reader, its errors under this page's prefixed keys."""
    own = PageErrors()
    found = read({name[len(prefix) :]: values for name, values in form.items() if name.startswith(prefix)}, own)
    for key, message in own.messages.items():
        errors.add(prefix + key, IN_STAFF_WORDS.get(message, message), prefix + own.anchors[key])
    return found


def _filled(form: Form, name: str) -> bool:
    return any(value.strip() for value in form.get(name, []))


def _page_key(field: str) -> tuple[str, str]:
    """A submission's field path as the page's key and the id of its input: `children.1.date_of_birth`
    is `child-2-date_of_birth`, linked to `child-2-date_of_birth-day`."""
    section, _, rest = field.partition(".")
    if section in PEOPLE_BY_KEY:
        index, _, rest = rest.partition(".")
        if not index.isdigit():  # the list as a whole (more than it holds): its heading
            return f"{PEOPLE_BY_KEY[section].kind}-list", f"{PEOPLE_BY_KEY[section].kind}-list"
        prefix = f"{PEOPLE_BY_KEY[section].kind}-{int(index) + 1}-"
    elif section in SECTION_PREFIXES and rest:
        prefix = SECTION_PREFIXES[section]
    else:
        return field, input_id(field)
    return prefix + rest, prefix + input_id(rest) if rest else prefix.rstrip("-")


def entry_counts(names: Iterable[str]) -> dict[str, int]:
    """How many entries each list has, from the inputs' names (entries numbered from 1, no gaps)."""
    counts = dict.fromkeys(KINDS, 0)
    for name in names:
        if (entry := ENTRY_NAME.fullmatch(name)) and entry["kind"] in KINDS:
            counts[entry["kind"]] = max(counts[entry["kind"]], int(entry["number"]))
    return counts


def arranged(form: Form) -> tuple[Form, bool]:
    """The posted page with its people put in order: the entry a "Remove" names taken out, blank
    entries dropped and the rest numbered again from 1 (so the page shows each list's entries and
    one blank set). True when the practitioner asked to make the referral; False for "Add another …"
    and "Remove", which only show the page again."""
    action = text(form, "action")
    removed = action.removeprefix("remove-") if action.startswith("remove-") else None
    entries: dict[str, dict[int, Form]] = {kind: {} for kind in KINDS}
    rest: Form = {}
    for name, values in form.items():
        entry = ENTRY_NAME.fullmatch(name)
        if entry is None or entry["kind"] not in KINDS:
            rest[name] = values
        elif f"{entry['kind']}-{entry['number']}" != removed:
            entries[entry["kind"]].setdefault(int(entry["number"]), {})[entry["field"]] = values
    first_address = {f"address-{part}": form.get(f"child-1-address-{part}", []) for part in ADDRESS_PARTS}
    for kind, numbered in entries.items():
        kept = [fields for _, fields in sorted(numbered.items()) if any(_filled(fields, n) for n in fields)]
        if kind == "child" and kept and kept[0] is not numbered.get(1) and yes_no(kept[0], SAME_ADDRESS):
            # Child 1 gone, the new child 1 lived at their address: it stays theirs, now typed in.
            kept[0] = {**{field: v for field, v in kept[0].items() if field != SAME_ADDRESS}, **first_address}
        for number, fields in enumerate(kept, start=1):
            rest.update({f"{kind}-{number}-{field}": values for field, values in fields.items()})
    return rest, not (action.startswith("add-") or removed is not None)


def people_sections(values: dict[str, Any]) -> list[dict[str, Any]]:
    """Each list as the page shows it: its entries so far and whether a blank set (and "Add another")
    follows, from the page's values (typed or prefilled)."""
    counts = entry_counts(name for name, value in values.items() if value)
    return [
        {"kind": people.kind, "noun": people.noun, "heading": people.heading, "required": people.required,
         "count": counts[people.kind], "more": counts[people.kind] < people.limit}
        for people in PEOPLE
    ]  # fmt: skip


def typed_values(form: Form) -> dict[str, Any]:
    """What was typed, for showing the page again: nothing lost."""
    return {
        name: choices(form, name) if name in LIST_FIELDS else text(form, name)
        for name in form
        if name not in {"csrf_token", "action"}
    }


def prefill_values(prefill: dict[str, Any]) -> dict[str, Any]:
    """`referral_prefill`'s partial referral (the caller as referrer; the children the call named;
    what was said as the concerns) as the page's input values."""
    values = {f"referrer-{name}": value for name, value in (prefill.get("referrer") or {}).items()}
    for number, child in enumerate(prefill.get("children") or [], start=1):
        values.update({f"child-{number}-{name}": value for name, value in child.items()})
    values.update({f"concerns-{name}": value for name, value in (prefill.get("concerns") or {}).items()})
    return values
