"""The Request for Support, Help and Protection (RSHP) as the hub receives it.

One model serves the JSON API and the public form, so both refuse the same things with the same
words. Messages follow the GOV.UK pattern: say what to fix, in the user's words.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from chalicelib.domain.london_time import london_today

SHORT_TEXT = 200
LONG_TEXT = 5000

# UK postcode, case-insensitive, optional single space (BS 7666 shape, not a lookup).
POSTCODE_PATTERN = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$", re.IGNORECASE)
# Digits with optional +, spaces, brackets and hyphens: 10 to 15 digits in all.
PHONE_PATTERN = re.compile(r"^\+?[0-9 ()\-]{10,20}$")
# An address goes into an email's To header: no whitespace, no control characters (CR/LF and NUL
# would let a value add headers of its own), none of RFC 5322's specials (the stdlib reads "x:" as
# a group and "(x)" as a comment, so the mail would go to another address than the one stored),
# no bidi or zero-width characters (they disguise an address), and \Z, not $, which would let a
# trailing newline through.
_EMAIL_PART = r"[^@\s<>,;:()\[\]\\\"\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+"
EMAIL_PATTERN = re.compile(rf"^{_EMAIL_PART}@{_EMAIL_PART}\.{_EMAIL_PART}\Z")


class DomainModel(BaseModel):
    # Unknown fields are refused so a typo in an agency system is caught, not silently dropped.
    # defer_build keeps the Lambda cold start lean: schemas are built on first use.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


# C0 and C1 control characters, DEL, and the bidi embeddings, overrides and isolates that make
# text read otherwise than it is. A name with CR/LF in it would read as lines of its own in an
# agency's request email ("IMPORTANT - MASH instruction: ..."), so single-line fields refuse all of
# these and line breaks too; multi-line fields keep their line breaks and tabs, nothing else.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\t\n\r\u2028\u2029]")
SINGLE_LINE = "single_line"
CONTROL_CHARACTERS = "control_characters"


# Validation context for a referral read back from the store: it was judged when it arrived, and
# rules about what may be sent (today's date, characters refused since) must not make an old
# referral unreadable.
STORED = {"stored": True}


def is_stored(info: ValidationInfo | None) -> bool:
    return bool(info and isinstance(info.context, dict) and info.context.get("stored"))


def today_for(info: ValidationInfo | None) -> dt.date:
    """The London date the input is judged against: the caller's injected clock (context "today"),
    else London's date now, never the server's local date."""
    if info and isinstance(info.context, dict) and isinstance(info.context.get("today"), dt.date):
        return info.context["today"]
    return london_today()


def one_line(value: str, info: ValidationInfo) -> str:
    if not is_stored(info) and (_CONTROLS.search(value) or _LINE_BREAKS.search(value)):
        raise PydanticCustomError(SINGLE_LINE, "must be one line of text, without line breaks or control characters")
    return value


def no_control_characters(value: str, info: ValidationInfo) -> str:
    if not is_stored(info) and _CONTROLS.search(value):
        raise PydanticCustomError(CONTROL_CHARACTERS, "must not contain control characters")
    return value


ShortText = Annotated[str, StringConstraints(min_length=1, max_length=SHORT_TEXT), AfterValidator(one_line)]
OptionalShortText = Annotated[str, StringConstraints(max_length=SHORT_TEXT), AfterValidator(one_line)] | None
LongText = Annotated[str, StringConstraints(min_length=1, max_length=LONG_TEXT), AfterValidator(no_control_characters)]
OptionalLongText = Annotated[str, StringConstraints(max_length=LONG_TEXT), AfterValidator(no_control_characters)] | None


class Route(StrEnum):
    """Which part of the RSHP: help and support (consent expected) or protection."""

    SUPPORT = "support"
    PROTECTION = "protection"


class ReferrerKind(StrEnum):
    PROFESSIONAL = "professional"
    PUBLIC = "public"


class Agency(StrEnum):
    """The MASH partner agencies named in the guidance, plus 'other' for everyone else."""

    CHILDRENS_SOCIAL_CARE = "childrens_social_care"
    HEALTH = "health"
    EDUCATION = "education"
    POLICE = "police"
    PROBATION = "probation"
    HOUSING = "housing"
    EARLY_HELP = "early_help"
    YOUTH_OFFENDING = "youth_offending"
    VICTIM_SUPPORT = "victim_support"
    OTHER = "other"


AGENCY_LABELS: dict[Agency, str] = {
    Agency.CHILDRENS_SOCIAL_CARE: "Children's social care",
    Agency.HEALTH: "Health",
    Agency.EDUCATION: "Education (school, nursery or college)",
    Agency.POLICE: "Police",
    Agency.PROBATION: "Probation",
    Agency.HOUSING: "Housing",
    Agency.EARLY_HELP: "Early help",
    Agency.YOUTH_OFFENDING: "Youth offending",
    Agency.VICTIM_SUPPORT: "Victim support",
    Agency.OTHER: "Other",
}


class ConcernCategory(StrEnum):
    PHYSICAL_ABUSE = "physical_abuse"
    EMOTIONAL_ABUSE = "emotional_abuse"
    SEXUAL_ABUSE = "sexual_abuse"
    NEGLECT = "neglect"
    DOMESTIC_ABUSE = "domestic_abuse"
    CHILD_SEXUAL_EXPLOITATION = "child_sexual_exploitation"
    CHILD_CRIMINAL_EXPLOITATION = "child_criminal_exploitation"
    MENTAL_HEALTH = "mental_health"
    PARENTAL_SUBSTANCE_MISUSE = "parental_substance_misuse"
    RADICALISATION = "radicalisation"
    MISSING_FROM_HOME_OR_EDUCATION = "missing_from_home_or_education"
    FEMALE_GENITAL_MUTILATION = "female_genital_mutilation"
    DISABILITY_OR_ADDITIONAL_NEEDS = "disability_or_additional_needs"
    OTHER = "other"


CONCERN_LABELS: dict[ConcernCategory, str] = {
    ConcernCategory.PHYSICAL_ABUSE: "Physical abuse",
    ConcernCategory.EMOTIONAL_ABUSE: "Emotional abuse",
    ConcernCategory.SEXUAL_ABUSE: "Sexual abuse",
    ConcernCategory.NEGLECT: "Neglect",
    ConcernCategory.DOMESTIC_ABUSE: "Domestic abuse",
    ConcernCategory.CHILD_SEXUAL_EXPLOITATION: "Child sexual exploitation",
    ConcernCategory.CHILD_CRIMINAL_EXPLOITATION: "Child criminal exploitation",
    ConcernCategory.MENTAL_HEALTH: "Mental health (child or parent)",
    ConcernCategory.PARENTAL_SUBSTANCE_MISUSE: "Parental drug or alcohol misuse",
    ConcernCategory.RADICALISATION: "Radicalisation",
    ConcernCategory.MISSING_FROM_HOME_OR_EDUCATION: "Missing from home, care or education",
    ConcernCategory.FEMALE_GENITAL_MUTILATION: "Female genital mutilation",
    ConcernCategory.DISABILITY_OR_ADDITIONAL_NEEDS: "Disability or additional needs",
    ConcernCategory.OTHER: "Something else",
}


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    NOT_KNOWN = "not_known"


# The threshold document's four-level continuum of need: the referrer proposes, the MASH decides.
LEVELS_OF_NEED: dict[int, tuple[str, str]] = {
    1: ("Universal", "No additional needs: needs met by universal services such as schools and GPs."),
    2: ("Early help", "Additional needs: support from early help or more than one agency."),
    3: ("Targeted or complex", "Complex needs: a child in need who needs a social care assessment."),
    4: ("Specialist or acute", "Child protection: a child has suffered or is likely to suffer significant harm."),
}


class ConsentStatus(StrEnum):
    """What the referrer knows of parental consent to MASH information sharing (support route)."""

    GIVEN = "given"
    REFUSED = "refused"
    NOT_SOUGHT = "not_sought"


class Address(DomainModel):
    line1: ShortText
    line2: OptionalShortText = None
    town: ShortText
    postcode: ShortText

    @field_validator("postcode")
    @classmethod
    def _postcode_is_uk(cls, value: str) -> str:
        if not POSTCODE_PATTERN.match(value):
            raise ValueError("Enter a real postcode, like E17 1AA")
        compact = value.replace(" ", "").upper()
        return f"{compact[:-3]} {compact[-3:]}"


class Referrer(DomainModel):
    kind: ReferrerKind
    name: ShortText
    role: OptionalShortText = None
    organisation: OptionalShortText = None
    agency: Agency | None = None
    email: Annotated[str, StringConstraints(min_length=3, max_length=254)]
    phone: Annotated[str, StringConstraints(max_length=20)]
    # "Can we tell the family that you made this referral?" Not answered is no: nothing a family
    # receives says who referred, or what kind of person, unless the referrer agreed.
    family_may_know: bool | None = Field(
        default=None,
        description="Can we tell the family that you made this referral? Not answered is no: nothing the family "
        "receives then says who referred, or what kind of person",
    )

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str) -> str:
        if not EMAIL_PATTERN.match(value):
            raise ValueError("Enter an email address in the correct format, like name@example.com")
        return value

    @field_validator("phone")
    @classmethod
    def _phone_shape(cls, value: str) -> str:
        return _check_phone(value)

    @property
    def may_be_named_to_family(self) -> bool:
        return self.family_may_know is True

    @model_validator(mode="after")
    def _professionals_say_where_they_work(self) -> Referrer:
        if self.kind is ReferrerKind.PROFESSIONAL:
            missing = [name for name in ("role", "organisation", "agency") if not getattr(self, name)]
            if missing:
                raise FieldProblem({name: PROFESSIONAL_FIELD_MESSAGES[name] for name in missing})
        return self


PROFESSIONAL_FIELD_MESSAGES = {
    "role": "Enter your role, like designated safeguarding lead",
    "organisation": "Enter the name of your organisation",
    "agency": "Select the kind of agency you work for",
}


def _check_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if not PHONE_PATTERN.match(value) or not 10 <= len(digits) <= 15:
        raise ValueError("Enter a phone number, like 020 7946 0000 or 07700 900 982")
    return value


class Child(DomainModel):
    first_name: ShortText
    last_name: ShortText
    # An unborn child has no date of birth but an expected date of delivery.
    unborn: bool = False
    date_of_birth: dt.date | None = None
    expected_date: dt.date | None = None
    gender: Gender | None = None
    address: Address
    school_or_setting: OptionalShortText = None
    first_language: OptionalShortText = None
    interpreter_needed: bool = False
    disability: OptionalShortText = None
    # The child's own views, in their words where possible (Working Together: the child's voice).
    views: OptionalLongText = Field(
        default=None, description="What this child has said, in their own words if possible"
    )

    @model_validator(mode="after")
    def _born_or_expected(self, info: ValidationInfo) -> Child:
        if is_stored(info):
            return self
        today = today_for(info)
        if self.unborn:
            if self.expected_date is None:
                raise FieldProblem({"expected_date": "Enter the date the baby is due"})
            if self.expected_date < today - dt.timedelta(days=31):
                raise FieldProblem(
                    {
                        "expected_date": "The due date must be recent or in the future; if the baby has been born, enter their date of birth"
                    }
                )
            if self.expected_date > today + dt.timedelta(days=300):
                raise FieldProblem({"expected_date": "The due date must be within the next 10 months"})
            return self
        if self.date_of_birth is None:
            raise FieldProblem({"date_of_birth": "Enter the child's date of birth"})
        if self.date_of_birth > today:
            raise FieldProblem(
                {
                    "date_of_birth": "Date of birth must be today or in the past; for an unborn baby, give the due date instead"
                }
            )
        if self.date_of_birth < dt.date(today.year - 19, today.month, min(today.day, 28)):
            raise FieldProblem(
                {
                    "date_of_birth": "The MASH takes referrals for children and young people under 19; check the date of birth"
                }
            )
        return self


class ParentCarer(DomainModel):
    name: ShortText
    relationship: ShortText
    parental_responsibility: bool | None = None
    phone: Annotated[str, StringConstraints(max_length=20)] | None = None
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    address_same_as_child: bool = True
    address: Address | None = None
    first_language: OptionalShortText = None
    # The referrer's view: is it safe for the MASH to contact them? (The MASH's own plan decides.)
    safe_to_contact: bool | None = Field(
        default=None,
        description="Is it safe for the MASH to contact them? false keeps every family email from them; null: not known",
    )

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str | None) -> str | None:
        if value and not EMAIL_PATTERN.match(value):
            raise ValueError("Enter an email address in the correct format, like name@example.com")
        return value or None

    @field_validator("phone")
    @classmethod
    def _phone_shape(cls, value: str | None) -> str | None:
        return _check_phone(value) if value else None

    @model_validator(mode="after")
    def _address_when_different(self) -> ParentCarer:
        if not self.address_same_as_child and self.address is None:
            raise FieldProblem({"address": "Enter the parent or carer's address, or say it is the same as the child's"})
        return self


class HouseholdMember(DomainModel):
    """Another adult (or older young person) living in the child's household."""

    name: ShortText
    relationship: ShortText  # to the child, like "mother's partner" or "lodger"
    date_of_birth: dt.date | None = None
    approximate_age: Annotated[int, Field(ge=0, le=120)] | None = None
    parental_responsibility: bool | None = None
    safe_to_contact: bool | None = None
    phone: Annotated[str, StringConstraints(max_length=20)] | None = None
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    first_language: OptionalShortText = None

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str | None) -> str | None:
        if value and not EMAIL_PATTERN.match(value):
            raise ValueError("Enter an email address in the correct format, like name@example.com")
        return value or None

    @field_validator("phone")
    @classmethod
    def _phone_shape(cls, value: str | None) -> str | None:
        return _check_phone(value) if value else None


