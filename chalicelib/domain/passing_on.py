"""The rules of an onward referral: when one may be made, what it owes, and what the parents are told."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from chalicelib.domain.decision import OUTCOME_LABELS
from chalicelib.domain.lawful_basis import LawfulBasis, SharingKind, bases_for
from chalicelib.domain.notices import Notice, NoticeKind
from chalicelib.domain.onward_referral import (
    PASSING_ON_OUTCOMES,
    SECTION_FOR_PARENTS,
    OnwardReferral,
    OnwardReferralProblem,
    OnwardReferralRefused,
    OnwardService,
    Section,
)
from chalicelib.domain.outcome_notices import owe_held_outcome_notices
from chalicelib.domain.referral_record import Referral


def decision_stands(referral: Referral) -> bool:
    """Decided, not returned, and approved where a manager must approve."""
    decision = referral.decision
    if decision is None or decision.returned_reason is not None:
        return False
    return not decision.needs_approval or decision.approved_at is not None


def onward_notice_id(service_id: str, now: dt.datetime) -> str:
    # From the request's own time: a retried change makes the same id, so it is never owed twice.
    return f"onward-{service_id}-{int(now.timestamp())}"


def refusal(referral: Referral) -> str | None:
    """Why no onward referral can be made now, with what would allow one; None if it can."""
    allowed = ", ".join(OUTCOME_LABELS[o] for o in sorted(PASSING_ON_OUTCOMES))
    if not decision_stands(referral):
        return (
            "An onward referral is made once the decision stands (recorded, and approved where a manager must "
            f"approve it), and only for an outcome that passes the family on: {allowed}"
        )
    assert referral.decision is not None  # decision_stands says so
    if referral.decision.outcome not in PASSING_ON_OUTCOMES:
        label = OUTCOME_LABELS[referral.decision.outcome]
        return f"The outcome '{label}' passes nothing to another service; onward referrals are for: {allowed}"
    return None


def refer_on(
    referral: Referral,
    *,
    service: OnwardService,
    sections: tuple[Section, ...],
    reason: str,
    by: str,
    now: dt.datetime,
) -> Referral:
    """Record what goes to the service and why, and owe it the email, in one change."""
    why_not = refusal(referral)
    if why_not:
        raise OnwardReferralRefused(why_not)
    if not sections:
        raise OnwardReferralProblem("Choose at least one section of the record to pass on")
    if not reason.strip():
        raise OnwardReferralProblem("Say why these parts are passed on: the parents are told")
    notice_id = onward_notice_id(service.service_id, now)
    if any(onward.notice_id == notice_id for onward in referral.onward_referrals):
        return referral
    onward = OnwardReferral(
        notice_id=notice_id,
        service_id=service.service_id,
        service_name=service.name,
        sections=tuple(dict.fromkeys(sections)),  # each once, in the order chosen
        reason=reason.strip(),
        referred_by=by,
        referred_at=now,
    )
    notice = Notice.new(notice_id, NoticeKind.ONWARD_REFERRAL, now, recipient=service.service_id)
    referred = replace(
        referral,
        onward_referrals=(*referral.onward_referrals, onward),
        notices=(*referral.notices, notice),
        sharing_bases=(
            *referral.sharing_bases,
            *bases_for(SharingKind.ONWARD_REFERRAL, [notice_id], LawfulBasis.ONWARD_REFERRAL, now),
        ),
    )
    # The parents' outcome notice waited for this: it now says exactly what went, where and why.
    return owe_held_outcome_notices(referred, now, by)


def passed_on_summary(referral: Referral) -> list[dict[str, object]]:
    """For the parents' outcome notice: exactly what went to which service, and why."""
    return [
        {
            "service": onward.service_name,
            "sections": [SECTION_FOR_PARENTS[section] for section in onward.sections],
            "reason": onward.reason,
        }
        for onward in referral.onward_referrals
    ]


def passed_on_lines(referral: Referral) -> list[str]:
    """The same, one sentence per service (for `outcome_context(passed_on=...)`)."""
    return [
        f"To {item['service']}: {'; '.join(item['sections'])}. Why: {item['reason']}"  # type: ignore[arg-type]
        for item in passed_on_summary(referral)
    ]
