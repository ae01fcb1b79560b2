"""Response models for information governance in the whole picture: the lawful basis of each
sharing decision (codes in clear, with their words) and the basis sharing would have now."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.lawful_basis import LawfulBasis, SharingKind
from chalicelib.web.admin.responses import DateTime


class LawfulBasisShown(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    basis: LawfulBasis
    words: str = Field(description="The basis in plain English, with the law it rests on")


class SharingBasisShown(LawfulBasisShown):
    kind: SharingKind
    shared: str = Field(description="The enquiry's id, or the onward referral's notice id")
    recorded_at: DateTime
