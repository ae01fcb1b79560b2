"""The information-governance pages a public service needs: the privacy notice, the accessibility
statement and the cookies page (GOV.UK patterns), linked from every public page's footer.

What they say comes from the code's own declarations (`domain/processing_records`, the lawful
bases, the retention rules, the cookies' constants) and the stage's settings: the council's name,
its agency and service directories, retention overrides and the council's own facts (its data
protection officer, ICO registration, statement dates, the accessibility contact and who enforces
the accessibility regulations where it is). Those facts have synthetic defaults in the
local stage; elsewhere, one not set is said plainly on the page ("not yet set") rather than
stopping the hub: a missing line of text must not stop a child's referral being taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalice import Blueprint
from chalice.app import Response

from chalicelib.domain.lawful_basis import BASIS_WORDS, LEGAL_GROUNDS
from chalicelib.domain.processing_records import OTHER_RECORDS, PROCESSORS, PURPOSES, SECTIONS, retention_years
from chalicelib.settings import Settings, get_settings
from chalicelib.web.cookie_list import public_cookies, staff_cookies
from chalicelib.web.form_http import page

governance_pages = Blueprint(__name__)

PRIVACY = "/privacy"
ACCESSIBILITY = "/accessibility-statement"
COOKIES = "/cookies"

# The local stage's council facts: plainly synthetic, never a real office or registration.
LOCAL_FACTS = {
    "data_protection_officer": "data-protection@council.example",
    "ico_registration_number": "Z0000000 (an example: not a real registration)",
    "accessibility_statement_prepared_on": "2026-11-02",
    "accessibility_tested_on": "2026-11-02",
}
NOT_SET = "not yet set"


@dataclass(frozen=True)
class Enforcement:
    """Who enforces the accessibility regulations, and where a person unhappy with our answer goes."""

    enforcer: str
    complaints_body: str
    complaints_url: str


# The accessibility statement's enforcement procedure, by MASH_ACCESSIBILITY_ENFORCEMENT (GOV.UK's
# sample statement has one wording for England, Scotland and Wales and one for Northern Ireland).
ENFORCEMENT = {
    "great_britain": Enforcement(
        enforcer="The Equality and Human Rights Commission (EHRC)",
        complaints_body="the Equality Advisory and Support Service (EASS)",
        complaints_url="https://www.equalityadvisoryservice.com/",
    ),
    "northern_ireland": Enforcement(
        enforcer="The Equality Commission for Northern Ireland",
        complaints_body="the Equality Commission for Northern Ireland",
        complaints_url="https://www.equalityni.org/Home",
    ),
}


def council_facts(settings: Settings) -> dict[str, str | None]:
    """The council's own facts; None for one not set outside the local stage (the page says so)."""
    facts: dict[str, str | None] = {}
    for name, local in LOCAL_FACTS.items():
        value = getattr(settings, name)
        facts[name] = value or (local if settings.is_local else None)
    return facts


def missing_facts(settings: Settings) -> list[str]:
    """The settings still to set before going live (for `make ropa` and the pages)."""
    return [f"MASH_{name.upper()}" for name, value in council_facts(settings).items() if value is None]


@governance_pages.route(PRIVACY, methods=["GET"])
def privacy() -> Response:
    settings = get_settings()
    return page("governance/privacy.html", **privacy_context(settings))


@governance_pages.route(ACCESSIBILITY, methods=["GET"])
def accessibility() -> Response:
    settings = get_settings()
    return page("governance/accessibility.html", **accessibility_context(settings))


@governance_pages.route(COOKIES, methods=["GET"])
def cookies() -> Response:
    settings = get_settings()
    return page("governance/cookies.html", public=public_cookies(settings), staff=staff_cookies(settings))


def accessibility_context(settings: Settings) -> dict[str, Any]:
    return {
        "facts": council_facts(settings),
        "not_set": NOT_SET,
        "contact_email": settings.accessibility_contact_email or settings.mash_email,
        "enforcement": ENFORCEMENT[settings.accessibility_enforcement],
    }


def privacy_context(settings: Settings) -> dict[str, Any]:
    return {
        "facts": council_facts(settings),
        "not_set": NOT_SET,
        "sections": SECTIONS,
        "other_records": OTHER_RECORDS,
        "purposes": PURPOSES,
        "legal_grounds": LEGAL_GROUNDS,
        "bases": list(BASIS_WORDS.values()),
        "agencies": [agency.name for agency in settings.agency_directory.agencies],
        "services": [service["name"] for service in settings.onward_service_directory],
        "retention": retention_years(settings.retention_years_by_outcome),
        "processors": PROCESSORS,
    }
