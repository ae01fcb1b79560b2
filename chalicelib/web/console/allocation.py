"""Allocation in the console: "Assign to me", and a manager's "Assign to" (staff by name), on the
referral page; both post to the allocation action form, which calls what the admin route calls."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.staff import StaffMember
from chalicelib.web import admin as admin_api
from chalicelib.web.console.action_forms import ActionForm, register

# The select's value for "nobody" (the API takes null): unassigns the referral.
NOBODY = "nobody"


def _allocate(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.allocate import allocate_referral

    to = None if body.to == NOBODY else body.to
    return allocate_referral(reference, to=to, staff=staff, request_id=request_id)


def assignable() -> list[tuple[str, str]]:
    """Who a referral may be given to, by name (id, name): practitioners and managers."""
    from chalicelib.services.queue_people import casework_staff

    return [(entry.id, entry.name) for entry in casework_staff()]


ALLOCATION = register(
    ActionForm(
        slug="allocation",
        title="Assign the referral",
        api_route=admin_api.allocation,
        model=admin_api.AllocationRequest,
        perform=_allocate,
        done="Assignment saved",
        # Offered at the top of the referral page (owner, "Assign to me", a manager's select), not as a button.
        offered=lambda picture: False,
        blank_messages={"to": "Select who to assign the referral to"},
        choices=lambda: {"assignable": assignable(), "nobody": NOBODY},
        button="Assign",
    )
)
