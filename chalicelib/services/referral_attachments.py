"""Documents added to a referral: offering an upload, checking what arrives, and staff reading it.

- `attachments_token`: what the API's 201 answer carries (chalicelib/domain/attachments.py).
- `offer_upload` (API) and `documents_for_form` (the form's /referral/documents page): a presigned
  POST into the uploads bucket, after checking the token or receipt, the declared file and the room left.
- `receive_upload_notification`: the uploads queue's handler. Each new object is checked by content
  (the agency-reply checks), then kept (attachments bucket, SSE-KMS under the storage key) or
  refused, recorded on the referral either way (the name sealed with the referral's key), audited,
  and the upload deleted. Every step is safe to repeat: the record's id is the upload's key, the
  record is written once, the audit event once, and a file is put whole or not at all.
- `download_attachment`: a 60-second presigned GET for a member of staff, the read audited first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import urllib.parse
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.adapters.referral_attachments import (
    AttachmentRecords,
    PresignedPost,
    UploadObjects,
)
from chalicelib.adapters.referrals import OpenReferral
from chalicelib.domain import attachments as rules
from chalicelib.domain.agency_replies import content_type_of
from chalicelib.domain.attachments import ReferralAttachment, Refusal, UploadRefused
from chalicelib.domain.audit import AccessReason, AuditAction
from chalicelib.domain.failures import ReferralNotFound, StaleReferral
from chalicelib.domain.file_types import download_name
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.staff import StaffMember
from chalicelib.logs import logger
from chalicelib.services.audited_reads import read_with_audit, reason_details
from chalicelib.wiring import wiring

REFERRER = "referrer"  # who adds documents: the referrer, with no account (actor and role in the audit)
SAVE_TRIES = 3


class AttachmentNotFound(LookupError):
    """The referral has no kept document with that id."""


# -- adapters (built once by the composition root) -------------------------------------------------


def attachment_records() -> AttachmentRecords:
    return wiring().attachment_records


def upload_objects() -> UploadObjects:
    return wiring().upload_objects


# -- offering an upload ----------------------------------------------------------------------------


def attachments_token(reference: str, received_at: dt.datetime) -> str:
    return rules.sign_token(reference, received_at, rules.token_key(wiring().settings.hmac_secret))


@dataclass(frozen=True)
class UploadOffer:
    upload_id: str
    url: str
    fields: dict[str, str]
    expires_at: dt.datetime
    window_closes_at: dt.datetime


def offer_upload(reference: str, *, token: str, filename: str, content_type: str, size: int) -> UploadOffer:
    """A presigned POST for one declared file (API). UploadRefused says what is wrong; no AWS call
    is made for a bad token or file, and the room left is read from metadata (one Query, no KMS)."""
    hub = wiring()
    now = hub.clock()
    closes = rules.verify_token(token, reference, rules.token_key(hub.settings.hmac_secret), now)
    max_bytes = hub.settings.attachment_max_bytes
    rules.check_declared(filename, content_type, size, max_bytes)
    _check_open(reference)
    _check_room(reference)
    upload_id = secrets.token_hex(16)
    expires_at = min(now + rules.POST_LIFETIME, closes).replace(microsecond=0)
    post = upload_objects().presign_post(
        rules.upload_prefix(reference, upload_id),
        max_bytes=max_bytes,
        expires_in=_seconds_until(expires_at, now),
        content_type=content_type,
        metadata={rules.FILENAME_METADATA: rules.encode_filename(rules.clean_filename(filename))},
    )
    logger.info("document upload offered", extra={"reference": reference, "upload_id": upload_id, "channel": "api"})
    return UploadOffer(upload_id, post.url, post.fields, expires_at, closes)


def _check_open(reference: str) -> None:
    """A closed referral is read-only: no more documents (clear metadata, one GetItem, no KMS)."""
    if wiring().referrals.fetch_summary(reference).status is ReferralStatus.CLOSED:
        raise rules.UploadRefused("referral_closed", rules.CLOSED_TEXT, status=409)


def _check_room(reference: str) -> list[ReferralAttachment]:
    recorded = attachment_records().metadata_of(reference)
    rules.check_room(sum(1 for a in recorded if a.kept), len(recorded))
    return recorded


def _seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, int((moment - now).total_seconds()))


@dataclass(frozen=True)
class DocumentsPage:
    """What /referral/documents shows: the names added so far and, while there is room and time, a form."""

    reference: str
    window_closes_at: dt.datetime
    added: list[ReferralAttachment]
    post: PresignedPost | None
    post_expires_at: dt.datetime | None
    max_bytes: int
    closed_reason: str | None  # "time" or "full" when no more can be added

    @property
    def kept(self) -> list[ReferralAttachment]:
        return [a for a in self.added if a.kept]

    @property
    def refused(self) -> list[ReferralAttachment]:
        return [a for a in self.added if not a.kept]

    @property
    def room(self) -> int:
        return max(0, rules.MAX_FILES - len(self.kept))


def documents_for_form(reference: str, *, redirect: str) -> DocumentsPage:
    """The form's page for a referral the receipt cookie names: its documents' names (decrypted with
    the referral's key: one GetItem, one KMS Decrypt, one Query) and a POST for the next file."""
    hub = wiring()
    now = hub.clock()
    opened = hub.referrals.open(reference)
    closes = rules.window_closes(opened.referral.received_at)
    added = attachment_records().attachments_of(reference, opened.sealed)
    kept = sum(1 for a in added if a.kept)
    max_bytes = hub.settings.attachment_max_bytes
    closed_reason = None
    if now >= closes:
        closed_reason = "time"
    elif kept >= rules.MAX_FILES or len(added) >= rules.MAX_RECORDS:
        closed_reason = "full"
    if closed_reason:
        return DocumentsPage(reference, closes, added, None, None, max_bytes, closed_reason)
    upload_id = secrets.token_hex(16)
    expires_at = min(now + rules.POST_LIFETIME, closes).replace(microsecond=0)
    post = upload_objects().presign_post(
        f"{rules.upload_prefix(reference, upload_id)}/{rules.S3_FILENAME_VARIABLE}",
        max_bytes=max_bytes,
        expires_in=_seconds_until(expires_at, now),
        redirect=redirect,
    )
    return DocumentsPage(reference, closes, added, post, expires_at, max_bytes, None)


# -- what arrives -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """What became of one upload: kept, refused, duplicate (recorded before), gone, no_referral, dropped, ignored."""

    outcome: str
    reference: str | None = None
    attachment_id: str | None = None
    refusal: Refusal | None = None


def receive_upload_notification(body: str) -> list[Received]:
    """One SQS message body (an S3 event notification). Raises, so SQS retries, only when handling a real upload failed."""
    try:
        event = json.loads(body)
    except (TypeError, ValueError):
        logger.warning("upload notification ignored: not JSON")
        return []
    if not isinstance(event, dict) or event.get("Event") == "s3:TestEvent":
        return []
    records = event.get("Records")
    if not isinstance(records, list):
        logger.warning("upload notification ignored: no S3 records")
        return []
    done: list[Received] = []
    failure: Exception | None = None
    for position, record in enumerate(records):
        location = _object_of(record)
        if location is None:
            logger.warning("upload record ignored: not an S3 object-created record", extra={"record": position})
            continue
        try:
            done.append(receive_upload(*location))
        except Exception as error:  # the other records still go; this one is retried with the message
            logger.warning(
                "upload not handled: left for retry",
                extra={"attachment_id": rules.attachment_id_for(location[1]), "error": _code(error)},
            )
            failure = failure or error
    if failure is not None:
        raise failure
    return done


def _object_of(record: Any) -> tuple[str, str] | None:
    if not isinstance(record, dict) or not str(record.get("eventName", "ObjectCreated")).startswith("ObjectCreated"):
        return None
    s3 = record.get("s3")
    bucket = s3.get("bucket") if isinstance(s3, dict) else None
    obj = s3.get("object") if isinstance(s3, dict) else None
    name = bucket.get("name") if isinstance(bucket, dict) else None
    key = obj.get("key") if isinstance(obj, dict) else None
    if not isinstance(name, str) or not isinstance(key, str) or not name or not key:
        return None
    return name, urllib.parse.unquote_plus(key)  # S3 URL-encodes keys in notifications, "+" for a space


def _code(error: Exception) -> str:
    return getattr(error, "code", None) or type(error).__name__


def receive_upload(bucket: str, key: str) -> Received:
    hub = wiring()
    parsed = rules.parse_upload_key(key)
    if bucket != hub.settings.uploads_bucket or parsed is None:
        # Not something the hub offered: left to the bucket's lifecycle, never read.
        logger.warning(
            "upload ignored: not an upload the hub offered", extra={"attachment_id": rules.attachment_id_for(key)}
        )
        return Received("ignored")
    reference, attachment_id = parsed.reference, rules.attachment_id_for(key)
    uploads = upload_objects()
    upload = uploads.get_upload(key)
    if upload is None:
        logger.info("upload gone: already handled", extra={"reference": reference, "attachment_id": attachment_id})
        return Received("gone", reference, attachment_id)
    try:
        opened = hub.referrals.open(reference)
    except ReferralNotFound:
        uploads.delete_upload(key)
        logger.warning("upload deleted: no such referral", extra={"attachment_id": attachment_id})
        return Received("no_referral", None, attachment_id)

    records = attachment_records()
    recorded = records.metadata_of(reference)
    if any(a.attachment_id == attachment_id for a in recorded):
        # Recorded by an earlier attempt (or the same POST sent twice): finish what it began.
        earlier = next(a for a in recorded if a.attachment_id == attachment_id)
        _audit_once(opened, earlier)
        uploads.delete_upload(key)
        return Received("duplicate", reference, attachment_id, earlier.refused)
    if len(recorded) >= rules.MAX_RECORDS:
        uploads.delete_upload(key)
        logger.warning(
            "upload deleted unrecorded: the referral has had too many",
            extra={"reference": reference, "attachment_id": attachment_id},
        )
        return Received("dropped", reference, attachment_id)

    data = upload.data
    refusal = rules.refusal_of(data, hub.settings.attachment_max_bytes, sum(1 for a in recorded if a.kept))
    if opened.referral.status is ReferralStatus.CLOSED:
        # Closed between the offer and the upload: recorded as refused, so staff see a file came.
        refusal = rules.Refusal.REFERRAL_CLOSED
    filename = rules.decode_filename(upload.metadata.get(rules.FILENAME_METADATA)) or parsed.filename or rules.UNNAMED
    attachment = ReferralAttachment(
        attachment_id=attachment_id,
        filename=filename,
        content_type=content_type_of(data) or "",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_at=hub.clock(),
        object_key="" if refusal else rules.kept_key(reference, attachment_id),
        refused=refusal,
    )
    if refusal is None:
        # The bytes that were checked, not a copy of the upload: the same presigned POST could
        # replace the upload between the check and a server-side copy.
        hub.mail_objects.put_attachment(attachment.object_key, data, attachment.content_type)
    records.add(reference, attachment, opened.sealed)
    _audit_once(opened, attachment, recorded_now=True)
    uploads.delete_upload(key)
    logger.info(
        "document kept" if refusal is None else "document refused",
        extra={"reference": reference, "attachment_id": attachment_id, "reason": refusal.value if refusal else None},
    )
    return Received("kept" if refusal is None else "refused", reference, attachment_id, refusal)


def _audit_once(opened: OpenReferral, attachment: ReferralAttachment, *, recorded_now: bool = False) -> None:
    """One `attachment.added` (or `.refused`) event per document, ids and codes only."""
    hub = wiring()
    reference = opened.referral.reference
    action = AuditAction.ATTACHMENT_ADDED if attachment.kept else AuditAction.ATTACHMENT_REFUSED
    if not recorded_now:
        events, _ = hub.referrals.audit_trail(reference)
        if any(e.action is action and e.details.get("attachment") == attachment.attachment_id for e in events):
            return
    details = {"attachment": attachment.attachment_id, "size": str(attachment.size)}
    details.update({"type": attachment.content_type} if attachment.kept else {"reason": str(attachment.refused)})
    referral = opened.referral
    for _ in range(SAVE_TRIES):
        event, _head = referral.audit_head.append(
            reference,
            action,
            at=hub.clock(),
            actor=REFERRER,
            role=REFERRER,
            request_id=None,
            key=hub.audit_key,
            details=details,
        )
        try:
            hub.referrals.append_audit(referral, [event])
            return
        except StaleReferral:
            # Someone changed the referral meanwhile: the chain's head again, from clear metadata.
            referral = replace(referral, audit_head=hub.referrals.retention_facts(reference).audit_head)
    raise StaleReferral(reference)


# -- staff -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    url: str
    expires_at: dt.datetime
    filename: str  # what the file is saved as: the uploader's base name, our extension
    content_type: str  # the type detected from its content


def download_attachment(
    reference: str,
    attachment_id: str,
    *,
    staff: StaffMember,
    request_id: str | None,
    reason: AccessReason | None = None,
) -> Download:
    """A link that downloads one kept document for 60 seconds. The read is recorded on the referral
    (`attachment.read`) before the link is made: no audit, no link. A closed referral needs a reason,
    as its whole picture does. AttachmentNotFound for an unknown or refused document."""
    records = attachment_records()

    def look(opened: OpenReferral) -> tuple[ReferralAttachment, dict[str, str]]:
        reason_given = reason_details(opened.referral, reason)
        attachment = records.attachment(reference, attachment_id, opened.sealed)
        if attachment is None or not attachment.kept:
            raise AttachmentNotFound(attachment_id)
        return attachment, {"attachment": attachment_id, **reason_given}

    read = read_with_audit(reference, AuditAction.ATTACHMENT_READ, staff=staff, request_id=request_id, look=look)
    attachment = read.found
    lifetime = int(rules.DOWNLOAD_LIFETIME.total_seconds())
    # Saved under our extension for the detected type, never the uploader's (`notes.hta` -> `notes.txt`).
    name = download_name(attachment.filename, attachment.content_type)
    url = upload_objects().download_url(
        attachment.object_key, filename=name, content_type=attachment.content_type, expires_in=lifetime
    )
    return Download(url, (read.at + rules.DOWNLOAD_LIFETIME).replace(microsecond=0), name, attachment.content_type)


def attachments_of(opened: OpenReferral) -> list[ReferralAttachment]:
    """A referral's documents with their names, for its whole picture (no KMS call: the referral's key is open)."""
    return attachment_records().attachments_of(opened.referral.reference, opened.sealed)


# -- retention ------------------------------------------------------------------------------------------


def has_attachments(reference: str) -> bool:
    return bool(attachment_records().metadata_of(reference))


def delete_attachments(reference: str) -> int:
    """A deleted referral's documents: the files first, then their records (so a failure part way
    leaves the records, and the next sweep finds them). Returns how many records went."""
    records = attachment_records()
    ids = [a.attachment_id for a in records.metadata_of(reference)]
    if ids:
        wiring().mail_objects.delete_attachments(rules.kept_prefix(reference))
        records.delete_all(reference, ids)
    return len(ids)


__all__ = [
    "AttachmentNotFound",
    "Download",
    "UploadRefused",
    "attachments_of",
    "attachments_token",
    "documents_for_form",
    "download_attachment",
    "offer_upload",
    "receive_upload_notification",
]
