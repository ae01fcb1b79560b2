"""Documents a referrer adds to their referral: the rules, the upload token, and where files live.

After a referral is stored the referrer may add up to `MAX_FILES` documents within
`UPLOAD_WINDOW` of its receipt, without an account:
- through the API, with the `attachments_token` of the 201 answer (below), or
- on the form, from the confirmation page (the receipt cookie names the reference).

Either way the hub answers with an S3 presigned POST for one upload under
`uploads/<reference>/<upload id>` in the uploads bucket, which the public can write to and nobody
reads but the uploads handler. That handler checks each file BY CONTENT AND STRUCTURE (the checks
agency reply attachments use: chalicelib/domain/file_types.py) and size, then keeps it
(under `referrals/<reference>/<attachment id>` in the attachments bucket, SSE-KMS under the storage
key) or refuses it, and records either on the referral so staff see that a file came.

The token is `<reference without hyphens>.<expiry, epoch seconds>.<signature>`: it names the
referral and nothing personal, the signature is HMAC-SHA256 (128 bits) under a key derived from
the stage secret for this purpose only, and it is the same for the same referral every time it is
made (so a repeated API request, answered 200, gets the same token).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import urllib.parse
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from chalicelib.domain.agency_replies import DOCX, JPEG, PDF, PNG, TEXT, content_type_of

MAX_FILES = 5  # documents kept per referral
# Uploads recorded per referral, kept or refused: beyond this an upload is deleted unrecorded (a
# log line says so). It bounds what one leaked token can write in the referral's partition.
MAX_RECORDS = 2 * MAX_FILES
UPLOAD_WINDOW = dt.timedelta(hours=1)
# How long one presigned POST may be used: enough to pick a file and send it on a slow line.
POST_LIFETIME = dt.timedelta(minutes=15)
# How long a member of staff's download link works: long enough to click, too short to pass around.
DOWNLOAD_LIFETIME = dt.timedelta(seconds=60)
MAX_FILENAME_CHARS = 200

UPLOAD_PREFIX = "uploads/"
KEPT_PREFIX = "referrals/"
# The form cannot know a file's name before it is sent (no JavaScript needed): S3 puts the name the
# browser gives in place of this, so the key is `uploads/<reference>/<upload id>/<file name>`.
S3_FILENAME_VARIABLE = "${filename}"
# What the API's presigned POST carries the declared name in (percent-encoded UTF-8).
FILENAME_METADATA = "filename"
UNNAMED = "document"

# The types the hub keeps, as the API declares them, with what people call them.
ACCEPTED_TYPES: dict[str, str] = {
    PDF: "PDF",
    DOCX: "Word document (.docx)",
    PNG: "PNG image",
    JPEG: "JPEG image",
    TEXT: "plain text",
}

_TOKEN = re.compile(r"^([A-Z0-9]{9})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})$")
_UPLOAD_ID = re.compile(r"^[a-z0-9]{16,32}$")
_REFERENCE = re.compile(r"^[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{3}$")


class UploadRefused(Exception):
    """A request for an upload the hub will not give: `code` for machines, the message for people."""

    def __init__(self, code: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class TokenRefused(UploadRefused):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, status=401)


class Refusal(StrEnum):
    """Why an uploaded file was not kept (staff see the text, the referrer the short version)."""

    TOO_LARGE = "too_large"
    TYPE_NOT_KEPT = "type_not_kept"
    TOO_MANY = "too_many"
    EMPTY = "empty"
    REFERRAL_CLOSED = "referral_closed"


REFUSAL_TEXT: dict[Refusal, str] = {
    Refusal.TOO_LARGE: "The file was larger than the hub keeps",
    Refusal.TYPE_NOT_KEPT: "The file was not a PDF, Word (.docx), PNG, JPEG or plain text file (checked by its content)",
    Refusal.TOO_MANY: f"The referral already had {MAX_FILES} documents",
    Refusal.EMPTY: "The file was empty",
    Refusal.REFERRAL_CLOSED: "The referral was closed before the file arrived: a closed referral is read-only",
}
CLOSED_TEXT = (
    "This referral has been closed by the MASH, so no more documents can be added to it. If you have a new "
    "concern, make a new referral"
)


@dataclass(frozen=True)
class ReferralAttachment:
    attachment_id: str
    filename: str  # sealed under the referral's data key: names can carry a family's name
    content_type: str  # by content, not by name ("" when refused before it could be told)
    size: int
    sha256: str
    uploaded_at: dt.datetime
    object_key: str = ""  # in the attachments bucket; "" when refused
    refused: Refusal | None = None

    @property
    def kept(self) -> bool:
        return self.refused is None


@dataclass(frozen=True)
class UploadKey:
    """What an upload's object key says: the referral, the upload, and (form uploads) the file's name."""

    reference: str
    upload_id: str
    filename: str | None


# -- the token ------------------------------------------------------------------------------------


def token_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"attachments-token", hashlib.sha256).digest()


def window_closes(received_at: dt.datetime) -> dt.datetime:
    return (received_at + UPLOAD_WINDOW).astimezone(dt.UTC).replace(microsecond=0)


def sign_token(reference: str, received_at: dt.datetime, key: bytes) -> str:
    compact = reference.replace("-", "")
    expiry = str(int(window_closes(received_at).timestamp()))
    return f"{compact}.{expiry}.{_signature(compact, expiry, key)}"


def verify_token(token: str, reference: str, key: bytes, now: dt.datetime) -> dt.datetime:
    """When the token's window closes, if the hub signed it for this reference and it is open."""
    match = _TOKEN.match(token.strip())
    if match is None:
        raise TokenRefused(
            "invalid_token",
            "The attachments token is not one the hub gave: use the attachments_token from the referral's 201 answer",
        )
    compact, expiry, signature = match.groups()
    if not hmac.compare_digest(_signature(compact, expiry, key).encode(), signature.encode()):
        raise TokenRefused(
            "invalid_token",
            "The attachments token is not one the hub gave: use the attachments_token from the referral's 201 answer",
        )
    if compact != reference.replace("-", ""):
        raise TokenRefused("invalid_token", "The attachments token is for another referral")
    closes = dt.datetime.fromtimestamp(int(expiry), dt.UTC)
    if now >= closes:
        raise TokenRefused(
            "token_expired",
            f"Documents can be added for {int(UPLOAD_WINDOW.total_seconds() // 60)} minutes after a referral is sent, and that time has passed: email them to the MASH instead, quoting the reference",
        )
    return closes


