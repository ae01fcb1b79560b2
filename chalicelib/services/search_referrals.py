"""Find referrals by a name, a date of birth, a postcode or a reference, alone or together.

Each term asked for is hashed with the blind-index key and looked up in the search index (one
Query each); a referral is found when it is under every term. The newest `MAX_RESULTS` are shown
with their status (one BatchGetItem) and a card to recognise the family (the children's first
names and dates of birth), opened under a key derived from the blind-index key: no KMS call for a
page of results once the container has unwrapped that key (one, the first time). Opening a
referral found is the usual audited read (`view_referral`).

Every search is audited in the searcher's own chain (how many found, and which kinds of detail
were given, never the terms) and counted against a per-person rate limit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib.adapters.referrals.search_index import SearchEntry
from chalicelib.adapters.search_cards import CardUnreadable
from chalicelib.adapters.staff_audit import chain_name
from chalicelib.domain.audit import AuditAction, AuditEvent, ChainHead
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.rate_limit import RateLimit, client_key
from chalicelib.domain.search_terms import SearchQuery, SearchTooBroad
from chalicelib.domain.staff import StaffMember
from chalicelib.services.referral_changes import primary_role
from chalicelib.wiring import wiring

MAX_RESULTS = 50
# A term under more referrals than this is refused as too broad: reading its entries would cost
# more than the answer is worth (and a common surname alone is one of them at 10,000 referrals).
MAX_CANDIDATES = 1000


class SearchRateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too many searches")
        self.retry_after = retry_after


@dataclass(frozen=True)
class FoundChild:
    first_name: str
    date_of_birth: dt.date | None


@dataclass(frozen=True)
class FoundReferral:
    reference: str
    status: ReferralStatus
    received_at: dt.datetime
    children: tuple[FoundChild, ...]


@dataclass(frozen=True)
class SearchResults:
    referrals: list[FoundReferral]
    # More referrals matched than are shown: the search should say more to find the one wanted.
    more: bool


def search_referrals(query: SearchQuery, *, staff: StaffMember, request_id: str | None) -> SearchResults:
    hub = wiring()
    _count_against_limit(staff)
    index = hub.blind_index
    keys = [index.hash(term) for term in query.terms]
    found: dict[str, SearchEntry] | None = None
    for key in keys:
        entries = hub.referrals.search_entries(key, limit=MAX_CANDIDATES + 1)
        if len(entries) > MAX_CANDIDATES:
            raise SearchTooBroad(
                "search_too_broad",
                "This search matches too many referrals: add a date of birth, a postcode or the whole name",
            )
        these = {entry.reference: entry for entry in entries}
        found = these if found is None else {ref: entry for ref, entry in found.items() if ref in these}
        if not found:
            break  # nothing can match all the terms: no need to read the others
    newest = sorted((found or {}).values(), key=lambda entry: entry.received_at, reverse=True)
    page = newest[:MAX_RESULTS]
    rows = {row.reference: row for row in hub.referrals.search_rows([entry.reference for entry in page])}
    results = []
    for entry in page:
        row = rows.get(entry.reference)
        # An entry whose referral is gone, or does not carry every term (never expected), is not shown.
        if row is None or not set(keys) <= row.search_keys:
            continue
        results.append(FoundReferral(row.reference, row.status, row.received_at, _children(entry)))
    _audit(staff, request_id, len(results), query.kinds)
    return SearchResults(results, more=len(newest) > MAX_RESULTS)


def _children(entry: SearchEntry) -> tuple[FoundChild, ...]:
    if not entry.card:
        return ()
    try:
        card = wiring().search_cards.open(entry.reference, entry.card)
    except CardUnreadable:
        return ()  # shown by reference, status and date alone; opening it reads it whole
    return tuple(
        FoundChild(child["first_name"], dt.date.fromisoformat(born) if (born := child["date_of_birth"]) else None)
        for child in card
    )


def _count_against_limit(staff: StaffMember) -> None:
    hub = wiring()
    limit = RateLimit("search", hub.settings.rate_limit_search_requests, hub.settings.rate_limit_window_seconds)
    if not limit.enabled:
        return
    now = hub.clock()
    window = limit.window_at(now)
    if not hub.rate_limits.take(
        client_key(f"staff:{staff.id}", hub.settings.hmac_secret), limit.scope, window, limit.requests
    ):
        raise SearchRateLimited(window.retry_after(now))


def _audit(staff: StaffMember, request_id: str | None, results: int, kinds: tuple[str, ...]) -> None:
    hub = wiring()

    def event(head: ChainHead) -> AuditEvent:
        built, _ = head.append(
            chain_name(staff.id),
            AuditAction.SEARCHED,
            at=hub.clock(),
            actor=staff.id,
            role=primary_role(staff),
            request_id=request_id,
            key=hub.audit_key,
            details={"results": str(results), "searched_by": ",".join(kinds)},
        )
        return built

    hub.staff_audit.append(staff.id, event)
