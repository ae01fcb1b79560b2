"""An agency's emailed answer, from the inbound bucket to its enquiry, or to the triage list.

SES stores each message under `inbound/`; the bucket notifies the inbound queue; the handler gives
us the notification. For each new object:

1. virus verdict not PASS: the message is moved to `quarantine/` and listed for triage with no
   content at all: it is never parsed, only its verdicts are kept;
2. spam not PASS, DMARC failed, or SPF and DKIM both failed: triage (content sealed, for a person);
3. not readable as an email: triage, with its raw text (capped) sealed;
4. no reply token, a refused token (malformed, forged, expired), an enquiry the hub does not hold,
   a closed referral, a withdrawn enquiry (`consent_withdrawn`), or a sender outside the asked
   agency's domains: triage;
5. a file the hub does not keep (checked by content) or too large: the whole reply to triage;
6. otherwise: files to S3, the reply stored in the referral's partition (sealed with its key), then
   the enquiry marked answered with a task to read it, audited as the agency.

Every step is safe to repeat: the same object key gives the same id, a reply or triage item is
written once, and the answer is recorded once (one task, one audit event). Any AWS failure is
raised, so SQS delivers the notification again; a notification that is not one (garbage) is
logged and dropped, since no retry would make it readable. Logs carry ids and codes only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.mail_objects import INBOUND_PREFIX, quarantine_key
from chalicelib.adapters.referrals import OpenReferral
from chalicelib.domain.agency_replies import (
    MAX_FULL_TEXT_BYTES,
    MAX_SUBJECT_CHARS,
    MAX_TEXT_BYTES,
    UNKNOWN_TYPE,
    AgencyReply,
    StoredAttachment,
    TriageItem,
    TriageReason,
    TriageStatus,
    attachment_key,
    attachment_refusal,
    capped,
    claimed_enquiry,
    content_type_of,
    message_id_for,
)
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.failures import ReferralNotFound, StaleReferral
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.reply_tokens import TokenRefused, token_from_recipients, verify
from chalicelib.domain.tasks import Task, TaskKind
from chalicelib.logs import logger
from chalicelib.mail import inbound
from chalicelib.wiring import wiring

VERDICT_PASS = "PASS"  # noqa: S105 - an SES verdict word, not a secret
VERDICT_FAIL = "FAIL"
MAX_RAW_TEXT_BYTES = 256 * 1024
SAVE_TRIES = 3
AGENCY_ROLE = "agency"
# What SES writes under the rule's prefix when the S3 action is set up: not a message.
SES_SETUP_OBJECT = "AMAZON_SES_SETUP_NOTIFICATION"


@dataclass(frozen=True)
class Received:
    """What became of one inbound message: `stored`, `triage`, `duplicate` or `gone`."""

    message_id: str
    outcome: str
    reason: TriageReason | None = None
    reference: str | None = None
    enquiry_id: str | None = None


# -- the queue message: an S3 event notification -----------------------------------------------------


def receive_notification(body: str) -> list[Received]:
    """Handle one SQS message body. Raises (so SQS retries) only when handling a real message failed."""
    try:
        event = json.loads(body)
    except (TypeError, ValueError):
        logger.warning("inbound notification ignored: not JSON")
        return []
    if not isinstance(event, dict):
        logger.warning("inbound notification ignored: not an S3 event")
        return []
    if event.get("Event") == "s3:TestEvent":
        logger.info("inbound notification: S3 test event, nothing to do")
        return []
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        logger.warning("inbound notification ignored: no S3 records")
        return []
    bucket_expected = wiring().settings.inbound_mail_bucket
    done: list[Received] = []
    failure: Exception | None = None
    for position, record in enumerate(records):
        location = _object_of(record)
        if location is None:
            logger.warning("inbound record ignored: not an S3 object-created record", extra={"record": position})
            continue
        bucket, key = location
        if bucket != bucket_expected or not key.startswith(INBOUND_PREFIX):
            logger.warning("inbound record ignored: not in the inbound mail folder", extra={"record": position})
            continue
        if key.endswith("/" + SES_SETUP_OBJECT):
            logger.info("inbound record: SES's set-up notification, nothing to do", extra={"record": position})
            continue
        try:
            done.append(receive_message(bucket, key))
        except Exception as error:  # the other records still go; this one is retried with the message
            logger.warning(
                "inbound message not handled: left for retry",
                extra={"message_id": message_id_for(key), "error": _error_code(error)},
            )
            failure = failure or error
    if failure is not None:
        raise failure
    return done


def _object_of(record: Any) -> tuple[str, str] | None:
    if not isinstance(record, dict):
        return None
    name = record.get("eventName")
    if isinstance(name, str) and not name.startswith("ObjectCreated"):
        return None
    s3 = record.get("s3")
    if not isinstance(s3, dict):
        return None
    bucket = (s3.get("bucket") or {}).get("name") if isinstance(s3.get("bucket"), dict) else None
    key = (s3.get("object") or {}).get("key") if isinstance(s3.get("object"), dict) else None
    if not isinstance(bucket, str) or not isinstance(key, str) or not bucket or not key:
        return None
    # S3 URL-encodes keys in notifications, with "+" for a space.
    return bucket, urllib.parse.unquote_plus(key)


def _error_code(error: Exception) -> str:
    return getattr(error, "code", None) or type(error).__name__


# -- one message ---------------------------------------------------------------------------------------


def receive_message(bucket: str, key: str) -> Received:
    hub = wiring()
    message_id = message_id_for(key)
    now = hub.clock()
    raw = hub.mail_objects.get_raw(bucket, key)
    if raw is None:
        # Quarantined by an earlier attempt, or expired by the bucket's lifecycle: a late repeat.
        logger.info("inbound message gone: already handled", extra={"message_id": message_id})
        return Received(message_id, "gone")

    verdicts = inbound.read_verdicts(raw)
    verdict_map = {
        "spam": verdicts.spam,
        "virus": verdicts.virus,
        "spf": verdicts.spf,
        "dkim": verdicts.dkim,
        "dmarc": verdicts.dmarc,
    }
    if verdicts.virus != VERDICT_PASS:
        # Listed first, then moved: if the move fails, the retry finds the message and moves it.
        target = quarantine_key(key)
        item = TriageItem(
            message_id, now, TriageReason.VIRUS, TriageStatus.WAITING, source_key=target, verdicts=verdict_map
        )
        _add_triage(item)
        hub.mail_objects.quarantine(bucket, key)
        return Received(message_id, "triage", TriageReason.VIRUS)

    if hub.triage.has_triage(message_id):
        logger.info("inbound message already in triage", extra={"message_id": message_id})
        return Received(message_id, "duplicate")

    reason = _verdict_reason(verdicts)
    try:
        message = inbound.parse_message(raw)
    except Exception as error:  # UnreadableMessage, or the stdlib parser failing on hostile input
        logger.info("inbound message unreadable", extra={"message_id": message_id, "error": type(error).__name__})
        text = capped(raw.decode("utf-8", errors="replace"), MAX_RAW_TEXT_BYTES)
        item = TriageItem(
            message_id,
            now,
            reason or TriageReason.UNREADABLE,
            TriageStatus.WAITING,
            source_key=key,
            full_text=text,
            verdicts=verdict_map,
        )
        return _triage(item)
    if reason is not None:
        return _triage_message(reason, message, message_id, key, now, verdict_map)

    token_text = token_from_recipients(message.recipients, hub.settings.mail_domain)
    if token_text is None:
        return _triage_message(TriageReason.NO_TOKEN, message, message_id, key, now, verdict_map)
    claim = claimed_enquiry(token_text)
    if claim is not None and hub.replies.has_reply(claim[0], message_id):
        # Stored by an earlier attempt that stopped before the enquiry was marked: finish that,
        # whatever the token, the clock or the referral say now.
        record_answer(claim[0], claim[1], message_id, actor=None, role=AGENCY_ROLE, action=AuditAction.REPLY_RECEIVED)
        return Received(message_id, "stored", reference=claim[0], enquiry_id=claim[1])
    try:
        token = verify(token_text, hub.reply_token_key, now.astimezone(dt.UTC).date(), hub.settings.enquiry_reply_days)
    except TokenRefused as refused:
        return _triage_message(TriageReason(refused.reason), message, message_id, key, now, verdict_map, claim)
    claim = (token.reference, token.enquiry_id)
    try:
        opened = hub.referrals.open(token.reference)
    except ReferralNotFound:
        return _triage_message(TriageReason.UNKNOWN_ENQUIRY, message, message_id, key, now, verdict_map, claim)
    enquiry = opened.referral.enquiry(token.enquiry_id)
    if enquiry is None:
        return _triage_message(TriageReason.UNKNOWN_ENQUIRY, message, message_id, key, now, verdict_map, claim)
    if opened.referral.status is ReferralStatus.CLOSED:
        return _triage_message(TriageReason.ENQUIRY_CLOSED, message, message_id, key, now, verdict_map, claim)
    if enquiry.withdrawn_at is not None:
        # Asked not to answer (consent refused): whatever it sent stays off the referral.
        return _triage_message(TriageReason.CONSENT_WITHDRAWN, message, message_id, key, now, verdict_map, claim)
    agency = hub.settings.agency_directory.get(enquiry.agency)
    if message.extra_senders:
        return _triage_message(TriageReason.AMBIGUOUS_SENDER, message, message_id, key, now, verdict_map, claim)
    # No result is no proof: a reply SES did not authenticate (the header missing, or another
    # server's) is not stored as the agency's, as one that failed is not. (Checked here, after the
    # token, so a message that is wrong in a plainer way is listed for that.)
    unproven = (VERDICT_FAIL, inbound.MISSING)
    if verdicts.spf in unproven and verdicts.dkim in unproven:
        return _triage_message(TriageReason.AUTHENTICATION_FAILED, message, message_id, key, now, verdict_map, claim)
    if agency is None or not agency.may_reply_from(message.sender_domain):
        return _triage_message(TriageReason.WRONG_SENDER_DOMAIN, message, message_id, key, now, verdict_map, claim)
    files = _checked_files(message, message_id)
    if any(stored.refused for stored, _ in files):
        return _triage_message(TriageReason.ATTACHMENT_REFUSED, message, message_id, key, now, verdict_map, claim)

    _keep_files(files)
    reply = AgencyReply(
        reply_id=message_id,
        reference=token.reference,
        enquiry_id=token.enquiry_id,
        agency=enquiry.agency,
        received_at=now,
        sender=message.sender,
        subject=message.subject[:MAX_SUBJECT_CHARS],
        text=capped(message.reply_text, MAX_TEXT_BYTES),
        full_text=capped(message.full_text, MAX_FULL_TEXT_BYTES),
        attachments=tuple(stored for stored, _ in files),
        source_key=key,
    )
    hub.replies.add_reply(opened.sealed, reply)
    record_answer(
        token.reference,
        token.enquiry_id,
        message_id,
        actor=None,
        role=AGENCY_ROLE,
        action=AuditAction.REPLY_RECEIVED,
        opened=opened,
    )
    logger.info(
        "agency reply stored",
        extra={"message_id": message_id, "reference": token.reference, "enquiry": token.enquiry_id},
    )
    return Received(message_id, "stored", reference=token.reference, enquiry_id=token.enquiry_id)


def _verdict_reason(verdicts: inbound.Verdicts) -> TriageReason | None:
    if verdicts.spam != VERDICT_PASS:
        return TriageReason.SPAM
    if verdicts.dmarc == VERDICT_FAIL:
        return TriageReason.DMARC_FAILED
    if verdicts.spf == VERDICT_FAIL and verdicts.dkim == VERDICT_FAIL:
        return TriageReason.AUTHENTICATION_FAILED
    return None


def _checked_files(message: inbound.InboundMessage, reply_id: str) -> list[tuple[StoredAttachment, bytes | None]]:
    """Each attachment with what the hub knows of it; the data only for those it keeps."""
    limit = wiring().settings.attachment_max_bytes
    checked = []
    for position, attachment in enumerate(message.attachments, start=1):
        attachment_id = f"a{position}"
        data = attachment.data
        refusal = attachment_refusal(data, limit)
        stored = StoredAttachment(
            attachment_id=attachment_id,
            filename=attachment.filename,
            content_type=content_type_of(data) or UNKNOWN_TYPE,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            object_key="" if refusal else attachment_key(reply_id, attachment_id),
            refused=refusal.value if refusal else None,
        )
        checked.append((stored, None if refusal else data))
    return checked


def _keep_files(files: list[tuple[StoredAttachment, bytes | None]]) -> None:
    """Put the kept files in the attachments bucket. Overwriting on a retry writes the same bytes."""
    objects = wiring().mail_objects
    for stored, data in files:
        if data is not None:
            objects.put_attachment(stored.object_key, data, stored.content_type)


def _triage_message(
    reason: TriageReason,
    message: inbound.InboundMessage,
    message_id: str,
    key: str,
    now: dt.datetime,
    verdicts: dict[str, str],
    claim: tuple[str, str] | None = None,
) -> Received:
    files = _checked_files(message, message_id)
    # The files the hub would keep are kept now, where the reply's would be: attaching moves nothing.
    _keep_files(files)
    item = TriageItem(
        triage_id=message_id,
        received_at=now,
        reason=reason,
        status=TriageStatus.WAITING,
        source_key=key,
        claimed_reference=claim[0] if claim else None,
        claimed_enquiry_id=claim[1] if claim else None,
        sender=message.sender,
        subject=message.subject[:MAX_SUBJECT_CHARS],
        text=capped(message.reply_text, MAX_TEXT_BYTES),
        full_text=capped(message.full_text, MAX_FULL_TEXT_BYTES),
        attachments=tuple(stored for stored, _ in files),
        verdicts=verdicts,
    )
    return _triage(item)


def _triage(item: TriageItem) -> Received:
    _add_triage(item)
    return Received(
        item.triage_id, "triage", item.reason, reference=item.claimed_reference, enquiry_id=item.claimed_enquiry_id
    )


def _add_triage(item: TriageItem) -> None:
    created = wiring().triage.add_triage(item)
    logger.info(
        "inbound message listed for triage" if created else "inbound message already in triage",
        extra={"message_id": item.triage_id, "reason": item.reason.value},
    )


# -- the answer on the referral --------------------------------------------------------------------


def record_answer(
    reference: str,
    enquiry_id: str,
    reply_id: str,
    *,
    actor: str | None,
    role: str,
    action: AuditAction,
    request_id: str | None = None,
    opened: OpenReferral | None = None,
) -> Referral:
    """Mark the enquiry answered by this reply, with a task to read it and one audit event, once.

    `actor` None means the enquiry's agency (`agency:<id>`). Re-read and re-applied when someone
    changed the referral meanwhile; a reply already recorded changes nothing (no second event).
    """
    hub = wiring()
    for _ in range(SAVE_TRIES):
        opened = opened or hub.referrals.open(reference)
        referral = opened.referral
        enquiry = referral.enquiry(enquiry_id)
        if enquiry is None:
            raise ReferralNotFound(f"{reference} {enquiry_id}")
        if reply_id in enquiry.reply_ids:
            return referral
        now = hub.clock()
        changed = referral.with_enquiry(enquiry.answered(reply_id, now)).with_task(
            Task(task_id=f"reply_to_read:{reply_id}", kind=TaskKind.REPLY_TO_READ, created_at=now, about=enquiry_id)
        )
        event, _head = referral.audit_head.append(
            reference,
            action,
            at=now,
            actor=actor or f"agency:{enquiry.agency.value}",
            role=role,
            request_id=request_id,
            key=hub.audit_key,
            details={"enquiry": enquiry_id, "reply": reply_id},
        )
        try:
            return hub.referrals.save(opened, changed, [event])
        except StaleReferral:
            opened = None
    raise StaleReferral(reference)
