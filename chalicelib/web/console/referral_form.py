"""The staff referral form: one page with every section a referral needs, read by the public form's
own readers (`form_pages`), so both refuse the same things with the same words.

Each section's inputs carry a prefix (`child-first_name`, `child-address-line1`) since one page asks
about several people; a section is read with its prefix taken off and its errors put back under it,
so every message lands beside its input and the summary lists them all at once, in page order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.domain.referral import PROFESSIONAL_FIELD_MESSAGES, ReferralSubmission, Route
from chalicelib.domain.validation import MISSING_MESSAGES, InvalidReferral, validate
from chalicelib.web import form_pages as pages
from chalicelib.web.clock import hub_today
from chalicelib.web.form_fields import Form, PageErrors, choices, text

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
# A whole-referral rule's field path (the submission's) -> the prefixed key of the input it is about.
SECTION_PREFIXES = {"referrer": "referrer-", "children": "child-", "concerns": "concerns-"}


def read_referral(form: Form, errors: PageErrors) -> ReferralSubmission | None:
    """The referral the page describes, or None with every problem on the page in `errors`."""
    immediate_risk = pages.read_immediate_risk(form, errors)
    route = pages.read_route(form, errors)
    data: dict[str, Any] = {
        "immediate_risk": immediate_risk,
        "route": route,
        "referrer": _section(form, "referrer-", pages.read_referrer, errors),
        "children": [_section(form, "child-", pages.read_child, errors)],
        "parents_carers": [_section(form, "parent-", pages.read_parent, errors)] if _answered(form, "parent-") else [],
        "concerns": _section(form, "concerns-", pages.read_concerns, errors),
    }
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
            errors.add(_page_key(problem.field), problem.message)
        return None
    return submission


def _section(form: Form, prefix: str, read: Reader, errors: PageErrors) -> dict[str, Any] | None:
    """One section read by the public form's reader, its errors under this page's prefixed keys."""
    own = PageErrors()
    found = read({name[len(prefix) :]: values for name, values in form.items() if name.startswith(prefix)}, own)
    for key, message in own.messages.items():
        errors.add(prefix + key, IN_STAFF_WORDS.get(message, message), prefix + own.anchors[key])
    return found


def _answered(form: Form, prefix: str) -> bool:
    """An optional section counts once anything in it is typed or chosen."""
    return any(text(form, name) for name in form if name.startswith(prefix))


def _page_key(field: str) -> str:
    section, _, rest = field.partition(".")
    if section == "children":
        rest = rest.partition(".")[2]  # the one child's index
    return SECTION_PREFIXES[section] + rest if section in SECTION_PREFIXES and rest else field


def typed_values(form: Form) -> dict[str, Any]:
    """What was typed, for showing the page again: nothing lost."""
    return {
        name: choices(form, name) if name in LIST_FIELDS else text(form, name) for name in form if name != "csrf_token"
    }


def prefill_values(prefill: dict[str, Any]) -> dict[str, Any]:
    """`referral_prefill`'s partial referral (the caller as referrer; what was said as the concerns)
    as the page's input values."""
    values = {f"referrer-{name}": value for name, value in (prefill.get("referrer") or {}).items()}
    values.update({f"concerns-{name}": value for name, value in (prefill.get("concerns") or {}).items()})
    return values
