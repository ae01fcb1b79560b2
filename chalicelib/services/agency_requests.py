"""The agency queue's handler: a message names an enquiry; the request email is owed, then sent.

The notice is saved before the email goes (the outbox), so a send that fails is retried by the
sweep with backoff and, after the last try, raised as a task for staff; a message delivered twice
finds the notice already owed and does nothing. The message body holds no personal data: the
family's details are read (and decrypted) here, from the table.
"""

from __future__ import annotations

import json
from dataclasses import replace

from chalicelib.domain.enquiries import agency_recipient, request_notice_id
from chalicelib.domain.failures import ReferralNotFound, StaleReferral
from chalicelib.domain.notices import Notice, NoticeKind
from chalicelib.logs import logger
from chalicelib.mail.agency_request import request_message_id
from chalicelib.services.deliver_notices import record_outcomes, send_notice
from chalicelib.wiring import wiring

SAVE_TRIES = 3


class BadEnquiryMessage(ValueError):
    pass


def read_message(body: str) -> tuple[str, str]:
    try:
        data = json.loads(body)
        reference, enquiry_id = str(data["reference"]), str(data["enquiry_id"])
    except (ValueError, KeyError, TypeError):
        raise BadEnquiryMessage("not an enquiry message") from None
    return reference, enquiry_id


def send_request_from_message(body: str) -> None:
    try:
        reference, enquiry_id = read_message(body)
    except BadEnquiryMessage:
        # Retrying cannot mend it: say so and let it go (it came from no enquiry).
        logger.error("agency queue message is not an enquiry: dropped")
        return
    send_request(reference, enquiry_id)


def send_request(reference: str, enquiry_id: str) -> None:
    hub = wiring()
    now = hub.clock()
    notice_id = request_notice_id(enquiry_id)
    for _ in range(SAVE_TRIES):
        try:
            referral = hub.referrals.fetch(reference)
        except ReferralNotFound:
            logger.warning("enquiry's referral not found: deleted since", extra={"reference": reference})
            return
        enquiry = referral.enquiry(enquiry_id)
        if enquiry is None:
            logger.error("enquiry not found on referral", extra={"reference": reference, "enquiry": enquiry_id})
            return
        if enquiry.withdrawn_at is not None:
            # Withdrawn before its request went (consent refused): the family's details stay here.
            logger.info("enquiry withdrawn: request not sent", extra={"reference": reference, "enquiry": enquiry_id})
            return
        if any(n.notice_id == notice_id for n in referral.notices):
            logger.info("request already owed: repeated message", extra={"reference": reference, "enquiry": enquiry_id})
            return
        notice = Notice.new(notice_id, NoticeKind.AGENCY_REQUEST, now, recipient=agency_recipient(enquiry.agency))
        referral = referral.with_notice_added(notice)
        # Recorded with the owed email: the Message-ID it carries (the same on every retry), which
        # the agency's reply and the chaser thread on.
        enquiry = replace(enquiry, request_message_id=request_message_id(reference, enquiry_id, hub.settings))
        if enquiry.published_at is None:
            # The publisher's save was lost after the publish: the message is the proof it went.
            enquiry = enquiry.published(now)
        referral = referral.with_enquiry(enquiry)
        try:
            referral = hub.referrals.save_notices(referral)
            break
        except StaleReferral:
            continue
    else:
        raise StaleReferral(reference)  # the message goes back to the queue and is tried again
    outcome = send_notice(referral, notice, hub.mailer, hub.settings, now, hub.suppressions)
    record_outcomes(hub.referrals, referral, [outcome], now=now)
