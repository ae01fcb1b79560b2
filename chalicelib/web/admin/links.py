"""Links between referrals: link two (from either side), remove a link (managers), mark a duplicate."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from chalice import Response
from pydantic import AfterValidator, StringConstraints

from chalicelib.domain.referral import one_line
from chalicelib.web.admin.answers import answer_with
from chalicelib.web.admin.common import CASEWORK, MANAGERS, STAFF_BODY_LIMIT, _json, _reference, _request_id, admin
from chalicelib.web.admin.request_fields import StaffRequest
from chalicelib.web.admin.shaping import _iso, shaped
from chalicelib.web.auth import admin_route, current_staff
from chalicelib.web.json_body import ANY_BODY, parse_json

LINKS_PATH = "/admin/referrals/{reference}/links"
REMOVAL_PATH = LINKS_PATH + "/{other}/removal"

# A short reason, on one line: shown beside the link on both referrals.
LinkReason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), AfterValidator(one_line)
]


class LinkRequest(StaffRequest):
    other: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    kind: Literal["same_child", "siblings", "same_household", "duplicate_of"]
    reason: LinkReason


class UnlinkRequest(StaffRequest):
    reason: LinkReason


def other_reference(raw: str) -> str:
    """The other referral's reference as typed; a malformed one is unknown, and said so (422, not 404)."""
    from chalicelib.domain.reference import normalise
    from chalicelib.domain.referral_links import LinkProblem

    reference = normalise(raw)
    if reference is None:
        raise LinkProblem("That is not a referral reference: it looks like K7Q-F3M-RW9")
    return reference


def link_state(referral: Any) -> dict[str, Any]:
    from chalicelib.domain.referral_links import duplicate_of

    return {
        "reference": referral.reference,
        "status": referral.status.value,
        "duplicate_of": duplicate_of(referral.links),
        "links": [shown_link(link) for link in referral.links],
    }


def shown_link(link: Any) -> dict[str, Any]:
    from chalicelib.domain.referral_links import LINK_LABELS

    return {
        "other": link.other,
        "kind": link.kind.value,
        "kind_text": LINK_LABELS[link.kind],
        "linked_by": link.linked_by,
        "linked_at": _iso(link.linked_at),
        "reason": link.reason,
        "current": link.current,
        "removed_by": link.removed_by,
        "removed_at": _iso(link.removed_at),
        "removal_reason": link.removal_reason,
    }


def perform_link(reference: str, body: LinkRequest, staff: Any, request_id: str | None) -> Any:
    """The one service call, for this route and the console's form."""
    from chalicelib.domain.referral_links import LinkKind
    from chalicelib.services.link_referrals import link_referrals

    other = other_reference(body.other)
    return link_referrals(
        reference, other, kind=LinkKind(body.kind), reason=body.reason, staff=staff, request_id=request_id
    )


def perform_unlink(reference: str, other: str, body: UnlinkRequest, staff: Any, request_id: str | None) -> Any:
    from chalicelib.services.link_referrals import unlink_referrals

    return unlink_referrals(reference, other_reference(other), reason=body.reason, staff=staff, request_id=request_id)


@admin_route(admin, LINKS_PATH, methods=["POST"], roles=CASEWORK, content_types=ANY_BODY)
def link(reference: str) -> Response:
    def work() -> Response:
        from chalicelib.web.admin.responses_links import LinkState

        body = parse_json(admin.current_request, LinkRequest, STAFF_BODY_LIMIT, "link")
        referral = perform_link(_reference(reference), body, current_staff(admin.current_request), _request_id())
        return _json(shaped(LinkState, link_state(referral)))

    return answer_with(work)


@admin_route(admin, REMOVAL_PATH, methods=["POST"], roles=MANAGERS, content_types=ANY_BODY)
def link_removal(reference: str, other: str) -> Response:
    def work() -> Response:
        from chalicelib.web.admin.responses_links import LinkState

        body = parse_json(admin.current_request, UnlinkRequest, STAFF_BODY_LIMIT, "link removal")
        staff = current_staff(admin.current_request)
        referral = perform_unlink(_reference(reference), other, body, staff, _request_id())
        return _json(shaped(LinkState, link_state(referral)))

    return answer_with(work)
