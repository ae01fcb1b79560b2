"""A parent changes their consent answer by the link they answered with (issue 11 item 3).

The link is verified as for the first answer (signature, expiry); its request must have been
answered by it and that answer must still be the referral's consent (`may_change_answer`). The
change is saved through `change_referral` with the parent as the actor (a refusal withdraws the open
enquiries in that save), then the withdrawal emails go at once, best effort, and the link's item
notes the new answer (for the confirmation page only: the referral is the record).
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.adapters.aws import AwsError
from chalicelib.adapters.consent_requests import ConsentRequestRecord
from chalicelib.adapters.referrals import ReferralNotFound
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.consent_answer_changes import change_answer, may_change_answer
from chalicelib.domain.consent_links import ConsentLink, LinkSuperseded, LinkTampered, LinkUsed, link_key, verify
from chalicelib.domain.consent_requests import ParentAnswer, parent_actor
from chalicelib.domain.lifecycle import IllegalTransition
from chalicelib.domain.referral_record import ReferralClosed
from chalicelib.domain.staff import StaffMember
from chalicelib.logs import logger
from chalicelib.services.referral_changes import change_referral
from chalicelib.services.withdraw_enquiries import send_withdrawals_now, withdrawn_details
from chalicelib.wiring import wiring


@dataclass(frozen=True)
class AnsweredRequest:
    """A request this link answered, whose answer the parent may still change."""

    link: ConsentLink
    record: ConsentRequestRecord
    agreed: bool  # the answer now on the referral
    child_first_names: tuple[str, ...]


def open_answered_request(token: str) -> AnsweredRequest:
    """The answered request a link names, if its answer may still be changed; else LinkRefused."""
    hub = wiring()
    link = verify(token, link_key(hub.settings.hmac_secret), hub.clock())
    record = wiring().consent_requests.find(link.lookup_key)
    if record is None:
        raise LinkTampered()
    if record.answered_at is None:
        raise LinkSuperseded()  # not answered yet: the first answer is given on the consent page
    try:
        referral = hub.referrals.fetch(record.reference)
    except ReferralNotFound:
        raise LinkSuperseded() from None
    if not may_change_answer(referral, notice_id=record.notice_id, parent=record.parent):
        # Staff recorded consent another way, asked again, or closed the referral.
        raise LinkSuperseded()
    names = tuple(child.first_name for child in referral.submission.children)
    return AnsweredRequest(link, record, referral.consent.state.value == "given", names)


def is_changeable(token: str) -> bool:
    try:
        open_answered_request(token)
    except (LinkUsed, LinkSuperseded, LinkTampered):
        return False
    return True


def change_consent_answer(token: str, answer: ParentAnswer, request_id: str | None) -> ConsentRequestRecord:
    opened = open_answered_request(token)
    record = opened.record
    state = "given" if answer.agreed else "refused"
    # Not a staff member: an actor with no role, audited as "parent" (by position, never by name).
    parent = StaffMember(parent_actor(record.parent), frozenset())
    now = wiring().clock()
    try:
        saved = change_referral(
            record.reference,
            parent,
            request_id,
            AuditAction.CONSENT_ANSWER_CHANGED,
            lambda referral: change_answer(
                referral, notice_id=record.notice_id, parent=record.parent, answer=answer, now=now
            ),
            # No comment here: the audit holds the outcome, the comment stays encrypted on the referral.
            lambda referral: {
                "state": state,
                "source": "parent",
                "notice": record.notice_id,
                **withdrawn_details(referral, now),
            },
            role="parent",
        )
    except (IllegalTransition, ReferralClosed):
        raise LinkSuperseded() from None
    send_withdrawals_now(saved)  # a refusal withdrew the open enquiries: tell the agencies at once
    try:
        # After the referral: if this note fails, the change stands and only the confirmation page lags.
        wiring().consent_requests.change_answer(record.lookup_key, state, now)
    except AwsError as error:
        logger.warning("consent answer change not noted on the link", extra={"error": error.code})
    logger.info("consent answer changed by link", extra={"reference": record.reference, "state": state})
    return record
