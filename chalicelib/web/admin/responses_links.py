"""Response models for links between referrals (links.py) and the whole picture's `links`."""

from __future__ import annotations

from pydantic import Field

from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.referral_links import LinkKind
from chalicelib.web.admin.responses import DateTime, StaffAnswer


class ReferralLinkShown(StaffAnswer):
    """One link, standing or removed, as this referral holds it (the other holds its mirror)."""

    other: str = Field(description="The other referral's reference")
    kind: LinkKind = Field(description="duplicate_of: this referral is a duplicate of the other (and closed)")
    kind_text: str
    linked_by: str
    linked_at: DateTime
    reason: str
    current: bool = Field(description="False once a manager removed it (kept, with who, when and why)")
    removed_by: str | None
    removed_at: DateTime | None
    removal_reason: str | None


class LinkState(StaffAnswer):
    """A referral's links after a change (the other referral holds the same link, mirrored)."""

    reference: str
    status: ReferralStatus
    duplicate_of: str | None = Field(description="The original, if this referral was closed as its duplicate")
    links: list[ReferralLinkShown]
