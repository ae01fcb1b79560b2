"""A referral's whole picture for staff: decrypted once, and the read itself audited first."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.adapters.referrals import OpenReferral, ReferralSummary
from chalicelib.domain.agency_replies import AgencyReply
from chalicelib.domain.attachments import ReferralAttachment
from chalicelib.domain.audit import AccessReason, AuditAction, AuditEvent
from chalicelib.domain.lifecycle import allowed_actions
from chalicelib.domain.out_of_hours import check_may_open
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.services.audited_reads import read_with_audit, reason_details
from chalicelib.wiring import wiring


def known_before(referral: Referral) -> list[ReferralSummary]:
    """Other referrals of any of this referral's children; none of them is decrypted."""
    seen: dict[str, ReferralSummary] = {}
    for child_key in referral.child_keys:
        for summary in wiring().referrals.referrals_of_child(child_key, exclude=referral.reference):
            seen.setdefault(summary.reference, summary)
    return sorted(seen.values(), key=lambda summary: summary.received_at)


@dataclass(frozen=True)
class ReferralView:
    referral: Referral
    history: list[AuditEvent]
    allowed_actions: list[str]
    # Earlier (and later) referrals of the same child(ren), found by keyed hash: metadata only.
    known_before: list[ReferralSummary]
    # Agencies' answers to the enquiries, sealed under the referral's key (no further KMS call).
    replies: list[AgencyReply] = field(default_factory=list)
    # Documents the referrer added (kept or refused), names sealed under the referral's key too.
    attachments: list[ReferralAttachment] = field(default_factory=list)


def view_referral(
    reference: str, *, staff: StaffMember, request_id: str | None, reason: AccessReason | None = None
) -> ReferralView:
    from chalicelib.services.referral_attachments import attachments_of

    def look(opened: OpenReferral) -> tuple[None, dict[str, str]]:
        check_may_open(opened.referral, staff.roles)
        return None, reason_details(opened.referral, reason)

    hub = wiring()
    read = read_with_audit(reference, AuditAction.VIEWED, staff=staff, request_id=request_id, look=look)
    opened, referral = read.opened, read.opened.referral
    history, _head = hub.referrals.audit_trail(reference)
    return ReferralView(
        referral,
        history,
        [a.value for a in allowed_actions(referral.status)],
        known_before(referral),
        hub.replies.replies_of(reference, opened.sealed) if referral.enquiries else [],
        attachments_of(opened),
    )
