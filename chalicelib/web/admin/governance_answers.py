"""The whole picture's information-governance part: each sharing decision's lawful basis, in code
and in words, and the basis agencies could be asked to share on now."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.domain.lawful_basis import BASIS_WORDS, basis_for_sharing

if TYPE_CHECKING:
    from chalicelib.domain.referral_record import Referral  # an annotation only: heavy to import


def governance_picture(referral: Referral) -> dict[str, Any]:
    now = basis_for_sharing(referral.route, referral.consent)
    return {
        "sharing_bases": [
            {
                "kind": b.kind.value,
                "shared": b.shared,
                "basis": b.basis.value,
                "words": b.words,
                "recorded_at": b.recorded_at.isoformat(),
            }
            for b in referral.sharing_bases
        ],
        "lawful_basis_now": {"basis": now.value, "words": BASIS_WORDS[now]} if now else None,
    }
