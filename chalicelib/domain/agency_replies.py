"""An agency's answer to an enquiry, as the hub keeps it, and mail that could not be matched (triage).

A reply is kept whole (`full_text`, the original with its quoted history) and as the agency's own
words (`text`, quoted history and signature removed). Every text field is personal data: sealed
under the referral's data key in its own item. Attachments live in S3 (SSE-KMS); the item holds
their names (sealed), types, sizes and digests.

Mail the hub cannot safely put on a referral goes to the triage list with a reason code: a person
attaches it to the right enquiry or rejects it. The hub never guesses and never drops a reply.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.agencies import AgencyId

# The types the hub keeps, and how a file is told to be one (re-exported: callers import them from here).
from chalicelib.domain.file_types import DOCX as DOCX
from chalicelib.domain.file_types import JPEG as JPEG
from chalicelib.domain.file_types import PDF as PDF
from chalicelib.domain.file_types import PNG as PNG
from chalicelib.domain.file_types import TEXT as TEXT
from chalicelib.domain.file_types import detect


class TriageReason(StrEnum):  # reason codes, not secrets
    NO_TOKEN = "no_token"  # noqa: S105 - no reply+… address: sent to the wrong address, or forwarded
    TOKEN_MALFORMED = "token_malformed"  # noqa: S105
    TOKEN_FORGED = "token_forged"  # noqa: S105 - the signature does not match: never the hub's token
    TOKEN_EXPIRED = "token_expired"  # noqa: S105
    UNKNOWN_ENQUIRY = "unknown_enquiry"  # a valid token for an enquiry or referral that is gone
    ENQUIRY_CLOSED = "enquiry_closed"  # the referral is closed
    # The enquiry was withdrawn (consent refused, or by staff): its answer is never put on the referral.
    CONSENT_WITHDRAWN = "consent_withdrawn"
    WRONG_SENDER_DOMAIN = "wrong_sender_domain"  # not a domain of the agency asked
    SPAM = "spam"  # SES spam verdict not PASS
    DMARC_FAILED = "dmarc_failed"
    AUTHENTICATION_FAILED = "authentication_failed"  # SPF and DKIM both failed, or were not checked
    AMBIGUOUS_SENDER = "ambiguous_sender"  # two From headers, or several addresses in one
    ATTACHMENT_REFUSED = "attachment_refused"  # too large or a type the hub does not keep
    UNREADABLE = "unreadable"  # not an email the parser could read
    VIRUS = "virus"  # quarantined: never parsed; can only be rejected


TRIAGE_TEXT: dict[TriageReason, str] = {
    TriageReason.NO_TOKEN: "The email was not a reply to a request from the hub (no reply address)",
    TriageReason.TOKEN_MALFORMED: "The reply address was damaged, so the enquiry it answers is not known",
    TriageReason.TOKEN_FORGED: "The reply address was not one the hub made",
    TriageReason.TOKEN_EXPIRED: "The reply came after its reply address had expired",
    TriageReason.UNKNOWN_ENQUIRY: "The reply names an enquiry the hub does not hold",
    TriageReason.ENQUIRY_CLOSED: "The reply is to an enquiry on a closed referral",
    TriageReason.CONSENT_WITHDRAWN: (
        "The reply is to an enquiry the hub withdrew (consent refused, or withdrawn by staff): it is not put on "
        "the referral. Reject it, and tell the agency if it shared information it should not have"
    ),
    TriageReason.WRONG_SENDER_DOMAIN: "The sender is not at a domain of the agency that was asked",
    TriageReason.SPAM: "The mail service marked the email as possible spam",
    TriageReason.DMARC_FAILED: "The sender's domain did not vouch for the email (DMARC failed)",
    TriageReason.AUTHENTICATION_FAILED: "The email could not be authenticated (SPF and DKIM failed or were missing)",
    TriageReason.AMBIGUOUS_SENDER: "The email named more than one sender, so who sent it is not known",
    TriageReason.ATTACHMENT_REFUSED: "An attachment was too large or of a type the hub does not keep",
    TriageReason.UNREADABLE: "The email could not be read",
    TriageReason.VIRUS: "The mail service found a virus: the email was quarantined and not opened",
}


class TriageStatus(StrEnum):
    WAITING = "waiting"
    ATTACHED = "attached"
    REJECTED = "rejected"


@dataclass(frozen=True)
class StoredAttachment:
    attachment_id: str  # a1, a2, … within the reply
    filename: str  # sealed: names can carry a family's name
    content_type: str  # checked by content, not by name
    size: int
    sha256: str
    object_key: str  # in the attachments bucket: no personal data in the key ("" when not kept)
    # Why the hub did not keep this file (AttachmentRefusal), or None when it is kept in the bucket.
    refused: str | None = None


@dataclass(frozen=True)
class AgencyReply:
    reply_id: str
    reference: str
    enquiry_id: str
    agency: AgencyId
    received_at: dt.datetime
    sender: str  # sealed
    subject: str  # sealed
    text: str  # sealed: the agency's own words
    full_text: str  # sealed: the whole message as text, quoted history included
    attachments: tuple[StoredAttachment, ...] = ()
    source_key: str | None = None  # the raw message's key in the inbound bucket
    attached_by: str | None = None  # a staff id when attached from triage; None when matched by token


@dataclass(frozen=True)
class TriageItem:
    triage_id: str
    received_at: dt.datetime
    reason: TriageReason
    status: TriageStatus
    source_key: str  # the raw message in the inbound bucket (or the quarantine prefix)
    # What the token claimed, when it could be read: a hint for the person, never acted on alone.
    claimed_reference: str | None = None
    claimed_enquiry_id: str | None = None
    # Sealed (under the triage item's own data key): None for a quarantined message (never parsed).
    sender: str | None = None
    subject: str | None = None
    text: str | None = None
    full_text: str | None = None
    attachments: tuple[StoredAttachment, ...] = ()
    verdicts: dict[str, str] | None = None
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    decision_note: str | None = None  # sealed: why it was rejected, or where it went
    # Where it went when attached (clear: a reference and an enquiry id are not personal data).
    attached_reference: str | None = None
    attached_enquiry_id: str | None = None
    # Every time a member of staff read its content: who and when (reads of personal data are accountable).
    views: tuple[TriageView, ...] = ()


@dataclass(frozen=True)
class TriageView:
    by: str  # a staff id
    at: dt.datetime


@dataclass(frozen=True)
class TriageSummary:
    """One line of the triage list: metadata only, so listing needs no KMS call."""

    triage_id: str
    received_at: dt.datetime
    reason: TriageReason
    status: TriageStatus
    claimed_reference: str | None
    claimed_enquiry_id: str | None
    attachment_count: int
    decided_by: str | None = None
    decided_at: dt.datetime | None = None

    @property
    def reason_text(self) -> str:
        return TRIAGE_TEXT[self.reason]


class TriageNotFound(LookupError):
    """No triage item has this id."""


class TriageAlreadyDecided(Exception):
    """Someone attached or rejected the item first: nothing was changed."""


class TriageRefused(Exception):
    """The item may not be attached or rejected as asked; the message says why and what to do."""


class AttachmentRefusal(StrEnum):
    TOO_LARGE = "too_large"
    TYPE_NOT_KEPT = "type_not_kept"  # by its content, not its name: PDF, PNG, JPEG, Word (docx) or plain text only


UNKNOWN_TYPE = "application/octet-stream"


def content_type_of(data: bytes) -> str | None:
    """The type of a file by its content, when it is one the hub keeps; None otherwise.

    A name or a declared type is the sender's word: `invoice.pdf` may be anything. Detection is by
    content and structure (file_types.detect): a macro document, an archive with more than Word's
    parts, a zip bomb, a PDF/HTML polyglot, SVG, HTML and HTA are all None.
    """
    return detect(data)


def attachment_refusal(data: bytes, max_bytes: int) -> AttachmentRefusal | None:
    if len(data) > max_bytes:
        return AttachmentRefusal.TOO_LARGE
    return None if content_type_of(data) else AttachmentRefusal.TYPE_NOT_KEPT


def attachment_key(reply_id: str, attachment_id: str) -> str:
    """Where a reply's file is kept: ids only. A triage item's files are kept under the id the reply
    will have if it is attached (the same message id), so attaching moves nothing."""
    return f"{REPLY_OBJECT_PREFIX}{reply_id}/{attachment_id}"


REPLY_OBJECT_PREFIX = "replies/"

# Text fields are capped so a reply always fits its item (DynamoDB's 400 KB), sealed and compressed.
MAX_FULL_TEXT_BYTES = 192 * 1024
MAX_TEXT_BYTES = 64 * 1024
MAX_SUBJECT_CHARS = 1000
TRUNCATED = "\n\n[The hub kept only the start of this text: it was too long to store whole.]"


def capped(text: str, max_bytes: int) -> str:
    """At most `max_bytes` of UTF-8, cut at a character boundary, with a note when cut."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    room = max(0, max_bytes - len(TRUNCATED.encode()))
    return encoded[:room].decode("utf-8", errors="ignore") + TRUNCATED


def claimed_enquiry(token_text: str | None) -> tuple[str, str] | None:
    """(reference, enquiry id) a token names, when its text is well formed: a hint for a person
    (a forged or expired token's claim is never acted on)."""
    from chalicelib.domain.reply_tokens import TOKEN_PATTERN

    if not token_text:
        return None
    match = TOKEN_PATTERN.match(token_text.strip().lower())
    if match is None:
        return None
    compact = match.group(1).upper()
    return f"{compact[:3]}-{compact[3:6]}-{compact[6:]}", match.group(2)


def message_id_for(source_key: str) -> str:
    """One id per inbound message (its object key): a repeated S3 notification finds the same id,
    so the reply is stored once."""
    return hashlib.sha256(source_key.encode()).hexdigest()[:20]
