"""Record what SES says happened to an email against the notice it carried.

SES delivers each event at least once and in no particular order: a duplicate changes nothing,
and a late "delivered" never overwrites a bounce (Notice.delivery_event). A permanent bounce
or a complaint puts the address on the suppression list and gives staff a task to reach the
person another way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.adapters.referrals import ReferralStore
from chalicelib.adapters.suppression import SuppressionList, SuppressionReason
from chalicelib.domain.failures import ReferralNotFound, StaleReferral
from chalicelib.domain.notices import FINAL_FAILURES, REFERRER, Notice, NoticeStatus
from chalicelib.domain.people import is_family_member_key
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.tasks import TaskKind
from chalicelib.services.deliver_notices import with_task_once


@dataclass(frozen=True)
class DeliveryReport:
    """One SES event, reduced to what the hub records. `addresses` are only for suppression:
    they are never stored in clear or logged."""

    message_id: str
    status: NoticeStatus
    at: dt.datetime
    suppress: SuppressionReason | None = None
    addresses: tuple[str, ...] = ()


class DeliveryOutcome(StrEnum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    # No notice for this message id: its index item was lost, expired, or it is not our email.
    UNMATCHED = "unmatched"


def record_delivery_event(
    report: DeliveryReport,
    store: ReferralStore,
    suppressions: SuppressionList,
    now: dt.datetime,
    tries: int = 3,
) -> DeliveryOutcome:
    # Suppress first and whatever else happens: the address is bad even if the notice is not found.
    if report.suppress is not None:
        for address in report.addresses:
            suppressions.add(address, report.suppress, now)
    sent = store.fetch_sent_message(report.message_id)
    if sent is None:
        return DeliveryOutcome.UNMATCHED
    for _ in range(tries):
        try:
            referral = store.fetch(sent.reference)
        except ReferralNotFound:  # deleted by retention since the email went
            return DeliveryOutcome.UNMATCHED
        notice = next((n for n in referral.notices if n.notice_id == sent.notice_id), None)
        if notice is None:
            return DeliveryOutcome.UNMATCHED
        if notice.knows_event(report.status, report.at):
            return DeliveryOutcome.DUPLICATE
        try:
            store.save_notices(_applied(referral, notice, report, now))
        except StaleReferral:
            continue  # someone else wrote meanwhile: read again and apply again
        return DeliveryOutcome.RECORDED
    raise StaleReferral(sent.reference)


def _applied(referral: Referral, notice: Notice, report: DeliveryReport, now: dt.datetime) -> Referral:
    updated = notice.delivery_event(report.status, report.at)
    referral = referral.with_notice(updated)
    if notice.status in FINAL_FAILURES or updated.status not in FINAL_FAILURES:
        return referral  # one task per failed notice, raised when it first fails
    return with_task_once(referral, task_kind_for(updated), updated.notice_id, now)


def task_kind_for(notice: Notice) -> TaskKind:
    """Bounced or complained: reach the person another way. Rejected or failed: the email itself."""
    if notice.status not in (NoticeStatus.BOUNCED, NoticeStatus.COMPLAINED):
        return TaskKind.NOTICE_FAILED
    if notice.recipient == REFERRER:
        return TaskKind.CONTACT_REFERRER_ANOTHER_WAY
    if is_family_member_key(notice.recipient):
        return TaskKind.CONTACT_PARENT_ANOTHER_WAY
    return TaskKind.NOTICE_FAILED  # a service (onward referral): check its address
