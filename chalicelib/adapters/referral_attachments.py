"""A referral's documents: their records in the table (with an in-memory twin) and the uploads bucket.

Records sit in the referral's partition (`REF#<reference>`, `ATTACHMENT#<attachment id>`): in clear
the id, type (by content), size, SHA-256, when it came, where it is kept and why it was refused;
sealed with the referral's own data key (field `attachment:<id>`): the file's name. Listing a
referral's documents with the referral costs no KMS call of its own.

The uploads bucket is where the public's presigned POSTs land (`uploads/<reference>/<upload id>`);
only the uploads handler reads it, and its lifecycle deletes whatever the handler never got to. The
files the hub keeps go to the attachments bucket through `MailObjects.put_attachment` (SSE-KMS under
the storage key), like agency replies' files; staff read them by a presigned GET made here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.adapters.aws import aws_errors, translate
from chalicelib.adapters.dynamo_items import DynamoItems, utc_iso
from chalicelib.adapters.envelope import DecryptionFailed, SealedRecord
from chalicelib.adapters.referrals import partition_key
from chalicelib.domain.attachments import ReferralAttachment, Refusal

ATTACHMENT_PREFIX = "ATTACHMENT#"
SEALED_FIELD = "pd_attachment"
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


def attachment_field(attachment_id: str) -> str:
    return f"attachment:{attachment_id}"


def to_item(reference: str, attachment: ReferralAttachment, sealed: SealedRecord) -> dict[str, Any]:
    _must_be_sealed_for(reference, sealed)
    item: dict[str, Any] = {
        "pk": partition_key(reference),
        "sk": ATTACHMENT_PREFIX + attachment.attachment_id,
        "attachment_id": attachment.attachment_id,
        "type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "uploaded_at": utc_iso(attachment.uploaded_at),
        SEALED_FIELD: sealed.encrypt(attachment_field(attachment.attachment_id), {"filename": attachment.filename}),
    }
    if attachment.object_key:
        item["key"] = attachment.object_key
    if attachment.refused is not None:
        item["refused"] = attachment.refused.value
    return item


def from_item(item: dict[str, Any], sealed: SealedRecord | None) -> ReferralAttachment:
    """With `sealed` None the name is left empty (metadata only, nothing decrypted)."""
    attachment_id = item["attachment_id"]
    name = ""
    if sealed is not None:
        name = sealed.decrypt(attachment_field(attachment_id), bytes(item[SEALED_FIELD]))["filename"]
    return ReferralAttachment(
        attachment_id=attachment_id,
        filename=name,
        content_type=item.get("type", ""),
        size=int(item["size"]),
        sha256=item["sha256"],
        uploaded_at=dt.datetime.fromisoformat(item["uploaded_at"]),
        object_key=item.get("key", ""),
        refused=Refusal(item["refused"]) if item.get("refused") else None,
    )


class AttachmentRecords:
    """A referral's document records. The contract both twins keep (tests/test_attachment_records.py)."""

    def add(self, reference: str, attachment: ReferralAttachment, sealed: SealedRecord) -> bool:
        """Record once: a repeat (the same upload notified again) changes nothing and returns False."""
        raise NotImplementedError

    def metadata_of(self, reference: str) -> list[ReferralAttachment]:
        """Every record, oldest first, names left sealed (no decryption): for counting and retention."""
        raise NotImplementedError

    def attachments_of(self, reference: str, sealed: SealedRecord) -> list[ReferralAttachment]:
        """Every record with its name, opened with the referral's unwrapped key (DecryptionFailed under another)."""
        raise NotImplementedError

    def attachment(self, reference: str, attachment_id: str, sealed: SealedRecord) -> ReferralAttachment | None:
        raise NotImplementedError

    def delete_all(self, reference: str, attachment_ids: list[str]) -> None:
        raise NotImplementedError


def _oldest_first(found: list[ReferralAttachment]) -> list[ReferralAttachment]:
    return sorted(found, key=lambda a: (a.uploaded_at, a.attachment_id))


def _must_be_sealed_for(reference: str, sealed: SealedRecord) -> None:
    if sealed.record_id != reference:
        raise ValueError("a document is sealed with its own referral's key")


class DynamoAttachmentRecords(AttachmentRecords):
    """In the referral's partition, moved as the agency-reply stores move theirs (one table, one way)."""

    def __init__(self, dynamodb_client: Any, table_name: str) -> None:
        self.items = DynamoItems(dynamodb_client, table_name)

    def add(self, reference: str, attachment: ReferralAttachment, sealed: SealedRecord) -> bool:
        return self.items.put_new([to_item(reference, attachment, sealed)])

    def metadata_of(self, reference: str) -> list[ReferralAttachment]:
        found, _ = self.items.query(partition_key(reference), ATTACHMENT_PREFIX)
        return _oldest_first([from_item(item, None) for item in found])

    def attachments_of(self, reference: str, sealed: SealedRecord) -> list[ReferralAttachment]:
        found, _ = self.items.query(partition_key(reference), ATTACHMENT_PREFIX)
        return _oldest_first([from_item(item, sealed) for item in found])

    def attachment(self, reference: str, attachment_id: str, sealed: SealedRecord) -> ReferralAttachment | None:
        item = self.items.get(partition_key(reference), ATTACHMENT_PREFIX + attachment_id)
        return from_item(item, sealed) if item else None

    def delete_all(self, reference: str, attachment_ids: list[str]) -> None:
        self.items.delete([(partition_key(reference), ATTACHMENT_PREFIX + i) for i in attachment_ids])


