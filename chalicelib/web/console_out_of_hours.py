"""The staff console's handover form for the emergency duty team (an `ActionForm`, see console/action_forms.py).

Imported by app.py before the console blueprint is registered, so its pages are registered with it.
Its roles, body model and service are the API's (`admin_out_of_hours.handover`).
"""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.domain.staff import StaffMember
from chalicelib.web import admin_out_of_hours
from chalicelib.web.console import ActionForm, Visit, console, console_route, register
from chalicelib.web.form_fields import PageErrors
from chalicelib.web.form_http import redirect
from chalicelib.web.request_parts import query_of


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


# --- the emergency duty team's start page ---------------------------------------------------------

OUT_OF_HOURS_PATH = "/staff/out-of-hours"


@console_route(OUT_OF_HOURS_PATH, methods=["GET"], roles=admin_out_of_hours.EMERGENCY_DUTY_TEAM)
def out_of_hours_start(visit: Visit) -> Response:
    """Where the EDT lands after signing in without a link: open a referral by the reference in its
    alert. Navigation only: nothing is read here (the referral page reads it, audited, and refuses a
    referral the EDT was not alerted to)."""
    from chalicelib.domain.reference import normalise
    from chalicelib.web.console import _page, referral_href

    raw = query_of(console.current_request).get("reference")
    errors = PageErrors()
    if raw is not None:
        reference = normalise(raw)
        if reference is not None:
            return redirect(referral_href(reference))
        errors.add("reference", "Enter the reference from the alert email, like K7Q-F3M-RW9")
    return _page(
        "staff/out_of_hours.html",
        status=400 if errors else 200,
        me=visit.me,
        value=raw or "",
        errors=errors.messages,
        error_list=errors.summary(),
    )
