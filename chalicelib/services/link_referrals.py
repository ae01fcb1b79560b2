"""Link two referrals, remove a link (a manager), mark one a duplicate of another.

Both referrals change in one transaction with an audit event on each (`ReferralStore.save_together`),
so a link never stands on one side only. If either changed meanwhile, the step is re-applied to a
fresh read of both, as `referral_changes` does for one referral; after a few tries, a 409.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from chalicelib.adapters.referrals import OpenReferral
from chalicelib.domain.audit import AuditAction, AuditEvent
from chalicelib.domain.duplicates import cancelled_notices, close_as_duplicate
from chalicelib.domain.failures import ReferralNotFound, StaleReferral
from chalicelib.domain.referral_links import (
    LinkKind,
    LinkProblem,
    ReferralLink,
    check_pair,
    current_link,
    with_link,
    without_link,
)
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.logs import logger
from chalicelib.services.referral_changes import MAX_TRIES, primary_role
from chalicelib.wiring import wiring

# One step on the pair: (this referral, the other) -> both changed, and each one's audit details.
PairStep = Callable[[Referral, Referral], tuple[Referral, Referral, dict[str, str], dict[str, str]]]


def link_referrals(
    reference: str, other: str, *, kind: LinkKind, reason: str, staff: StaffMember, request_id: str | None
) -> Referral:
    """Link `reference` to `other` (both ways); kind duplicate_of marks `reference` the duplicate."""
    if kind is LinkKind.DUPLICATE_OF:
        return mark_duplicate(reference, original=other, reason=reason, staff=staff, request_id=request_id)
    if kind is LinkKind.HAS_DUPLICATE:
        raise LinkProblem("To mark the other referral a duplicate of this one, open it and mark it there")
    now = wiring().clock()
    link = ReferralLink(other, kind, staff.id, now, reason)

    def step(this: Referral, that: Referral) -> tuple[Referral, Referral, dict[str, str], dict[str, str]]:
        mirrored = link.mirrored(this.reference)
        return (
            replace(this, links=with_link(this.links, link)),
            replace(that, links=with_link(that.links, mirrored)),
            {"other": that.reference, "kind": link.kind.value},
            {"other": this.reference, "kind": mirrored.kind.value},
        )

    return _change_pair(reference, other, staff, request_id, (AuditAction.REFERRAL_LINKED,) * 2, step)


def unlink_referrals(
    reference: str, other: str, *, reason: str, staff: StaffMember, request_id: str | None
) -> Referral:
    """Remove the standing link between the two (a manager's act; the route declares it), on both."""
    now = wiring().clock()

    def step(this: Referral, that: Referral) -> tuple[Referral, Referral, dict[str, str], dict[str, str]]:
        kind = current_link(this.links, that.reference)
        return (
            replace(this, links=without_link(this.links, that.reference, by=staff.id, at=now, reason=reason)),
            replace(that, links=without_link(that.links, this.reference, by=staff.id, at=now, reason=reason)),
            {"other": that.reference, "kind": kind.kind.value if kind else ""},
            {"other": this.reference, "kind": kind.kind.value if kind else ""},
        )

    return _change_pair(reference, other, staff, request_id, (AuditAction.REFERRAL_UNLINKED,) * 2, step)


def mark_duplicate(
    reference: str, *, original: str, reason: str, staff: StaffMember, request_id: str | None
) -> Referral:
    """Close `reference` as a duplicate of `original`, linked both ways; its unsent family notices cancelled."""
    hub = wiring()
    now, years = hub.clock(), hub.settings.retention_years_by_outcome

    def step(this: Referral, that: Referral) -> tuple[Referral, Referral, dict[str, str], dict[str, str]]:
        closed, mirrored = close_as_duplicate(
            this, that.reference, by=staff.id, now=now, reason=reason, years_by_outcome=years
        )
        details = {"duplicate_of": that.reference, "cancelled_notices": ",".join(cancelled_notices(this, closed))}
        original_side = replace(that, links=with_link(that.links, mirrored, superseding=True))
        return closed, original_side, details, {"other": this.reference, "kind": mirrored.kind.value}

    return _change_pair(
        reference, original, staff, request_id, (AuditAction.CLOSED_AS_DUPLICATE, AuditAction.REFERRAL_LINKED), step
    )


def _change_pair(
    reference: str,
    other: str,
    staff: StaffMember,
    request_id: str | None,
    actions: tuple[AuditAction, AuditAction],
    step: PairStep,
) -> Referral:
    check_pair(reference, other)
    hub = wiring()
    for _ in range(MAX_TRIES):
        this = hub.referrals.open(reference)
        try:
            that = hub.referrals.open(other)
        except ReferralNotFound:
            raise LinkProblem(
                f"No referral has the reference {other}: check it (a referral deleted at the end of its "
                "retention period cannot be linked)"
            ) from None
        # The same rule as every change: a closed referral takes only what it may (links do; closing does not).
        this.referral.check_changeable(actions[0])
        that.referral.check_changeable(actions[1])
        changed_this, changed_that, this_details, that_details = step(this.referral, that.referral)
        changes = [
            (this, changed_this, [_event(this, actions[0], staff, request_id, this_details)]),
            (that, changed_that, [_event(that, actions[1], staff, request_id, that_details)]),
        ]
        try:
            saved, _ = hub.referrals.save_together(changes)
        except StaleReferral:
            continue
        logger.info("referrals linked", extra={"reference": reference, "other": other, "action": actions[0].value})
        return saved
    raise StaleReferral(reference)


def _event(
    opened: OpenReferral, action: AuditAction, staff: StaffMember, request_id: str | None, details: dict[str, str]
) -> AuditEvent:
    hub = wiring()
    event, _head = opened.referral.audit_head.append(
        opened.referral.reference,
        action,
        at=hub.clock(),
        actor=staff.id,
        role=primary_role(staff),
        request_id=request_id,
        key=hub.audit_key,
        details=details,
    )
    return event
