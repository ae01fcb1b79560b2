"""Withdraw one agency enquiry, with a reason (issue 11 item 3), and send the withdrawals owed.

The withdrawal and its email are one audited change (the outbox guarantees the email); the email
then goes at once, best effort, as every notice does. Withdrawals owed by a consent refusal are
made in the refusal's own change (`domain/enquiry_withdrawals.withdraw_if_refused`); the services
that record a refusal call `send_withdrawals_now` after saving it.
"""

from __future__ import annotations

import datetime as dt

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.enquiry_withdrawals import WithdrawalCause, withdraw_enquiry, withdrawn_now
from chalicelib.domain.notices import NoticeKind, NoticeStatus
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.services.referral_changes import change_referral
from chalicelib.services.send_or_leave import send_now_or_leave_to_outbox
from chalicelib.wiring import wiring


def withdraw_one_enquiry(
    reference: str, enquiry_id: str, *, reason: str, staff: StaffMember, request_id: str | None
) -> Referral:
    now = wiring().clock()
    saved = change_referral(
        reference,
        staff,
        request_id,
        AuditAction.ENQUIRY_WITHDRAWN,
        lambda referral: withdraw_enquiry(referral, enquiry_id, reason=reason, by=staff.id, now=now),
        # The id and the cause code: the reason may name the family and stays sealed on the enquiry.
        lambda referral: {"enquiries": enquiry_id, "cause": WithdrawalCause.STAFF.value},
    )
    return send_withdrawals_now(saved)


def withdrawn_details(referral: Referral, now: dt.datetime) -> dict[str, str]:
    """For a consent change's audit event: the enquiries it withdrew, by id (none: nothing added)."""
    ids = withdrawn_now(referral, now)
    return {"enquiries_withdrawn": ",".join(ids)} if ids else {}


def send_withdrawals_now(referral: Referral) -> Referral:
    """Best effort: the withdrawal notices are saved, so the outbox sends whatever this misses."""
    owed = [n for n in referral.notices if n.kind is NoticeKind.AGENCY_WITHDRAWAL and n.status is NoticeStatus.PENDING]
    if not owed:
        return referral
    return send_now_or_leave_to_outbox(referral, "withdrawals")
