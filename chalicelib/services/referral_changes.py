"""The one way staff change a referral: read, apply a domain step, save it with its audit event.

If someone else changed the referral meanwhile, the step is re-applied to a fresh read (the
domain re-checks whether it is still allowed), so concurrent staff never overwrite each other.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.adapters.referrals import OpenReferral
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.failures import StaleReferral
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.logs import logger
from chalicelib.wiring import wiring

MAX_TRIES = 3


def primary_role(staff: StaffMember) -> str:
    """The role recorded in the audit: the most senior the staff member holds."""
    for role in ("mash-manager", "mash-practitioner", "mash-auditor", "mash-edt"):
        if role in staff.roles:
            return role
    return "none"


def change_referral(
    reference: str,
    staff: StaffMember,
    request_id: str | None,
    action: AuditAction,
    step: Callable[[Referral], Referral],
    details: Callable[[Referral], dict[str, str]] | None = None,
    *,
    role: str | None = None,
) -> Referral:
    hub = wiring()
    for _ in range(MAX_TRIES):
        opened: OpenReferral = hub.referrals.open(reference)
        # One rule for every change, before the step: a closed referral is read-only.
        opened.referral.check_changeable(action)
        changed = step(opened.referral)
        event, _head = opened.referral.audit_head.append(
            reference,
            action,
            at=hub.clock(),
            actor=staff.id,
            # A parent answering a consent request is audited as "parent", not as a staff role.
            role=role or primary_role(staff),
            request_id=request_id,
            key=hub.audit_key,
            details=details(changed) if details else {},
        )
        try:
            saved = hub.referrals.save(opened, changed, [event])
        except StaleReferral:
            continue
        logger.info(
            "referral changed", extra={"reference": reference, "action": action.value, "status": saved.status.value}
        )
        return saved
    raise StaleReferral(reference)