class PersonPosingRisk(DomainModel):
    """Someone who may pose a risk of harm to the child (Working Together: "the risks of harm that
    individual abusers, or potential abusers, may pose"). Never contacted by the hub, never told."""

    name: OptionalShortText = None  # not always known: "mother's new partner"
    relationship: ShortText  # to the child or the family
    date_of_birth: dt.date | None = None
    approximate_age: Annotated[int, Field(ge=0, le=120)] | None = None
    address_same_as_child: bool | None = None  # None: not known
    address: Address | None = None
    what_is_known: LongText  # what the referrer knows of them and of the risk


# A member of the public may not know the threshold document's levels: "not sure" leaves the level
# to the MASH. A professional is expected to know them and must choose one.
NOT_SURE: Literal["not_sure"] = "not_sure"
LEVEL_MESSAGE = "Proposed level of need must be a whole number from 1 to 4"


def _proposed_level(value: object) -> int | Literal["not_sure"]:
    """1 to 4 (a number, or its digits as the form posts them), or "not_sure"."""
    if value == NOT_SURE:
        return NOT_SURE
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4:
        return value
    if isinstance(value, str) and value.strip() in {"1", "2", "3", "4"}:
        return int(value.strip())
    raise ValueError(LEVEL_MESSAGE)


ProposedLevel = Annotated[
    int | Literal["not_sure"],
    PlainValidator(_proposed_level),
    WithJsonSchema(
        {
            "oneOf": [{"type": "integer", "minimum": 1, "maximum": 4}, {"const": NOT_SURE}],
            "description": 'The threshold document\'s level, 1 to 4; "not_sure" from a member of the public only',
        }
    ),
]


