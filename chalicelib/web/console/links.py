"""Links between referrals in the console: link another referral, mark a duplicate, remove a link.

Each is an `ActionForm` over the admin API's links routes (their roles, their body model), so the
rules and messages are the API's. The referral page lists the links, and its "known before" list
offers to link each match as the same child in one click.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import StringConstraints

from chalicelib.domain.referral_links import LINK_LABELS, LinkKind
from chalicelib.domain.staff import StaffMember
from chalicelib.web.admin import links as admin_links
from chalicelib.web.console.action_forms import ActionForm, register

# Offered on the "link" form; a duplicate has its own form, since it closes the referral.
LINKED_KINDS = (LinkKind.SAME_CHILD, LinkKind.SIBLINGS, LinkKind.SAME_HOUSEHOLD)


class ConsoleUnlink(admin_links.UnlinkRequest):
    """The console's form of it: the link to remove is chosen on the page, not in the path."""

    other: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


def _unlink(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    return admin_links.perform_unlink(reference, body.other, body, staff, request_id)


def _standing(picture: dict[str, Any]) -> list[dict[str, Any]]:
    return [link for link in picture.get("links", []) if link["current"]]


def _removable(view: Any) -> dict[str, Any]:
    """The standing links a manager may remove (a duplicate's link stays), from the page's own read."""
    return {
        "removable": [
            (link.other, LINK_LABELS[link.kind])
            for link in view.referral.links
            if link.current and link.kind not in (LinkKind.DUPLICATE_OF, LinkKind.HAS_DUPLICATE)
        ]
    }


LINK = register(
    ActionForm(
        slug="link",
        title="Link another referral",
        api_route=admin_links.link,
        model=admin_links.LinkRequest,
        perform=admin_links.perform_link,
        done="Referrals linked: the link shows on both",
        offered=lambda picture: True,  # a closed referral still takes a link (a new concern about the child)
        blank_messages={
            "other": "Enter the other referral's reference",
            "kind": "Select how the referrals are linked",
            "reason": "Enter why they are linked",
        },
        choices=lambda: {"kinds": [(kind.value, LINK_LABELS[kind]) for kind in LINKED_KINDS]},
        button="Link the referrals",
    )
)

DUPLICATE = register(
    ActionForm(
        slug="duplicate",
        title="Mark as a duplicate",
        api_route=admin_links.link,
        model=admin_links.LinkRequest,
        perform=admin_links.perform_link,
        done="Closed as a duplicate and linked to the original",
        offered=lambda picture: picture["status"] != "closed",
        blank_messages={
            "other": "Enter the reference of the referral this one duplicates",
            "reason": "Enter why it is a duplicate",
        },
        button="Close as a duplicate",
    )
)

UNLINK = register(
    ActionForm(
        slug="unlink",
        title="Remove a link",
        api_route=admin_links.link_removal,
        model=ConsoleUnlink,
        perform=_unlink,
        done="Link removed from both referrals",
        offered=lambda picture: any(
            link["kind"] not in ("duplicate_of", "has_duplicate") for link in _standing(picture)
        ),
        blank_messages={"other": "Select the link to remove", "reason": "Enter why the link is wrong"},
        record_choices=_removable,
        button="Remove the link",
    )
)
