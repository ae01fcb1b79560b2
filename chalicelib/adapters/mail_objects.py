"""Mail in S3: the raw messages SES stores (inbound bucket) and the files of agency replies (attachments bucket).

Object keys never carry personal data: inbound keys are SES's message ids, attachment keys are
`replies/<reply id>/<attachment id>`. Attachments are written with SSE-KMS asked for explicitly.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.aws import AwsError, aws_errors, translate

INBOUND_PREFIX = "inbound/"
QUARANTINE_PREFIX = "quarantine/"
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


def quarantine_key(key: str) -> str:
    """`inbound/abc` -> `quarantine/abc`: the same name under a prefix nothing reads or notifies on."""
    return QUARANTINE_PREFIX + key.removeprefix(INBOUND_PREFIX)


def _check_prefix(prefix: str) -> None:
    # Never "everything": a prefix names one reply's folder (`replies/<id>/`).
    if not prefix.endswith("/") or prefix.count("/") < 2 or not prefix.split("/")[1]:
        raise ValueError("delete_attachments takes one reply's folder, e.g. replies/<reply id>/")


class MailObjects:
    def get_raw(self, bucket: str, key: str) -> bytes | None:
        """The raw message; None when it is gone (already quarantined, or expired by the bucket's lifecycle)."""
        raise NotImplementedError

    def quarantine(self, bucket: str, key: str) -> str:
        """Move a message to `quarantine/<same name>` (copy, then delete the original); returns the new key."""
        raise NotImplementedError

    def put_attachment(self, key: str, data: bytes, content_type: str) -> None:
        raise NotImplementedError

    def get_attachment(self, key: str) -> bytes | None:
        raise NotImplementedError

    def delete_attachments(self, prefix: str) -> int:
        """Delete every attachment under one reply's prefix; returns how many."""
        raise NotImplementedError


class S3MailObjects(MailObjects):
    def __init__(self, s3_client: Any, attachments_bucket: str, kms_key_id: str | None = None) -> None:
        self._s3 = s3_client
        self._attachments = attachments_bucket
        # Without a key id, `aws:kms` means the account's AWS-managed key (aws/s3), not the bucket's own.
        self._kms_key_id = kms_key_id

    def get_raw(self, bucket: str, key: str) -> bytes | None:
        try:
            answer = self._s3.get_object(Bucket=bucket, Key=key)
            return answer["Body"].read()
        except Exception as exc:
            error = translate("s3", exc)
            if error.code in _MISSING:
                return None
            raise error from None

    def quarantine(self, bucket: str, key: str) -> str:
        target = quarantine_key(key)
        try:
            self._s3.copy_object(Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": key})
        except Exception as exc:
            error = translate("s3", exc)
            if error.code not in _MISSING:
                raise error from None
            # Already moved by an earlier attempt: nothing left to copy.
            return target
        with aws_errors("s3"):
            self._s3.delete_object(Bucket=bucket, Key=key)
        return target

    def put_attachment(self, key: str, data: bytes, content_type: str) -> None:
        arguments: dict[str, Any] = {
            "Bucket": self._attachments,
            "Key": key,
            "Body": data,
            "ContentType": content_type,
            "ServerSideEncryption": "aws:kms",
            "BucketKeyEnabled": True,
        }
        if self._kms_key_id:
            arguments["SSEKMSKeyId"] = self._kms_key_id
        with aws_errors("s3"):
            self._s3.put_object(**arguments)

    def get_attachment(self, key: str) -> bytes | None:
        return self.get_raw(self._attachments, key)

    def delete_attachments(self, prefix: str) -> int:
        _check_prefix(prefix)
        deleted = 0
        try:
            for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._attachments, Prefix=prefix):
                keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if not keys:
                    continue
                answer = self._s3.delete_objects(Bucket=self._attachments, Delete={"Objects": keys, "Quiet": True})
                if answer.get("Errors"):
                    codes = sorted({str(e.get("Code", "Unknown")) for e in answer["Errors"]})
                    raise AwsError("s3", ",".join(codes), retryable=True)
                deleted += len(keys)
        except AwsError:
            raise
        except Exception as exc:
            raise translate("s3", exc) from None
        return deleted