def _signature(compact: str, expiry: str, key: bytes) -> str:
    digest = hmac.new(key, f"attachments\x1f{compact}\x1f{expiry}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


# -- what an upload may be ----------------------------------------------------------------------------


def check_declared(filename: str, content_type: str, size: int, max_bytes: int) -> None:
    """The API's declared file, before any byte is sent (the content is checked again on arrival)."""
    if content_type not in ACCEPTED_TYPES:
        kinds = ", ".join(ACCEPTED_TYPES)
        raise UploadRefused("type_not_accepted", f"content_type must be one of: {kinds}")
    if size < 1:
        raise UploadRefused("empty_file", "size must be the file's size in bytes, at least 1")
    if size > max_bytes:
        raise UploadRefused(
            "too_large", f"A document can be at most {describe_size(max_bytes)}; this one is {describe_size(size)}"
        )
    if not clean_filename(filename):
        raise UploadRefused("invalid_filename", "filename must name the file, like report.pdf")


def check_room(kept: int, recorded: int) -> None:
    if kept >= MAX_FILES:
        raise UploadRefused(
            "too_many_files",
            f"This referral already has {MAX_FILES} documents, the most it can have: email any others to the MASH, quoting the reference",
            status=409,
        )
    if recorded >= MAX_RECORDS:
        raise UploadRefused(
            "too_many_files",
            "Too many files were sent for this referral: email any others to the MASH, quoting the reference",
            status=409,
        )


def refusal_of(data: bytes, max_bytes: int, kept_already: int) -> Refusal | None:
    """Why an arrived file is not kept, by its content; None to keep it."""
    if not data:
        return Refusal.EMPTY
    if len(data) > max_bytes:
        return Refusal.TOO_LARGE
    if content_type_of(data) is None:
        return Refusal.TYPE_NOT_KEPT
    if kept_already >= MAX_FILES:
        return Refusal.TOO_MANY
    return None


def clean_filename(name: str | None) -> str:
    """A file name as staff will see it: no folders, no control characters, not too long."""
    if not name:
        return ""
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:MAX_FILENAME_CHARS]


def describe_size(size: int) -> str:
    # Whole-number arithmetic: a float overflows on a declared size of hundreds of digits.
    if size >= 1024 * 1024:
        tenths = (size * 10 + 512 * 1024) // (1024 * 1024)
        return f"{tenths // 10}.{tenths % 10} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} bytes"


# The largest size the API takes as a number: JSON's safe integers. Anything larger is not a file's
# size but a probe's; it is refused per field before any message formats it.
MAX_DECLARED_SIZE = 2**53 - 1


def _declared_size(size: int) -> int:
    if not 1 <= size <= MAX_DECLARED_SIZE:
        raise ValueError(f"size must be the file's size in bytes: a whole number from 1 to {MAX_DECLARED_SIZE}")
    return size


# The API's `size` field (chalicelib/web/api.py AttachmentRequest).
DeclaredSize = Annotated[int, AfterValidator(_declared_size)]


# -- where files live ------------------------------------------------------------------------------------


def upload_prefix(reference: str, upload_id: str) -> str:
    return f"{UPLOAD_PREFIX}{reference}/{upload_id}"


def kept_key(reference: str, attachment_id: str) -> str:
    return f"{KEPT_PREFIX}{reference}/{attachment_id}"


def kept_prefix(reference: str) -> str:
    return f"{KEPT_PREFIX}{reference}/"


def parse_upload_key(key: str) -> UploadKey | None:
    """`uploads/<reference>/<upload id>[/<file name>]`, or None for anything else."""
    if not key.startswith(UPLOAD_PREFIX):
        return None
    parts = key[len(UPLOAD_PREFIX) :].split("/", 2)
    if len(parts) < 2 or not _REFERENCE.match(parts[0]) or not _UPLOAD_ID.match(parts[1]):
        return None
    name = parts[2] if len(parts) == 3 else None
    if name == S3_FILENAME_VARIABLE:  # an emulator that does not put the browser's name in its place
        name = None
    return UploadKey(parts[0], parts[1], clean_filename(name) or None)


def attachment_id_for(upload_key: str) -> str:
    """One id per uploaded object: a repeated notification finds the same id, so a file is recorded once."""
    return hashlib.sha256(upload_key.encode()).hexdigest()[:20]


def encode_filename(name: str) -> str:
    """For S3 metadata, which carries ASCII only."""
    return urllib.parse.quote(name, safe="")


def decode_filename(value: str | None) -> str | None:
    return clean_filename(urllib.parse.unquote(value)) or None if value else None


class AttachmentRequest(BaseModel):
    """A document the referrer is about to send: it is checked again by its content when it arrives."""

    model_config = ConfigDict(extra="forbid")

    filename: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    content_type: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    size: DeclaredSize  # bounded before any message formats it (a 400-digit size was a 500)
