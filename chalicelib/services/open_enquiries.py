"""Open agency enquiries on a referral and hand each to its agency's queue (issue 5 item 2).

Opening is one audited save: the enquiries, each owing its publish (the outbox). Then this request
publishes them at once, in batches; whatever it could not publish — SNS throttled, the Lambda died —
the outbox sweep publishes after a grace period. A publish repeated after a lost save only
repeats the queue message: the agency's handler sends each request email once.
"""

from __future__ import annotations

import datetime as dt

from chalicelib.adapters.agency_topic import AgencyTopic, EnquiryMessage
from chalicelib.adapters.referrals import ReferralStore
from chalicelib.domain.agencies import AgencyId
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.failures import StaleReferral
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.domain.tasks import Task, TaskKind
from chalicelib.logs import logger
from chalicelib.services.referral_changes import change_referral
from chalicelib.wiring import wiring

SAVE_TRIES = 3
# About 15 minutes of tries (30 s doubling): then staff are told, and the tries go on.
ALERT_AFTER_ATTEMPTS = 5


def open_enquiries(
    reference: str, agencies: list[AgencyId], question: str, *, staff: StaffMember, request_id: str | None
) -> tuple[Referral, list[str]]:
    """The referral and the ids of the enquiries opened."""
    hub = wiring()
    now = hub.clock()
    directory = hub.settings.agency_directory
    before: set[str] = set()

    def step(referral: Referral) -> Referral:
        before.clear()
        before.update(e.enquiry_id for e in referral.enquiries)
        return referral.open_enquiries(agencies, question, by=staff.id, now=now, directory=directory)

    def details(changed: Referral) -> dict[str, str]:
        opened = [e for e in changed.enquiries if e.enquiry_id not in before]
        # Ids and agencies only: the question is personal data and stays sealed.
        return {"enquiries": ",".join(f"{e.enquiry_id}:{e.agency.value}" for e in opened)}

    saved = change_referral(reference, staff, request_id, AuditAction.ENQUIRIES_OPENED, step, details)
    opened_ids = [e.enquiry_id for e in saved.enquiries if e.enquiry_id not in before]
    return publish_enquiries(hub.referrals, hub.agency_topic, saved, opened_ids, now), opened_ids


def publish_enquiries(
    store: ReferralStore, topic: AgencyTopic, referral: Referral, enquiry_ids: list[str], now: dt.datetime
) -> Referral:
    """One attempt to publish these enquiries (batched), then record each as published or to retry."""
    pending = [e for e in referral.enquiries if e.enquiry_id in enquiry_ids and e.published_at is None]
    if not pending:
        return referral
    messages = [EnquiryMessage(referral.reference, e.enquiry_id, e.agency) for e in pending]
    outcome = topic.publish(messages)
    failed = {m.enquiry_id: code for m in messages if (code := outcome.get(m.entry_id, "Missing")) is not None}
    if failed:
        logger.warning(
            "enquiries not published: the outbox retries them",
            extra={
                "reference": referral.reference,
                "enquiries": sorted(failed),
                "errors": sorted(set(failed.values())),
            },
        )
    for _ in range(SAVE_TRIES):
        for enquiry_id in [e.enquiry_id for e in pending]:
            enquiry = referral.enquiry(enquiry_id)
            if enquiry is None or enquiry.published_at is not None:
                continue
            updated = enquiry.publish_failed(now) if enquiry_id in failed else enquiry.published(now)
            referral = referral.with_enquiry(updated)
            if updated.publish_attempts == ALERT_AFTER_ATTEMPTS and updated.published_at is None:
                # Still retried (with backoff, capped at an hour), but now visible to staff.
                task_id = f"{TaskKind.ENQUIRY_NOT_SENT.value}:{enquiry_id}"
                referral = referral.with_task(Task(task_id, TaskKind.ENQUIRY_NOT_SENT, now, about=enquiry_id))
        try:
            return store.save_notices(referral)
        except StaleReferral:
            referral = store.fetch(referral.reference)
    # Not saved: the enquiries stay owed, so the sweep publishes them again; the handler sends once.
    logger.warning("publish not recorded", extra={"reference": referral.reference})
    return referral
