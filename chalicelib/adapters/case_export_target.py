"""Where exports to the case-management system go (`MASH_EXPORT_TARGET`): an S3 drop folder the
case system's SFTP picks up from, or its HTTPS import endpoint. Both take the same export again
without a second copy: the S3 key is the export's id, and the endpoint is sent it as the
`Idempotency-Key`. The body is the document; no personal data is logged or put in a key or header.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from chalicelib.adapters.aws import aws_errors
from chalicelib.domain.failures import ExportFailed

SIGNATURE_HEADER = "X-Mash-Signature"
# A receiver that is busy or has a transient fault: worth another try (408 timeout, 429 too many).
RETRYABLE_4XX = frozenset({408, 425, 429})


class ExportTarget:
    def deliver(self, export_id: str, body: bytes) -> str | None:
        """Hand one export over; the receiver's own id for it, if it gave one. Raises ExportFailed
        (retryable or not) or AwsError."""
        raise NotImplementedError


def object_key(prefix: str, export_id: str) -> str:
    return f"{prefix}{export_id}.json"


class S3DropTarget(ExportTarget):
    def __init__(self, s3_client: Any, bucket: str, prefix: str, kms_key_id: str | None) -> None:
        self._s3 = s3_client
        self._bucket = bucket
        self._prefix = prefix
        self._kms_key_id = kms_key_id

    def deliver(self, export_id: str, body: bytes) -> str | None:
        arguments: dict[str, Any] = {
            "Bucket": self._bucket,
            "Key": object_key(self._prefix, export_id),
            "Body": body,
            "ContentType": "application/json",
        }
        if self._kms_key_id:
            arguments.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=self._kms_key_id)
        with aws_errors("s3"):
            self._s3.put_object(**arguments)
        return None  # a drop folder answers nothing: the case system's id comes later, if ever


def signature(secret: str, body: bytes) -> str:
    """HMAC-SHA256 of the exact body, hex: the receiver computes the same to know it came from us."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class HttpsExportTarget(ExportTarget):
    def __init__(self, url: str, secret: str, timeout_seconds: float, *, ca_bundle: str | None = None) -> None:
        self._url = url
        self._secret = secret
        self._timeout = timeout_seconds
        # The endpoint's certificate is always checked: against the council's CA bundle when one is
        # set (MASH_EXPORT_CA_BUNDLE), else the system's trust store.
        self._tls = ssl.create_default_context(cafile=ca_bundle)

    def deliver(self, export_id: str, body: bytes) -> str | None:
        request = urllib.request.Request(  # noqa: S310 - the scheme is https, checked at start-up
            self._url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": export_id,
                SIGNATURE_HEADER: signature(self._secret, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout, context=self._tls) as answer:  # noqa: S310  # nosec B310
                return external_id(answer.read(64 * 1024))
        except urllib.error.HTTPError as error:
            status = error.code
            raise ExportFailed(f"http_{status}", retryable=status >= 500 or status in RETRYABLE_4XX) from None
        except TimeoutError:
            raise ExportFailed("timeout", retryable=True) from None
        except (urllib.error.URLError, OSError):
            raise ExportFailed("unreachable", retryable=True) from None


def external_id(answer: bytes) -> str | None:
    """The receiver's id for the export, from a JSON answer's `id` or `external_id` (else none)."""
    try:
        parsed = json.loads(answer or b"null")
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    found = parsed.get("external_id", parsed.get("id"))
    return str(found)[:200] if isinstance(found, str | int) and not isinstance(found, bool) else None


@dataclass
class InMemoryExportTarget(ExportTarget):
    """The tests' receiver: what it holds by export id (a repeat replaces, never adds), and the
    failures to answer with first, in order."""

    received: dict[str, bytes] = field(default_factory=dict)
    failures: list[ExportFailed] = field(default_factory=list)
    answer_id: str | None = None
    attempts: int = 0

    def deliver(self, export_id: str, body: bytes) -> str | None:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        self.received[export_id] = body
        return self.answer_id
