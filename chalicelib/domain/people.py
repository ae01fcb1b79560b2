"""The people a referral names around the child, each by a key that says what they are and where.

A notice, a task or the contact plan names a person by key (`parent:0`, `household:1`, `risk:0`),
never by name or address: the key is safe in the clear (logs, audit, the outbox index), the
person's details stay in the sealed submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chalicelib.domain.referral import ReferralSubmission


class PersonKind(StrEnum):
    PARENT = "parent"  # a parent or carer
    HOUSEHOLD = "household"  # another adult in the child's household
    RISK = "risk"  # a person who may pose a risk to the child


# How a message to staff names a person: by role, never by name.
ROLE_WORDS: dict[PersonKind, str] = {
    PersonKind.PARENT: "parent or carer",
    PersonKind.HOUSEHOLD: "member of the household",
    PersonKind.RISK: "person who may pose a risk",
}


@dataclass(frozen=True)
class Person:
    key: str
    kind: PersonKind
    index: int
    name: str | None
    relationship: str
    email: str | None
    first_language: str | None
    # What the referrer said (the contact plan holds what the MASH has found since).
    parental_responsibility: bool | None
    safe_to_contact: bool | None

    @property
    def role(self) -> str:
        return ROLE_WORDS[self.kind]


def person_key(kind: PersonKind, index: int) -> str:
    return f"{kind.value}:{index}"


def people_of(submission: ReferralSubmission) -> list[Person]:
    """Everyone the referral names around the child, parents first, in the order given."""
    listed: list[tuple[PersonKind, Any]] = [
        *((PersonKind.PARENT, p) for p in submission.parents_carers),
        *((PersonKind.HOUSEHOLD, h) for h in submission.household_members),
    ]
    seen: dict[PersonKind, int] = {}
    people = []
    for kind, named in listed:
        index = seen[kind] = seen.get(kind, -1) + 1
        people.append(
            Person(
                key=person_key(kind, index),
                kind=kind,
                index=index,
                name=named.name,
                relationship=named.relationship,
                email=named.email,
                first_language=named.first_language,
                parental_responsibility=named.parental_responsibility,
                safe_to_contact=named.safe_to_contact,
            )
        )
    # Never contacted: no email is kept for them, and the plan never lets them be told.
    people += [
        Person(person_key(PersonKind.RISK, i), PersonKind.RISK, i, r.name, r.relationship, None, None, None, False)
        for i, r in enumerate(submission.people_posing_risk)
    ]
    return people


def person_of(submission: ReferralSubmission, key: str) -> Person | None:
    return next((person for person in people_of(submission) if person.key == key), None)


def is_family_member_key(key: str) -> bool:
    """A notice recipient that is a person in the family (not the referrer or a service)."""
    kind, _, index = key.partition(":")
    return kind in (PersonKind.PARENT.value, PersonKind.HOUSEHOLD.value) and index.isdigit()
