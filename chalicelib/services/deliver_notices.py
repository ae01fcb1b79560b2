"""Send the notices a referral owes, and record how each went (the outbox's sending half)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.message import EmailMessage

from chalicelib import metrics
from chalicelib.adapters.agency_topic import AgencyTopic
from chalicelib.adapters.mailer import Mailer
from chalicelib.adapters.referrals import ReferralStore
from chalicelib.adapters.suppression import SuppressionList
from chalicelib.domain.enquiry_followups import owe_followups
from chalicelib.domain.failures import AwsError, ReferralNotFound, StaleReferral
from chalicelib.domain.notices import Notice, NoticeKind, NoticeStatus, RetryPolicy
from chalicelib.domain.out_of_hours import what_happens_next
from chalicelib.domain.referral import ReferrerKind
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.review_dates import owe_review_tasks
from chalicelib.domain.tasks import Task, TaskKind
from chalicelib.logs import logger
from chalicelib.mail.compose import compose, contact_numbers
from chalicelib.settings import Settings


@dataclass
class DispatchReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    published: int = 0  # agency enquiries handed to their queues


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.outbox_max_attempts,
        base_delay=dt.timedelta(seconds=settings.outbox_base_delay_seconds),
    )


def compose_notice(referral: Referral, notice: Notice, settings: Settings) -> EmailMessage:
    """The email for a notice; a family email released with its translation carries both versions."""
    from chalicelib.mail.family import with_translation

    message = _compose(referral, notice, settings)
    translation = referral.translation_of(notice.notice_id)
    return with_translation(message, translation) if translation and translation.text else message


def _compose(referral: Referral, notice: Notice, settings: Settings) -> EmailMessage:
    if notice.kind is NoticeKind.ACKNOWLEDGEMENT:
        referrer = referral.submission.referrer
        # Reference and what happens next only: no child or family details in this email.
        context = {
            "reference": referral.reference,
            "route": referral.route.value,
            "is_professional": referrer.kind is ReferrerKind.PROFESSIONAL,
            **contact_numbers(settings),
            # Out of hours it says what will really happen, as it stood when the referral came in.
            **what_happens_next(referral).template_context(),
        }
        return compose(
            "acknowledgement",
            sender=settings.mail_sender,
            to=referrer.email,
            mail_domain=settings.mail_domain,
            context=context,
        )
    if notice.kind is NoticeKind.CONSENT_REQUEST:
        # Its own module: the link, the parent's address and the wording live with the feature.
        from chalicelib.mail.consent_request import compose_consent_request

        return compose_consent_request(referral, notice, settings)
    if notice.kind is NoticeKind.PARENTS_TOLD:
        from chalicelib.mail.parents_told import compose_parents_told

        return compose_parents_told(referral, notice, settings)
    if notice.kind is NoticeKind.ONWARD_REFERRAL:
        from chalicelib.mail.onward_referral import compose_onward_referral

        return compose_onward_referral(referral, notice, settings)
    if notice.kind is NoticeKind.OUTCOME:
        from chalicelib.mail.outcome import compose_outcome

        return compose_outcome(referral, notice, settings)
    if notice.kind in (
        NoticeKind.AGENCY_REQUEST,
        NoticeKind.AGENCY_CHASER,
        NoticeKind.AGENCY_ESCALATION,
        NoticeKind.AGENCY_WITHDRAWAL,
    ):
        from chalicelib.mail.agency_request import compose_agency_email

        return compose_agency_email(referral, notice, settings)
    if notice.kind is NoticeKind.EDT_ALERT:
        from chalicelib.mail.out_of_hours import compose_edt_alert

        return compose_edt_alert(referral, notice, settings)
    if notice.kind is NoticeKind.REFERRER_FEEDBACK:
        from chalicelib.mail.outcome import compose_referrer_feedback

        return compose_referrer_feedback(referral, notice, settings)
    raise ValueError(f"no template for notice kind {notice.kind}")


# last_error of a notice not sent because its address bounced or complained before.
SUPPRESSED = "suppressed"


def send_notice(
    referral: Referral,
    notice: Notice,
    mailer: Mailer,
    settings: Settings,
    now: dt.datetime,
    suppressions: SuppressionList | None = None,
) -> Notice:
    """One attempt; the returned notice says sent, retry later, or failed for good."""
    try:
        message = compose_notice(referral, notice, settings)
        if suppressions is not None and _to_suppressed_address(message, suppressions):
            # Not retried: the address bounced for good or complained; staff reach them another way.
            logger.warning(
                "notice not sent: recipient suppressed",
                extra={"reference": referral.reference, "notice": notice.notice_id},
            )
            return notice.attempt_failed(SUPPRESSED, False, now, retry_policy(settings))
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


def _to_suppressed_address(message: EmailMessage, suppressions: SuppressionList) -> bool:
    return any(suppressions.is_suppressed(str(address)) for address in message.get_all("To", []))


def _suppression_list(suppressions: SuppressionList | None) -> SuppressionList:
    if suppressions is not None:
        return suppressions
    from chalicelib.wiring import wiring

    return wiring().suppressions


def deliver_now(
    referral: Referral,
    store: ReferralStore,
    mailer: Mailer,
    settings: Settings,
    now: dt.datetime,
    suppressions: SuppressionList | None = None,
) -> Referral:
    """Send what this request just created (it holds the grace lease) and record the result.

    A referral that was saved before (version > 0) may also hold an older pending notice whose
    send SES accepted but whose 'sent' was never saved: the marker check keeps it from going twice.
    A referral just stored (version 0) has never sent anything, so it needs no check."""
    suppressions = _suppression_list(suppressions)
    outcomes = [
        _send_once(store, referral, notice, mailer, settings, now, suppressions)
        if referral.version
        else send_notice(referral, notice, mailer, settings, now, suppressions)
        for notice in referral.notices
        if notice.status is NoticeStatus.PENDING and not notice.on_hold and _goes_now(notice)
    ]
    return record_outcomes(store, referral, outcomes, now=now)


def _goes_now(notice: Notice) -> bool:
    """An export is handed to the export topic now only if nobody has handed it over yet (one
    under its lease is the export function's, one after a failed publish is the sweep's); the
    request never waits on the case system itself. Every other pending notice goes now."""
    return notice.kind is not NoticeKind.CASE_EXPORT or notice.attempts == 0


def dispatch_due(
    store: ReferralStore,
    mailer: Mailer,
    settings: Settings,
    now: dt.datetime,
    limit: int = 50,
    suppressions: SuppressionList | None = None,
    topic: AgencyTopic | None = None,
) -> DispatchReport:
    """The outbox sweep: every referral with a notice due gets one attempt per due notice."""
    report = DispatchReport()
    suppressions = _suppression_list(suppressions)
    for reference in store.references_with_notices_due(now, limit):
        try:
            referral = store.fetch(reference)
            # Agency enquiries: publishes left over, chasers and escalations now owed.
            followed, to_publish = owe_followups(referral, now)
            metrics.enquiries_overdue(len(followed.notices) - len(referral.notices))  # chasers, escalations
            referral = followed
            # Review dates that have come: a task each, saved with this claim (nothing is sent).
            reviewed = owe_review_tasks(referral, now)
            raised = reviewed is not referral
            referral = reviewed
            due = referral.due_notices(now)
            if not due and not to_publish and not raised:
                report.skipped += 1
                continue
            # Claim first (conditional on version), so two sweeps never send the same notice.
            for notice in due:
                referral = referral.with_notice(notice.claimed(now))
            referral = store.save_notices(referral)
        except (StaleReferral, ReferralNotFound):
            report.skipped += 1
            continue
        outcomes = [_send_once(store, referral, notice, mailer, settings, now, suppressions) for notice in due]
        for outcome in outcomes:
            report.sent += outcome.status is NoticeStatus.SENT
            report.failed += outcome.status is NoticeStatus.FAILED
            report.retrying += outcome.status is NoticeStatus.PENDING
        if outcomes:
            referral = record_outcomes(store, referral, outcomes, now=now)
        if to_publish:
            from chalicelib.services.open_enquiries import publish_enquiries

            report.published += len(to_publish)
            publish_enquiries(store, topic or _agency_topic(), referral, to_publish, now)
    return report


def _agency_topic() -> AgencyTopic:
    from chalicelib.wiring import wiring

    return wiring().agency_topic


def _send_once(
    store: ReferralStore,
    referral: Referral,
    notice: Notice,
    mailer: Mailer,
    settings: Settings,
    now: dt.datetime,
    suppressions: SuppressionList,
) -> Notice:
    """Send a notice unless SES already accepted it (its 'sent' was never saved: the save failed
    after the send). If the marker cannot be read just now, leave the notice pending for the next
    sweep: waiting a minute is better than an email twice, and it is never lost. An export to the
    case system has no marker: it is handed to the export topic, and its receiver keeps one copy per
    export id (services/export_case.py)."""
    if notice.kind is NoticeKind.CASE_EXPORT:
        from chalicelib.services.export_case import hand_over_export

        return hand_over_export(referral, notice, retry_policy(settings), now)
    try:
        message_id = store.fetch_sent_marker(referral.reference, notice.notice_id)
    except AwsError:
        return notice
    if message_id is not None:
        logger.info(
            "notice already accepted by SES", extra={"reference": referral.reference, "notice": notice.notice_id}
        )
        return notice.sent(message_id, now)
    return send_notice(referral, notice, mailer, settings, now, suppressions)


def record_outcomes(
    store: ReferralStore,
    referral: Referral,
    outcomes: list[Notice],
    tries: int = 3,
    *,
    now: dt.datetime | None = None,
) -> Referral:
    """Save delivery results; if the referral changed meanwhile, re-read and apply them again,
    so a sent email is never forgotten (and so never sent twice).

    A notice that failed for good raises a task for staff in the same write."""
    now = now or dt.datetime.now(dt.UTC)
    failed = [o for o in outcomes if o.status is NoticeStatus.FAILED]
    metrics.notices_failed(o.kind.value for o in failed if o.kind is not NoticeKind.CASE_EXPORT)
    for _export in [o for o in failed if o.kind is NoticeKind.CASE_EXPORT]:
        metrics.export_failed()
    for outcome in outcomes:
        _index_message(store, referral.reference, outcome, now)
    for _ in range(tries):
        for outcome in outcomes:
            if _export_settled_meanwhile(referral, outcome):
                continue
            referral = referral.with_notice(outcome)
            if outcome.status is NoticeStatus.FAILED:
                kind = TaskKind.EXPORT_FAILED if outcome.kind is NoticeKind.CASE_EXPORT else TaskKind.NOTICE_FAILED
                referral = with_task_once(referral, kind, outcome.notice_id, now)
        try:
            return store.save_notices(referral)
        except StaleReferral:
            referral = store.fetch(referral.reference)
    raise StaleReferral(referral.reference)


def _export_settled_meanwhile(referral: Referral, outcome: Notice) -> bool:
    """An export's hand-over re-applied after the export function settled it (it may answer before
    the sweep saves): the settled export stands."""
    if outcome.kind is not NoticeKind.CASE_EXPORT or outcome.status is not NoticeStatus.PENDING:
        return False
    current = next((n for n in referral.notices if n.notice_id == outcome.notice_id), None)
    return current is not None and current.status is not NoticeStatus.PENDING


INDEX_TRIES = 6


def _index_message(store: ReferralStore, reference: str, notice: Notice, now: dt.datetime) -> None:
    """Point the SES message id at its notice, so delivery events find it. Before the notice is
    saved; if this write fails the email still counts as sent, and its events are counted as
    unmatched by the handler rather than lost silently."""
    if (
        notice.status is not NoticeStatus.SENT
        or not notice.provider_message_id
        or notice.kind is NoticeKind.CASE_EXPORT
    ):
        return  # an export's id is the receiver's, not an SES message's
    for attempt in range(1, INDEX_TRIES + 1):
        try:
            store.save_message_index(notice.provider_message_id, reference, notice.notice_id, now)
            return
        except AwsError as error:
            # Tried again at once: this write is what stops the outbox sending the email twice.
            if attempt == INDEX_TRIES:
                logger.warning(
                    "message index not written",
                    extra={"reference": reference, "notice": notice.notice_id, "error": error.code},
                )


def task_id_for(kind: TaskKind, notice_id: str) -> str:
    """One task per notice and kind: a repeated event or retry never raises a second one."""
    return f"{kind.value}:{notice_id}"


def with_task_once(referral: Referral, kind: TaskKind, notice_id: str, now: dt.datetime) -> Referral:
    task_id = task_id_for(kind, notice_id)
    if any(task.task_id == task_id for task in referral.tasks):
        return referral
    return referral.with_task(Task(task_id, kind, now, about=notice_id))
