"""Changing who in the family the MASH contacts (the contact plan), and owing what that allows."""

from __future__ import annotations

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.contact_plan import ContactDecision, entry_for
from chalicelib.domain.outcome_notices import owe_held_outcome_notices
from chalicelib.domain.parents_told import tell_parents
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.services.referral_changes import change_referral
from chalicelib.services.tell_outcome import send_owed_notices
from chalicelib.wiring import wiring


def change_contact_plan(
    reference: str, *, change: ContactDecision, staff: StaffMember, request_id: str | None
) -> Referral:
    """One person's plan changed, in one audited save with what it now owes or withdraws: someone
    newly told gets the notices already given to the others (parents told, a standing outcome);
    someone no longer told loses any email to them not yet sent."""
    now = wiring().clock()

    def step(referral: Referral) -> Referral:
        changed = referral.decide_contact(change, staff.roles)
        return owe_held_outcome_notices(tell_parents(changed, now), now, staff.id)

    def details(referral: Referral) -> dict[str, str]:
        entry = entry_for(referral.contact_plan, change.person)
        # Codes only: the reason stays sealed on the referral.
        return {
            "person": change.person,
            "told": str(bool(entry and entry.told)).lower(),
            "why": entry.why.value if entry else "",
        }

    saved = change_referral(reference, staff, request_id, AuditAction.CONTACT_PLAN_CHANGED, step, details)
    return send_owed_notices(saved)
