"""The console in people's words: staff by name, people by role and name, history as sentences.

The page already holds the decrypted referral (its own audited read), so naming the family costs
nothing more; staff names come from the staff directory (cached). An id never reaches the page:
someone the directory does not know is "a former member of staff".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from chalicelib.domain.agencies import AGENCY_NAMES, AgencyId
from chalicelib.domain.audit_sentences import Naming, audit_sentence
from chalicelib.domain.people import PersonKind, people_of
from chalicelib.domain.referral import ReferralSubmission
from chalicelib.services.staff_names import Entries, name_of

# How a recipient or a person in the history is introduced: their part in the family, then their name.
KIND_TITLES = {
    PersonKind.PARENT: "Parent or carer",
    PersonKind.HOUSEHOLD: "Adult in the household",
    PersonKind.RISK: "Person who may pose a risk",
}
# Actors that are not staff (the audit's role says which).
NOT_STAFF = {"agency": "The agency", "system": "The hub"}


@dataclass(frozen=True)
class ReferralNames:
    """Names for the keys a referral's notices, plan and audit use, from its decrypted submission."""

    people: dict[str, str]  # "parent:0" -> "Parent or carer: Anna Kowalska"
    referrer: str
    services: dict[str, str]

    def person(self, key: str) -> str:
        return self.people.get(key) or key_title(key)

    def recipient(self, key: str) -> str:
        """Whom an email went to, by role and name: "Parent or carer: Anna Kowalska", "Police"."""
        if key == "referrer":
            return self.referrer
        if key in self.people:
            return self.people[key]
        kind, _, rest = key.partition(":")
        if kind == "agency":
            try:
                return f"Agency: {AGENCY_NAMES[AgencyId(rest)]}"
            except ValueError:
                return f"Agency: {rest}"
        if key == "emergency_duty_team":
            return "The emergency duty team"
        if key == "case_system":  # domain/case_export.py CASE_SYSTEM
            return "The case-management system"
        if key in self.services:
            return f"Service: {self.services[key]}"
        return key_title(key)

    @property
    def naming(self) -> Naming:
        return Naming(person=self.person, service=lambda service_id: self.services.get(service_id, service_id))


def key_title(key: str) -> str:
    """A key with no name to hand: `parent:1` -> "Parent or carer 2"."""
    kind, _, index = key.partition(":")
    try:
        title = KIND_TITLES[PersonKind(kind)]
    except ValueError:
        return key.replace("_", " ").capitalize()
    return f"{title} {int(index) + 1}" if index.isdigit() else title


def referral_names(submission: ReferralSubmission | None) -> ReferralNames:
    """Names from the decrypted submission; without one (a page that has not decrypted the
    referral), people by role and position only: "Parent or carer 1"."""
    from chalicelib.services.refer_on import service_directory
    from chalicelib.wiring import wiring

    services = {service_id: service.name for service_id, service in service_directory(wiring().settings).items()}
    if submission is None:
        return ReferralNames({}, "The referrer", services)
    people = {
        person.key: f"{KIND_TITLES[person.kind]}: {person.name or 'name not known'} ({person.relationship})"
        for person in people_of(submission)
    }
    return ReferralNames(people, f"Referrer: {submission.referrer.name}", services)


def actor_name(actor: str | None, role: str | None, entries: Entries, names: ReferralNames | None) -> str:
    """Who did it, as a sentence starts: a member of staff by name, a parent by role and name."""
    if role == "parent" and actor:
        return names.person(actor) if names else key_title(actor)
    if role in NOT_STAFF:
        return NOT_STAFF[role]
    return name_of(actor, entries) if actor else "The hub"


def anyone_name(actor: str | None, entries: Entries, names: ReferralNames | None) -> str:
    """Who a record says did something, where that may be staff or a parent (`parent:0`)."""
    kind, _, index = (actor or "").partition(":")
    if kind in {k.value for k in PersonKind} and index.isdigit():
        return names.person(actor or "") if names else key_title(actor or "")
    return name_of(actor, entries)


def history_lines(events: list[dict[str, Any]], entries: Entries, names: ReferralNames | None) -> list[dict[str, Any]]:
    """The picture's history as rows: number, when, and what happened in a sentence."""
    base = names.naming if names else Naming()
    lines = []
    for event in events:
        who = actor_name(event.get("actor"), event.get("role"), entries, names)
        # Staff named in the details (an allocation's from and to) by name too.
        naming = replace(base, staff=lambda staff_id: name_of(staff_id, entries), actor_id=event.get("actor"))
        sentence = audit_sentence(event["action"], event.get("details") or {}, who, naming)
        # "a former member of staff" starts a sentence too.
        lines.append(
            {"sequence": event["sequence"], "at": event["at"], "sentence": sentence[:1].upper() + sentence[1:]}
        )
    return lines
