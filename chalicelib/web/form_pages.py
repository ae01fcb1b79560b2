"""Each page of the public form: how its inputs become the referral's JSON, and back again.

A page's `read_*` returns the part of `ReferralSubmission` it owns (validated by that part's
own model, so errors show where the field is) or collects errors. `*_values` turns stored
answers back into input values for the GET. Answers are stored in the submission's own shape;
keys starting with "_" are the form's bookkeeping and are dropped before submitting.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.referral import (
    PROFESSIONAL_FIELD_MESSAGES,
    Child,
    Concerns,
    Consent,
    ConsentStatus,
    HouseholdMember,
    ParentCarer,
    ParentsInformed,
    PersonPosingRisk,
    Referrer,
    ReferrerKind,
    Route,
)
from chalicelib.domain.validation import MISSING_MESSAGES
from chalicelib.web.form_fields import (
    Form,
    PageErrors,
    address_values,
    check,
    choices,
    date_values,
    put,
    read_address,
    read_date,
    text,
    yes_no,
)

MAX_CHILDREN = 10
MAX_PARENTS = 10
MAX_HOUSEHOLD = 10
MAX_RISKS = 10

ADDRESS_ORDER = ("address", "address.line1", "address.line2", "address.town", "address.postcode")
# Each page's fields in the order they appear, so the error summary reads top to bottom.
CHILD_ORDER = (
    "first_name",
    "last_name",
    "born",
    "date_of_birth",
    "expected_date",
    "gender",
    *ADDRESS_ORDER,
    "school_or_setting",
    "first_language",
    "interpreter_needed",
    "disability",
    "views",
)
PARENT_ORDER = (
    "name",
    "relationship",
    "parental_responsibility",
    "phone",
    "email",
    "address_same_as_child",
    *ADDRESS_ORDER,
    "first_language",
    "safe_to_contact",
)
HOUSEHOLD_ORDER = (
    "name", "relationship", "age", "parental_responsibility", "safe_to_contact", "phone", "email", "first_language",
)  # fmt: skip
RISK_ORDER = ("name", "relationship", "age", "address_same_as_child", *ADDRESS_ORDER, "what_is_known")
CONSENT_ORDER = (
    "parents_aware", "status", "given_by", "given_on", "how", "reason_refused", "reason_not_sought",
    "discussed_with_parents", "parents_response",
)  # fmt: skip

ADDRESS_BLANKS = {
    "address.line1": "Enter the first line of the address, like the house number and street",
    "address.town": "Enter the town or city",
    "address.postcode": "Enter the postcode, like E17 1AA",
}


def read_immediate_risk(form: Form, errors: PageErrors) -> bool | None:
    answer = yes_no(form, "immediate_risk")
    if answer is None:
        errors.add("immediate_risk", "Select yes if a child is at immediate risk of harm")
    return answer


def read_route(form: Form, errors: PageErrors) -> str | None:
    answer = text(form, "route")
    if answer not in {route.value for route in Route}:
        errors.add("route", MISSING_MESSAGES["route"])
        return None
    return answer


REFERRER_BLANKS = {
    "name": "Enter your full name",
    "email": "Enter your email address",
    "phone": "Enter a phone number we can call you back on",
}


def read_referrer(form: Form, errors: PageErrors) -> dict[str, Any] | None:
    data: dict[str, Any] = {}
    for name in ("kind", "name", "email", "phone"):
        put(data, name, text(form, name))
    # Not answered is no: nothing the family receives names the referrer unless they say yes.
    put(data, "family_may_know", yes_no(form, "family_may_know"))
    if data.get("kind") == ReferrerKind.PROFESSIONAL.value:
        for name in ("role", "organisation", "agency"):
            put(data, name, text(form, name))
            # The domain names these only once the rest is valid; say it all in one go.
            if name not in data:
                errors.add(name, PROFESSIONAL_FIELD_MESSAGES[name])
    model = check(Referrer, data, errors, REFERRER_BLANKS)
    return model.model_dump(mode="json", exclude_none=True) if model else None


def referrer_values(referrer: dict[str, Any] | None) -> dict[str, Any]:
    values = dict(referrer or {})
    values["family_may_know"] = yes_no_value((referrer or {}).get("family_may_know"))
    return values


CHILD_BLANKS = {
    "first_name": "Enter the child's first name",
    "last_name": "Enter the child's last name, or 'not known'",
    **ADDRESS_BLANKS,
}


def read_child(form: Form, errors: PageErrors) -> dict[str, Any] | None:
    data: dict[str, Any] = {}
    for name in ("first_name", "last_name", "gender", "school_or_setting", "first_language", "disability", "views"):
        put(data, name, text(form, name))
    born = yes_no(form, "born")
    if born is None:
        errors.add("born", "Select yes if the child has been born")
    elif not born:
        data["unborn"] = True
        put(data, "expected_date", read_date(form, "expected_date", "The due date", errors))
        if "expected_date" not in data:
            errors.add("expected_date", "Enter the date the baby is due", "expected_date-day")
    else:
        put(data, "date_of_birth", read_date(form, "date_of_birth", "Date of birth", errors))
        if "date_of_birth" not in data:
            errors.add("date_of_birth", "Enter the child's date of birth", "date_of_birth-day")
    put(data, "interpreter_needed", yes_no(form, "interpreter_needed"))
    data["address"] = read_address(form)
    model = check(Child, data, errors, CHILD_BLANKS)
    if born is None:  # the date boxes are not shown until born or unborn is chosen
        errors.discard("date_of_birth")
    errors.sort(CHILD_ORDER)
    return model.model_dump(mode="json", exclude_none=True) if model else None


def child_values(child: dict[str, Any] | None) -> dict[str, Any]:
    child = child or {}
    values = {k: v for k, v in child.items() if k not in {"address", "date_of_birth", "expected_date"}}
    values["born"] = ("no" if child.get("unborn") else "yes") if child else None
    values["interpreter_needed"] = yes_no_value(child.get("interpreter_needed")) if child else None
    values.update(date_values(child.get("date_of_birth"), "date_of_birth"))
    values.update(date_values(child.get("expected_date"), "expected_date"))
    values.update(address_values(child.get("address")))
    return values


PARENT_BLANKS = {
    "name": "Enter the parent or carer's name",
    "relationship": "Enter their relationship to the child, like mother or foster carer",
    **ADDRESS_BLANKS,
}


def read_parent(form: Form, errors: PageErrors) -> dict[str, Any] | None:
    data: dict[str, Any] = {}
    for name in ("name", "relationship", "phone", "email", "first_language"):
        put(data, name, text(form, name))
    put(data, "parental_responsibility", yes_no(form, "parental_responsibility"))
    put(data, "safe_to_contact", yes_no(form, "safe_to_contact"))
    same = yes_no(form, "address_same_as_child")
    if same is None:
        errors.add("address_same_as_child", "Select yes if they live at the same address as the child")
    else:
        data["address_same_as_child"] = same
        if not same and (address := read_address(form)):
            data["address"] = address
    model = check(ParentCarer, data, errors, PARENT_BLANKS)
    errors.sort(PARENT_ORDER)
    return model.model_dump(mode="json", exclude_none=True) if model else None


def parent_values(parent: dict[str, Any] | None) -> dict[str, Any]:
    parent = parent or {}
    values = {k: v for k, v in parent.items() if k != "address"}
    values["parental_responsibility"] = yes_no_value(parent.get("parental_responsibility"), "not_known")
    values["safe_to_contact"] = yes_no_value(parent.get("safe_to_contact"), "not_known" if parent else None)
    values["address_same_as_child"] = yes_no_value(parent.get("address_same_as_child"))
    values.update(address_values(parent.get("address")))
    return values


HOUSEHOLD_BLANKS = {
    "name": "Enter their name",
    "relationship": "Enter how they are related to the child or family, like mother's partner or lodger",
}


def _read_age(form: Form, data: dict[str, Any], errors: PageErrors) -> None:
    """Date of birth if known, else an approximate age, else neither: both are optional."""
    put(data, "date_of_birth", read_date(form, "date_of_birth", "Date of birth", errors))
    age = text(form, "approximate_age")
    if age and "date_of_birth" not in data:
        if age.isascii() and age.isdigit() and int(age) <= 120:
            data["approximate_age"] = int(age)
        else:
            errors.add("approximate_age", "Enter their approximate age as a number of years, like 35")


def read_household_member(form: Form, errors: PageErrors) -> dict[str, Any] | None:
    data: dict[str, Any] = {}
    for name in ("name", "relationship", "phone", "email", "first_language"):
        put(data, name, text(form, name))
    _read_age(form, data, errors)
    put(data, "parental_responsibility", yes_no(form, "parental_responsibility"))
    put(data, "safe_to_contact", yes_no(form, "safe_to_contact"))
    model = check(HouseholdMember, data, errors, HOUSEHOLD_BLANKS)
    errors.sort(HOUSEHOLD_ORDER)
    return model.model_dump(mode="json", exclude_none=True) if model else None


def household_member_values(member: dict[str, Any] | None) -> dict[str, Any]:
    member = member or {}
    values = {k: v for k, v in member.items() if k != "date_of_birth"}
    values["parental_responsibility"] = yes_no_value(
        member.get("parental_responsibility"), "not_known" if member else None
    )
    values["safe_to_contact"] = yes_no_value(member.get("safe_to_contact"), "not_known" if member else None)
    values["approximate_age"] = str(member["approximate_age"]) if "approximate_age" in member else None
    values.update(date_values(member.get("date_of_birth"), "date_of_birth"))
    return values


RISK_BLANKS = {
    "relationship": "Enter who they are to the child or family, like mother's partner or a neighbour",
    "what_is_known": "Tell us what you know about them and why they may pose a risk to the child",
    **ADDRESS_BLANKS,
}


def read_person_posing_risk(form: Form, errors: PageErrors) -> dict[str, Any] | None:
    data: dict[str, Any] = {}
    for name in ("name", "relationship", "what_is_known"):
        put(data, name, text(form, name))
    _read_age(form, data, errors)
    where = text(form, "address_same_as_child")
    if where in ("yes", "no"):
        data["address_same_as_child"] = where == "yes"
        if where == "no" and (address := read_address(form)):
            data["address"] = address
    model = check(PersonPosingRisk, data, errors, RISK_BLANKS)
    errors.sort(RISK_ORDER)
    return model.model_dump(mode="json", exclude_none=True) if model else None


def person_posing_risk_values(person: dict[str, Any] | None) -> dict[str, Any]:
    person = person or {}
    values = {k: v for k, v in person.items() if k not in {"date_of_birth", "address"}}
    same = person.get("address_same_as_child")
    values["address_same_as_child"] = yes_no_value(same, "not_known" if person else None)
    values["approximate_age"] = str(person["approximate_age"]) if "approximate_age" in person else None
    values.update(date_values(person.get("date_of_birth"), "date_of_birth"))
    values.update(address_values(person.get("address")))
    return values


CONCERNS_BLANKS = {
    "description": "Tell us what is happening to the child and why you are worried",
    "childs_views": "Tell us what the child has said, or how they seem to experience their day-to-day life",
}


def read_concerns(form: Form, errors: PageErrors) -> dict[str, Any] | None:
    data: dict[str, Any] = {}
    put(data, "categories", choices(form, "categories"))
    for name in ("description", "childs_views", "what_has_been_tried"):
        put(data, name, text(form, name))
    put(data, "proposed_level", text(form, "proposed_level"))
    model = check(Concerns, data, errors, CONCERNS_BLANKS)
    return model.model_dump(mode="json", exclude_none=True) if model else None


def concerns_values(concerns: dict[str, Any] | None) -> dict[str, Any]:
    values = dict(concerns or {})
    if "proposed_level" in values:
        values["proposed_level"] = str(values["proposed_level"])
    return values


# Only the fields that belong to the chosen consent status are kept, so a hidden conditional
# answer (typed, then another option chosen) never reaches the MASH.
CONSENT_FIELDS = {
    ConsentStatus.GIVEN.value: ("given_by", "how"),
    ConsentStatus.REFUSED.value: ("reason_refused",),
    ConsentStatus.NOT_SOUGHT.value: ("reason_not_sought",),
}


def read_consent(form: Form, errors: PageErrors) -> dict[str, Any] | None:
    data: dict[str, Any] = {}
    put(data, "parents_aware", yes_no(form, "parents_aware"))
    status = text(form, "status")
    put(data, "status", status)
    for name in CONSENT_FIELDS.get(status, ()):
        put(data, name, text(form, name))
    if status == ConsentStatus.GIVEN.value:
        put(data, "given_on", read_date(form, "given_on", "The date consent was given", errors))
    discussed = yes_no(form, "discussed_with_parents")
    if discussed is None:
        errors.add("discussed_with_parents", "Select yes if you have discussed your concerns with the parents")
    else:
        data["discussed_with_parents"] = discussed
        if discussed:
            put(data, "parents_response", text(form, "parents_response"))
    model = check(Consent, data, errors)
    errors.sort(CONSENT_ORDER)
    return model.model_dump(mode="json", exclude_none=True) if model else None


def consent_values(consent: dict[str, Any] | None) -> dict[str, Any]:
    consent = consent or {}
    values = {k: v for k, v in consent.items() if k != "given_on"}
    values["parents_aware"] = yes_no_value(consent.get("parents_aware"))
    values["discussed_with_parents"] = yes_no_value(consent.get("discussed_with_parents"))
    values.update(date_values(consent.get("given_on"), "given_on"))
    return values


def read_parents_informed(form: Form, errors: PageErrors) -> dict[str, Any] | None:
    data: dict[str, Any] = {}
    informed = yes_no(form, "informed")
    put(data, "informed", informed)
    if informed is False:
        put(data, "reason_not_informed", text(form, "reason_not_informed"))
    model = check(ParentsInformed, data, errors)
    return model.model_dump(mode="json", exclude_none=True) if model else None


def parents_informed_values(informed: dict[str, Any] | None) -> dict[str, Any]:
    values = dict(informed or {})
    values["informed"] = yes_no_value((informed or {}).get("informed"))
    return values


def yes_no_value(value: bool | None, unknown: str | None = None) -> str | None:
    if value is None:
        return unknown if unknown else None
    return "yes" if value else "no"


def submission_data(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers as `ReferralSubmission` JSON: form bookkeeping and the other route's part dropped."""
    data = {key: value for key, value in answers.items() if not key.startswith("_")}
    data.setdefault("immediate_risk", False)
    data.setdefault("children", [])
    data.setdefault("parents_carers", [])
    data.setdefault("household_members", [])
    data.setdefault("people_posing_risk", [])
    unused = "parents_informed" if data.get("route") == Route.SUPPORT.value else "consent"
    data.pop(unused, None)
    return data


def first_incomplete(answers: dict[str, Any]) -> str | None:
    """The path of the first page still to answer, or None when every page is done."""
    if "immediate_risk" not in answers:
        return "/referral/immediate-risk"
    if "route" not in answers:
        return "/referral/route"
    if "referrer" not in answers:
        return "/referral/about-you"
    if not answers.get("children"):
        return "/referral/child/1"
    if not answers.get("_parents_answered"):
        return "/referral/parents"
    if not answers.get("_household_answered"):
        return "/referral/household"
    if not answers.get("_risks_answered"):
        return "/referral/risks"
    if "concerns" not in answers:
        return "/referral/concerns"
    section = "consent" if answers["route"] == Route.SUPPORT.value else "parents_informed"
    if section not in answers:
        return "/referral/consent"
    return None
