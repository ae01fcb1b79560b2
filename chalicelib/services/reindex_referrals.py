"""Re-index stored referrals: search entries for those stored before search existed, and "known
before" keys hashed again with today's name folding.

Each referral is read whole (one KMS Decrypt), its child keys, search keys and search card made
exactly as `submit_referral` makes them, and, only where they differ from what is stored, written
with its version in one transaction (`ReferralStore.reindex`). Idempotent: a second run finds
every referral's keys as computed and writes nothing. A referral changed while it was being read
is left for the next run (it is counted, never half-written). Nothing is logged but counts.

Run it once after deploying a change to the folding or the terms, with the stage's settings
and credentials:

    python -m chalicelib.services.reindex_referrals
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.failures import ReferralNotFound, StaleReferral
from chalicelib.domain.search_terms import referral_terms, search_card
from chalicelib.logs import logger
from chalicelib.services.submit_referral import _child_keys as child_index_keys
from chalicelib.wiring import wiring


@dataclass(frozen=True)
class ReindexReport:
    examined: int
    reindexed: int
    unchanged: int
    changed_meanwhile: int  # changed by someone while read: the next run re-indexes them


def reindex_referral(reference: str) -> bool:
    """Bring one referral's index keys up to date; True if anything was written."""
    hub = wiring()
    opened = hub.referrals.open(reference)
    referral, submission = opened.referral, opened.referral.submission
    search_keys = tuple(dict.fromkeys(hub.blind_index.hash(term) for term in referral_terms(reference, submission)))
    return hub.referrals.reindex(
        referral,
        child_keys=child_index_keys(submission),
        search_keys=search_keys,
        search_card=hub.search_cards.seal(reference, search_card(submission)),
        card_missing=opened.card is None,  # stored before the queue showed first names and ages
    )


def reindex_all() -> ReindexReport:
    references = wiring().referrals.stored_references()
    reindexed = unchanged = changed = 0
    for reference in references:
        try:
            if reindex_referral(reference):
                reindexed += 1
            else:
                unchanged += 1
        except StaleReferral:
            changed += 1
        except ReferralNotFound:
            unchanged += 1  # deleted by retention since it was listed: nothing to index
    report = ReindexReport(len(references), reindexed, unchanged, changed)
    logger.info("referrals re-indexed", extra=vars(report))
    return report


def main() -> None:
    report = reindex_all()
    print(
        f"{report.examined} referrals: {report.reindexed} re-indexed, {report.unchanged} already up to date, "
        f"{report.changed_meanwhile} changed while read (run again for those)"
    )


if __name__ == "__main__":
    main()