class Concerns(DomainModel):
    categories: Annotated[list[ConcernCategory], Field(min_length=1, max_length=len(ConcernCategory))]
    description: LongText
    childs_views: LongText
    what_has_been_tried: OptionalLongText = None
    proposed_level: ProposedLevel

    @field_validator("categories")
    @classmethod
    def _no_repeats(cls, value: list[ConcernCategory]) -> list[ConcernCategory]:
        return list(dict.fromkeys(value))


class Consent(DomainModel):
    """Support route: what the referrer says about parents' awareness and consent."""

    parents_aware: bool
    status: ConsentStatus
    given_by: OptionalShortText = None
    given_on: dt.date | None = None
    how: OptionalShortText = None
    reason_not_sought: OptionalLongText = None
    reason_refused: OptionalLongText = None
    # Guidance §2: have you discussed this with the parents, and what did they say?
    discussed_with_parents: bool | None = Field(
        default=None, description="Have you discussed your concerns with the parents?"
    )
    parents_response: OptionalLongText = Field(default=None, description="What the parents said (needed if discussed)")

    @model_validator(mode="after")
    def _reasons_recorded(self, info: ValidationInfo) -> Consent:
        if is_stored(info):
            return self
        problems: dict[str, str] = {}
        if self.status is ConsentStatus.GIVEN:
            if not self.given_by:
                problems["given_by"] = "Enter the name of the parent or carer who gave consent"
            if self.given_on is None:
                problems["given_on"] = "Enter the date consent was given"
            elif self.given_on > today_for(info):
                problems["given_on"] = "The date consent was given must be today or in the past"
            if not self.how:
                problems["how"] = "Say how consent was given, like in person at a school meeting"
        elif self.status is ConsentStatus.NOT_SOUGHT and not self.reason_not_sought:
            problems["reason_not_sought"] = "Say why consent was not asked for"
        elif self.status is ConsentStatus.REFUSED and not self.parents_aware:
            problems["parents_aware"] = (
                "If consent was refused, the parents are aware of the referral: check your answers"
            )
        if self.discussed_with_parents and not self.parents_response:
            problems["parents_response"] = "Tell us what the parents said when you discussed your concerns with them"
        if problems:
            raise FieldProblem(problems)
        return self


