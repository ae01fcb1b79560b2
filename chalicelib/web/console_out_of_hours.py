"""The staff console's handover form for the emergency duty team (an `ActionForm`, see console.py).

Imported by app.py before the console blueprint is registered, so its pages are registered with it.
Its roles, body model and service are the API's (`admin_out_of_hours.handover`).
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.staff import StaffMember
from chalicelib.web import admin_out_of_hours
from chalicelib.web.console import ActionForm, register


def _hand_over(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.out_of_hours import hand_over

    return hand_over(reference, note=body.note, handed_over=body.handed_over, staff=staff, request_id=request_id)


HANDOVER = register(
    ActionForm(
        slug="handover",
        title="Record the emergency duty team's handover",
        api_route=admin_out_of_hours.handover,
        model=admin_out_of_hours.HandoverRequest,
        perform=_hand_over,
        done="Handover note recorded: the day team sees it with the referral",
        # Only referrals the EDT was alerted to, while open; the domain refuses the rest anyway.
        offered=lambda picture: picture.get("out_of_hours") is not None and picture["status"] != "closed",
        blank_messages={"note": "Enter what the emergency duty team did, for the day team"},
        button="Save handover note",
    )
)
