"""The partner agencies of the MASH (mash-guidance.txt §1) and how to reach each one.

The agencies are fixed: each has its own queue and handler in the package (deploy/names.py).
How to reach them is configuration per stage (`MASH_AGENCIES`): the mailbox that receives
information requests, the sender domains allowed to answer, and a contact for escalation.
The local stage gets a synthetic directory (.example addresses); any other stage gets none
until configured, so a real hub never emails a made-up address.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum


class AgencyId(StrEnum):
    POLICE = "police"
    HEALTH = "health"
    EDUCATION = "education"
    PROBATION = "probation"
    HOUSING = "housing"
    EARLY_HELP = "early_help"
    YOUTH_OFFENDING = "youth_offending"
    VICTIM_SUPPORT = "victim_support"

    @property
    def slug(self) -> str:
        """The agency in resource names (queues, functions): `early-help`."""
        return self.value.replace("_", "-")


AGENCY_NAMES: dict[AgencyId, str] = {
    AgencyId.POLICE: "Police",
    AgencyId.HEALTH: "Health",
    AgencyId.EDUCATION: "Education",
    AgencyId.PROBATION: "Probation",
    AgencyId.HOUSING: "Housing",
    AgencyId.EARLY_HELP: "Early Help",
    AgencyId.YOUTH_OFFENDING: "Youth Offending Service",
    AgencyId.VICTIM_SUPPORT: "Victim Support",
}


class DirectoryProblem(ValueError):
    """The configured directory is not usable: said at start-up, not when a child's enquiry is due."""


@dataclass(frozen=True)
class Agency:
    id: AgencyId
    name: str
    mailbox: str  # where information requests go
    reply_domains: tuple[str, ...]  # sender domains allowed to answer (lower case)
    escalation_contact: str  # who hears when an enquiry is overdue twice

    def may_reply_from(self, sender_domain: str) -> bool:
        """Exact domain or a subdomain of it (`mail.police.example` for `police.example`)."""
        domain = sender_domain.lower().rstrip(".")
        return any(domain == allowed or domain.endswith("." + allowed) for allowed in self.reply_domains)


def _local(agency: AgencyId, domain: str) -> Agency:
    return Agency(
        id=agency,
        name=AGENCY_NAMES[agency],
        mailbox=f"mash-checks@{domain}",
        reply_domains=(domain,),
        escalation_contact=f"mash-lead@{domain}",
    )


LOCAL_DIRECTORY: tuple[Agency, ...] = (
    _local(AgencyId.POLICE, "police.example"),
    _local(AgencyId.HEALTH, "health.example"),
    _local(AgencyId.EDUCATION, "schools.example"),
    _local(AgencyId.PROBATION, "probation.example"),
    _local(AgencyId.HOUSING, "housing.example"),
    _local(AgencyId.EARLY_HELP, "early-help.example"),
    _local(AgencyId.YOUTH_OFFENDING, "yos.example"),
    _local(AgencyId.VICTIM_SUPPORT, "victim-support.example"),
)


def parse_directory(text: str) -> tuple[Agency, ...]:
    """`MASH_AGENCIES`: JSON `[{"id", "mailbox", "reply_domains": [...], "escalation_contact", "name"?}]`."""
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as error:
        raise DirectoryProblem(f"MASH_AGENCIES is not JSON: {error.msg} at line {error.lineno}") from None
    if not isinstance(entries, list):
        raise DirectoryProblem("MASH_AGENCIES must be a JSON list of agencies")
    agencies = []
    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise DirectoryProblem(f"MASH_AGENCIES entry {position} must be an object")
        missing = [key for key in ("id", "mailbox", "reply_domains", "escalation_contact") if not entry.get(key)]
        if missing:
            raise DirectoryProblem(f"MASH_AGENCIES entry {position} needs: {', '.join(missing)}")
        try:
            agency = AgencyId(entry["id"])
        except ValueError:
            known = ", ".join(a.value for a in AgencyId)
            raise DirectoryProblem(f"MASH_AGENCIES entry {position}: unknown agency id; use one of {known}") from None
        domains = entry["reply_domains"]
        if not isinstance(domains, list) or not all(isinstance(d, str) and d for d in domains):
            raise DirectoryProblem(f"MASH_AGENCIES entry {position}: reply_domains must be a list of domains")
        agencies.append(
            Agency(
                id=agency,
                name=str(entry.get("name") or AGENCY_NAMES[agency]),
                mailbox=str(entry["mailbox"]),
                reply_domains=tuple(d.lower().rstrip(".") for d in domains),
                escalation_contact=str(entry["escalation_contact"]),
            )
        )
    ids = [a.id for a in agencies]
    if len(set(ids)) != len(ids):
        raise DirectoryProblem("MASH_AGENCIES names an agency twice")
    return tuple(agencies)


@dataclass(frozen=True)
class AgencyDirectory:
    agencies: tuple[Agency, ...]

    def get(self, agency: AgencyId) -> Agency | None:
        return next((a for a in self.agencies if a.id is agency), None)

    def __contains__(self, agency: object) -> bool:
        return any(a.id == agency for a in self.agencies)
