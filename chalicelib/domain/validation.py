"""Turn pydantic's errors into one message per field that tells a person what to fix.

Field paths are dotted (`children.0.date_of_birth`) so the JSON API can report them and the
form can put each message beside its input. Messages never echo the value that was sent: a
value may be personal data, and error responses are logged by API Gateway.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from chalicelib.domain.referral import CONTROL_CHARACTERS, SINGLE_LINE, FieldProblem

# How each field is named in a message. Keyed by the last part of its path.
FIELD_LABELS: dict[str, str] = {
    "route": "Route (support or protection)",
    "immediate_risk": "Whether a child is at immediate risk",
    "referrer": "About you",
    "kind": "Whether you are a professional or a member of the public",
    "name": "Name",
    "role": "Role",
    "organisation": "Organisation",
    "agency": "Agency",
    "email": "Email address",
    "phone": "Phone number",
    "children": "Children",
    "first_name": "First name",
    "last_name": "Last name",
    "unborn": "Whether the child is unborn",
    "date_of_birth": "Date of birth",
    "expected_date": "Due date",
    "gender": "Gender",
    "address": "Address",
    "line1": "Address line 1",
    "line2": "Address line 2",
    "town": "Town or city",
    "postcode": "Postcode",
    "school_or_setting": "School or setting",
    "first_language": "First language",
    "interpreter_needed": "Whether an interpreter is needed",
    "disability": "Disability",
    "parents_carers": "Parents or carers",
    "relationship": "Relationship to the child",
    "parental_responsibility": "Whether they have parental responsibility",
    "address_same_as_child": "Whether their address is the same as the child's",
    "concerns": "Concerns",
    "categories": "Kinds of concern",
    "description": "What is happening",
    "childs_views": "The child's views and experience",
    "what_has_been_tried": "What has been tried",
    "proposed_level": "Proposed level of need",
    "consent": "Consent",
    "parents_aware": "Whether the parents are aware",
    "status": "Consent status",
    "given_by": "Who gave consent",
    "given_on": "Date consent was given",
    "how": "How consent was given",
    "reason_not_sought": "Why consent was not asked for",
    "reason_refused": "Why consent was refused",
    "parents_informed": "Parents told",
    "informed": "Whether the parents have been told",
    "reason_not_informed": "Why the parents have not been told",
    "family_may_know": "Whether we can tell the family you made this referral",
    "views": "The child's own views",
    "safe_to_contact": "Whether it is safe to contact them",
    "household_members": "Other adults in the household",
    "people_posing_risk": "People who may pose a risk to the child",
    "approximate_age": "Approximate age",
    "what_is_known": "What you know about them",
    "discussed_with_parents": "Whether you have discussed this with the parents",
    "parents_response": "What the parents said",
}

# Messages for a field left out entirely, where "Enter <label>" would read badly.
MISSING_MESSAGES: dict[str, str] = {
    "route": "Select whether this is a request for support or a child protection referral",
    "immediate_risk": "Say whether a child is at immediate risk of harm",
    "kind": "Select whether you are a professional or a member of the public",
    "children": "Add at least one child",
    "categories": "Select at least one kind of concern",
    "proposed_level": "Select the level of need you think fits, from 1 to 4",
    "parents_aware": "Say whether the parents are aware of this referral",
    "status": "Select whether consent has been given, refused or not asked for",
    "informed": "Say whether the parents have been told about this referral",
    "concerns": "Tell us about your concerns",
    "referrer": "Tell us about yourself",
    "address": "Enter the address",
}


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class InvalidReferral(Exception):
    """The referral (or one page of the form) has problems; one entry per field."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} field(s) need attention")


def validate(model: type[BaseModel], data: Any, *, today: dt.date | None = None) -> Any:
    """Validate `data` as `model`, raising InvalidReferral with user-facing messages. `today` is the
    London date dates are judged against (from the caller's clock)."""
    try:
        return model.model_validate(data, context={"today": today} if today else None)
    except ValidationError as exc:
        raise InvalidReferral(field_errors(exc)) from None


def field_errors(exc: ValidationError) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for error in exc.errors(include_input=False, include_url=False):
        for found in _messages_for(error):
            # Union types report one failure per branch; the first says it best.
            if found.field not in seen:
                seen.add(found.field)
                errors.append(found)
    return errors


def _messages_for(error: ErrorDetails) -> list[FieldError]:
    path = [str(part) for part in error["loc"] if not _is_union_branch(part)]
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldProblem):
        return [FieldError(_join([*path, name]), message) for name, message in cause.problems.items()]
    field = _join(path)
    return [FieldError(field or "body", _message(error, path))]


def _is_union_branch(part: Any) -> bool:
    # pydantic puts the branch type ("str", "function-after[...]") in the location of union errors.
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "bool", "date", "none"})


def _join(path: list[str]) -> str:
    return ".".join(path)


def _message(error: ErrorDetails, path: list[str]) -> str:
    kind = error["type"]
    name = next((part for part in reversed(path) if not part.isdigit()), "body")
    label = FIELD_LABELS.get(name, name.replace("_", " ").capitalize())
    ctx = error.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return MISSING_MESSAGES.get(name, f"Enter {label.lower()}")
    if kind == SINGLE_LINE:
        return f"{label} must be one line: remove line breaks, tabs and other control characters"
    if kind == CONTROL_CHARACTERS:
        return f"{label} must not contain control characters: keep to letters, numbers, punctuation and line breaks"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])).removeprefix("Value error, ")
    if kind == "string_too_long":
        return f"{label} must be {ctx['max_length']} characters or fewer"
    if kind == "string_too_short":
        return f"{label} must be at least {ctx['min_length']} characters"
    if kind in {"too_short"}:
        return MISSING_MESSAGES.get(name, f"{label} needs at least {ctx.get('min_length')} entry")
    if kind == "too_long":
        return f"{label} can have at most {ctx.get('max_length')} entries"
    if kind == "extra_forbidden":
        return f"'{name}' is not a field of a referral: check its spelling against the API document"
    if kind == "enum":
        return f"{label} must be one of: {ctx.get('expected')}"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"{label} must be a real date in the form YYYY-MM-DD, like 2017-03-14"
    if kind.startswith("bool"):
        return f"{label} must be true or false"
    if kind in {"int_parsing", "int_type", "int_from_float"} or kind.startswith(("greater_than", "less_than")):
        if name == "proposed_level":
            return "Proposed level of need must be a whole number from 1 to 4"
        return f"{label} must be a whole number"
    if kind in {"string_type"}:
        return f"{label} must be text"
    if kind in {"list_type"}:
        return f"{label} must be a list"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"{label} must be an object with its own fields"
    return f"{label} is not valid: {error['msg']}"
