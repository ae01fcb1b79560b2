"""Synthetic people only: .example domains and Ofcom's drama numbers. One place for test data."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

# In the repository, so a council's clone tests on its own (nothing is read from beside it).
EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE_NAMES = (
    "referral-support.json",
    "referral-protection.json",
    "referral-support-no-consent.json",
    "referral-protection-household.json",
)


def example(name: str = "referral-support.json") -> dict[str, Any]:
    """One of the example referrals in examples/, as the JSON API must accept them."""
    return json.loads((EXAMPLES_DIR / name).read_text())


def support_referral(**changes: Any) -> dict[str, Any]:
    return _changed(example("referral-support.json"), changes)


def protection_referral(**changes: Any) -> dict[str, Any]:
    return _changed(example("referral-protection.json"), changes)


def _changed(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for dotted, value in changes.items():
        set_path(data, dotted, value)
    return data


def set_path(data: Any, dotted: str, value: Any) -> None:
    """Set `children.0.date_of_birth`-style paths; the value `...` (Ellipsis) deletes the key."""
    *parents, last = dotted.split(".")
    for part in parents:
        data = data[int(part)] if isinstance(data, list) else data[part]
    key: Any = int(last) if isinstance(data, list) else last
    if value is ...:
        del data[key]
    else:
        data[key] = value


CANARY = "CANARY"


def canary_referral(route: str = "support") -> tuple[dict[str, Any], list[str]]:
    """A referral with a distinct canary in every personal text field; returns it and the canaries."""
    # The protection one names every kind of person (household, a person who may pose a risk).
    base = support_referral() if route == "support" else example("referral-protection-household.json")
    canaries: list[str] = []

    def mark(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            return {k: mark(v, f"{path}.{k}") for k, v in node.items()}
        if isinstance(node, list):
            return [mark(v, f"{path}.{i}") for i, v in enumerate(node)]
        if isinstance(node, str) and path.split(".")[1] in PERSONAL_TEXT_SECTIONS and not _is_coded(path):
            token = f"{CANARY}{len(canaries):03d}zq"
            marked = _canary_for(path, node, token)
            if marked != node:
                canaries.append(token)
            return marked
        return node

    return mark(base, "$"), canaries


PERSONAL_TEXT_SECTIONS = {
    "referrer",
    "children",
    "parents_carers",
    "household_members",
    "people_posing_risk",
    "concerns",
    "consent",
    "parents_informed",
}
# Fields whose values are codes (enums, dates), not free text: a canary can't go in them.
_CODED = {
    "route", "kind", "agency", "gender", "status", "given_on", "date_of_birth", "expected_date", "categories",
    "proposed_level",  # 1 to 4, or "not_sure"
}  # fmt: skip


def _is_coded(path: str) -> bool:
    parts = path.split(".")
    return any(part in _CODED for part in parts)


def _canary_for(path: str, original: str, token: str) -> str:
    field = path.rsplit(".", 1)[-1]
    if field == "email":
        return f"{token.lower()}@family.example"
    if field in {"phone", "postcode"}:
        return original  # shaped values: the originals themselves are searched for instead
    return f"{original} {token}"


def staff_entries() -> list[Any]:
    """The synthetic staff directory of the in-memory hub: two practitioners, a manager, an auditor."""
    from chalicelib.domain.staff import Role, StaffEntry

    return [
        StaffEntry("staff-pat", "Pat Practitioner", frozenset({Role.PRACTITIONER})),
        StaffEntry("staff-sam", "Sam Second", frozenset({Role.PRACTITIONER})),
        StaffEntry("staff-morgan", "Morgan Manager", frozenset({Role.MANAGER})),
        StaffEntry("staff-alex", "Alex Auditor", frozenset({Role.AUDITOR})),
    ]


def in_memory_hub(now: Any) -> Any:
    """A fresh wiring of in-memory twins (store, mailer, suppressions, staff directory, search cards,
    consent requests, agency replies, triage, document records, saved drafts, rate limits, staff
    sessions) and a fixed clock, for service tests that need no moto; call `chalicelib.wiring.reset()` after."""
    from chalicelib.adapters.agency_replies_memory import InMemoryReplyStore, InMemoryTriageStore
    from chalicelib.adapters.consent_requests import InMemoryConsentRequestStore
    from chalicelib.adapters.drafts import InMemoryDraftStore
    from chalicelib.adapters.envelope import FieldCipher, LocalKeyProvider
    from chalicelib.adapters.mailer import InMemoryMailer
    from chalicelib.adapters.rate_limits import InMemoryRateLimitStore
    from chalicelib.adapters.referral_attachments import InMemoryAttachmentRecords
    from chalicelib.adapters.referrals import InMemoryReferralStore
    from chalicelib.adapters.search_cards import SearchCards
    from chalicelib.adapters.staff_directory import InMemoryStaffDirectory
    from chalicelib.adapters.staff_sessions import InMemoryStaffSessionStore
    from chalicelib.adapters.suppression import InMemorySuppressionList
    from chalicelib.settings import Settings
    from chalicelib.wiring import reset

    settings = Settings(stage="local")
    cipher = FieldCipher(LocalKeyProvider())
    hub = reset(
        settings,
        clock=lambda: now,
        referrals=InMemoryReferralStore(cipher),
        mailer=InMemoryMailer(),
        suppressions=InMemorySuppressionList(b"test-suppression-key"),
        staff_directory=InMemoryStaffDirectory(staff_entries()),
        search_cards=SearchCards(b"k" * 32),
        consent_requests=InMemoryConsentRequestStore(),
        replies=InMemoryReplyStore(),
        triage=InMemoryTriageStore(),
        attachment_records=InMemoryAttachmentRecords(),
        rate_limits=InMemoryRateLimitStore(),
        staff_sessions=InMemoryStaffSessionStore(cipher),
    )
    # Drafts expire by the hub's clock, which a test may move on.
    hub.use(drafts=InMemoryDraftStore(cipher, dt.timedelta(minutes=settings.draft_ttl_minutes), lambda: hub.clock()))
    return hub


def stored_referral(hub: Any, now: Any, reference: str = "K7Q-F3M-RW9", *, card: bool = False) -> Any:
    """A support referral just received (its acknowledgement owed), added to the hub's store;
    `card`: with its sealed search card, as a submission stores it (the queue names the children)."""
    from chalicelib.domain.referral import ReferralSubmission
    from chalicelib.domain.referral_record import Channel, Referral

    referral = Referral.receive(
        reference,
        ReferralSubmission.model_validate(example()),
        channel=Channel.API,
        now=now,
        request_fingerprint="f" * 64,
        idempotency_key_hash=None,
    )
    if card:
        from chalicelib.domain.search_terms import search_card

        hub.referrals.add(referral, search_card=hub.search_cards.seal(reference, search_card(referral.submission)))
    else:
        hub.referrals.add(referral)
    return referral