class ParentsInformed(DomainModel):
    """Protection route: no consent needed, but were parents told, and if not, why not."""

    informed: bool
    reason_not_informed: OptionalLongText = None

    @model_validator(mode="after")
    def _reason_when_not_told(self) -> ParentsInformed:
        if not self.informed and not self.reason_not_informed:
            raise FieldProblem(
                {
                    "reason_not_informed": "Say why the parents have not been told, like telling them could put the child at more risk"
                }
            )
        return self


class ReferralSubmission(DomainModel):
    """A whole referral as sent by a referrer, before the MASH has done anything with it."""

    route: Route
    immediate_risk: bool
    referrer: Referrer
    children: Annotated[list[Child], Field(min_length=1, max_length=10)]
    parents_carers: Annotated[list[ParentCarer], Field(max_length=10)] = []
    household_members: Annotated[
        list[HouseholdMember],
        Field(max_length=10, description="Other adults living in the child's household (not the parents listed)"),
    ] = []
    people_posing_risk: Annotated[
        list[PersonPosingRisk],
        Field(max_length=10, description="Anyone who may pose a risk to the child: never contacted by the hub"),
    ] = []
    concerns: Concerns
    consent: Consent | None = None
    parents_informed: ParentsInformed | None = None

    @model_validator(mode="after")
    def _route_needs_its_section(self) -> ReferralSubmission:
        if self.concerns.proposed_level == NOT_SURE and self.referrer.kind is ReferrerKind.PROFESSIONAL:
            raise FieldProblem(
                {
                    "concerns.proposed_level": "As a professional, choose the level of need you think fits, from 1 to 4, "
                    "using the threshold document"
                }
            )
        if self.route is Route.SUPPORT and self.consent is None:
            raise FieldProblem(
                {
                    "consent": "A support referral needs the consent section: are the parents aware, and have they given consent"
                }
            )
        if self.route is Route.PROTECTION and self.parents_informed is None:
            raise FieldProblem(
                {
                    "parents_informed": "A protection referral needs the parents_informed section: have the parents been told, and if not, why"
                }
            )
        return self


class FieldProblem(ValueError):
    """Raised inside validators to name the sub-field at fault, not just the model.

    pydantic reports a model validator's error at the model's own location; the error mapping
    (chalicelib.domain.validation) unpacks these so each message lands beside its field.
    """

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems.items()))
