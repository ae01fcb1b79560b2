"""Send the notices a referral owes, and record how each went (the outbox's sending half)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.message import EmailMessage

from chalicelib.adapters.aws import AwsError
from chalicelib.adapters.mailer import Mailer
from chalicelib.adapters.referrals import ReferralNotFound, ReferralStore, StaleReferral
from chalicelib.domain.notices import Notice, NoticeKind, NoticeStatus, RetryPolicy
from chalicelib.domain.referral import ReferrerKind
from chalicelib.domain.referral_record import Referral
from chalicelib.logs import logger
from chalicelib.mail.compose import compose
from chalicelib.settings import Settings


@dataclass
class DispatchReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.outbox_max_attempts,
        base_delay=dt.timedelta(seconds=settings.outbox_base_delay_seconds),
    )


def compose_notice(referral: Referral, notice: Notice, settings: Settings) -> EmailMessage:
    if notice.kind is NoticeKind.ACKNOWLEDGEMENT:
        referrer = referral.submission.referrer
        # Reference and what happens next only: no child or family details in this email.
        context = {
            "reference": referral.reference,
            "route": referral.route.value,
            "is_professional": referrer.kind is ReferrerKind.PROFESSIONAL,
            **contact_numbers(settings),
        }
        return compose(
            "acknowledgement",
            sender=settings.mail_sender,
            to=referrer.email,
            mail_domain=settings.mail_domain,
            context=context,
        )
    raise ValueError(f"no template for notice kind {notice.kind}")


def contact_numbers(settings: Settings) -> dict[str, str]:
    return {
        "council_name": settings.council_name,
        "emergency_number": settings.emergency_number,
        "police_non_emergency_number": settings.police_non_emergency_number,
        "mash_phone_office_hours": settings.mash_phone_office_hours,
        "mash_office_hours": settings.mash_office_hours,
        "mash_phone_out_of_hours": settings.mash_phone_out_of_hours,
        "mash_email": settings.mash_email,
    }


def send_notice(referral: Referral, notice: Notice, mailer: Mailer, settings: Settings, now: dt.datetime) -> Notice:
    """One attempt; the returned notice says sent, retry later, or failed for good."""
    try:
        message = compose_notice(referral, notice, settings)
        provider_id = mailer.send(message)
    except AwsError as error:
        updated = notice.attempt_failed(error.code, error.retryable, now, retry_policy(settings))
        logger.warning(
            "notice not sent",
            extra={
                "reference": referral.reference,
                "notice": notice.notice_id,
                "error": error.code,
                "status": updated.status.value,
                "attempts": updated.attempts,
            },
        )
        return updated
    except ValueError as error:
        # A message that cannot be built (e.g. a header value refused) will never build: fail it.
        logger.error(
            "notice cannot be composed",
            extra={"reference": referral.reference, "notice": notice.notice_id, "error": type(error).__name__},
        )
        return notice.attempt_failed(type(error).__name__, False, now, retry_policy(settings))
    logger.info("notice sent", extra={"reference": referral.reference, "notice": notice.notice_id})
    return notice.sent(provider_id, now)


def deliver_now(
    referral: Referral, store: ReferralStore, mailer: Mailer, settings: Settings, now: dt.datetime
) -> Referral:
    """Send what this request just created (it holds the grace lease) and record the result."""
    outcomes = [
        send_notice(referral, notice, mailer, settings, now)
        for notice in referral.notices
        if notice.status is NoticeStatus.PENDING
    ]
    return record_outcomes(store, referral, outcomes)


def dispatch_due(
    store: ReferralStore, mailer: Mailer, settings: Settings, now: dt.datetime, limit: int = 50
) -> DispatchReport:
    """The outbox sweep: every referral with a notice due gets one attempt per due notice."""
    report = DispatchReport()
    for reference in store.references_with_notices_due(now, limit):
        try:
            referral = store.fetch(reference)
            due = referral.due_notices(now)
            if not due:
                report.skipped += 1
                continue
            # Claim first (conditional on version), so two sweeps never send the same notice.
            for notice in due:
                referral = referral.with_notice(notice.claimed(now))
            referral = store.save_notices(referral)
        except (StaleReferral, ReferralNotFound):
            report.skipped += 1
            continue
        outcomes = [send_notice(referral, notice, mailer, settings, now) for notice in due]
        for outcome in outcomes:
            report.sent += outcome.status is NoticeStatus.SENT
            report.failed += outcome.status is NoticeStatus.FAILED
            report.retrying += outcome.status is NoticeStatus.PENDING
        record_outcomes(store, referral, outcomes)
    return report


def record_outcomes(store: ReferralStore, referral: Referral, outcomes: list[Notice], tries: int = 3) -> Referral:
    """Save delivery results; if the referral changed meanwhile, re-read and apply them again,
    so a sent email is never forgotten (and so never sent twice)."""
    for _ in range(tries):
        for outcome in outcomes:
            referral = referral.with_notice(outcome)
        try:
            return store.save_notices(referral)
        except StaleReferral:
            referral = store.fetch(referral.reference)
    raise StaleReferral(referral.reference)