class InMemoryAttachmentRecords(AttachmentRecords):
    """Domain objects in a dict; each remembers the data key it was sealed under, so that, as in
    DynamoDB, its name opens only with that key."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, tuple[ReferralAttachment, bytes]]] = {}

    def add(self, reference: str, attachment: ReferralAttachment, sealed: SealedRecord) -> bool:
        _must_be_sealed_for(reference, sealed)
        held = self.records.setdefault(reference, {})
        if attachment.attachment_id in held:
            return False
        held[attachment.attachment_id] = (attachment, sealed.encrypted_key)
        return True

    def metadata_of(self, reference: str) -> list[ReferralAttachment]:
        held = self.records.get(reference, {}).values()
        return _oldest_first([replace(attachment, filename="") for attachment, _ in held])

    def attachments_of(self, reference: str, sealed: SealedRecord) -> list[ReferralAttachment]:
        held = self.records.get(reference, {})
        return _oldest_first([self._opened(held[attachment_id], sealed) for attachment_id in held])

    def attachment(self, reference: str, attachment_id: str, sealed: SealedRecord) -> ReferralAttachment | None:
        found = self.records.get(reference, {}).get(attachment_id)
        return self._opened(found, sealed) if found else None

    def delete_all(self, reference: str, attachment_ids: list[str]) -> None:
        held = self.records.get(reference, {})
        for attachment_id in attachment_ids:
            held.pop(attachment_id, None)

    @staticmethod
    def _opened(held: tuple[ReferralAttachment, bytes], sealed: SealedRecord) -> ReferralAttachment:
        attachment, data_key = held
        if data_key != sealed.encrypted_key:
            raise DecryptionFailed("sealed under another data key")
        return attachment


# -- S3: the uploads bucket, and download links to kept files ------------------------------------


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]


@dataclass(frozen=True)
class Upload:
    data: bytes
    metadata: dict[str, str]


class UploadObjects:
    def presign_post(
        self,
        key: str,
        *,
        max_bytes: int,
        expires_in: int,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        redirect: str | None = None,
    ) -> PresignedPost:
        """A POST for one upload. A key ending in `${filename}` lets the browser's file name in there;
        any other key is exact. The size, type and encryption are conditions S3 checks."""
        raise NotImplementedError

    def get_upload(self, key: str) -> Upload | None:
        """The uploaded bytes and their metadata; None when gone (handled before, or expired)."""
        raise NotImplementedError

    def delete_upload(self, key: str) -> None:
        raise NotImplementedError

    def download_url(self, key: str, *, filename: str, content_type: str, expires_in: int) -> str:
        """A presigned GET of a kept file in the attachments bucket, always as a download (never shown
        inline), named with OUR extension for `content_type` (the detected type) and served as that type."""
        raise NotImplementedError


class S3UploadObjects(UploadObjects):
    def __init__(self, s3_client: Any, uploads_bucket: str, attachments_bucket: str, kms_key_id: str | None) -> None:
        self._s3 = s3_client
        self._uploads = uploads_bucket
        self._attachments = attachments_bucket
        # Without a key id, `aws:kms` means the account's AWS-managed key (aws/s3), not the hub's.
        self._kms_key_id = kms_key_id

    def presign_post(
        self,
        key: str,
        *,
        max_bytes: int,
        expires_in: int,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        redirect: str | None = None,
    ) -> PresignedPost:
        fields: dict[str, str] = {"x-amz-server-side-encryption": "aws:kms"}
        if self._kms_key_id:
            fields["x-amz-server-side-encryption-aws-kms-key-id"] = self._kms_key_id
        if content_type:
            fields["Content-Type"] = content_type
        for name, value in (metadata or {}).items():
            fields[f"x-amz-meta-{name}"] = value
        if redirect:
            fields["success_action_redirect"] = redirect
        # Every field is a condition with its exact value; boto3 adds the bucket and the key (exact,
        # or starts-with up to `${filename}`).
        conditions: list[Any] = [{name: value} for name, value in fields.items()]
        conditions.append(["content-length-range", 1, max_bytes])
        with aws_errors("s3"):
            answer = self._s3.generate_presigned_post(
                Bucket=self._uploads, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
            )
        return PresignedPost(answer["url"], {k: str(v) for k, v in answer["fields"].items()})

    def get_upload(self, key: str) -> Upload | None:
        try:
            answer = self._s3.get_object(Bucket=self._uploads, Key=key)
            data = answer["Body"].read()
        except Exception as exc:
            error = translate("s3", exc)
            if error.code in _MISSING:
                return None
            raise error from None
        return Upload(data, {k.lower(): v for k, v in (answer.get("Metadata") or {}).items()})

    def delete_upload(self, key: str) -> None:
        with aws_errors("s3"):
            self._s3.delete_object(Bucket=self._uploads, Key=key)

    def download_url(self, key: str, *, filename: str, content_type: str, expires_in: int) -> str:
        with aws_errors("s3"):
            return str(
                self._s3.generate_presigned_url(
                    "get_object",
                    Params={"Bucket": self._attachments, "Key": key, **_download_headers(filename, content_type)},
                    ExpiresIn=expires_in,
                )
            )


def _download_headers(filename: str, content_type: str) -> dict[str, str]:
    """What S3 answers a staff download with. The name is the uploader's base name with OUR extension
    for the detected type (`Referral notes.hta` that is text -> `Referral notes.txt`): a file is never
    saved, and so never run, as a type it was not checked to be. (A presigned GET can set only S3's
    response-* headers: X-Content-Type-Options is not one; the exact type and `attachment` stand in.)"""
    from urllib.parse import quote

    from chalicelib.domain.file_types import download_name, download_type

    name = download_name(filename, content_type)
    # RFC 6266: an ASCII fallback and the UTF-8 name; `attachment` so a browser never renders it.
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in "._- " else "_" for c in name)
    return {
        "ResponseContentDisposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}",
        "ResponseContentType": download_type(content_type),
        "ResponseCacheControl": "private, no-store",
    }
