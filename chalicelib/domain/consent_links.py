"""The link in a consent request email: signed, expiring, single-use, and carrying no personal data.

A token is `<request id>.<expiry, epoch seconds>.<signature>`:
- the request id names one consent request: 128 bits of HMAC over the referral's reference, the
  notice that carries the link and when it was asked, under the link key. It is as unguessable as
  random bits without the stage secret, and the outbox can rebuild the same link for a retry
  without the table ever holding it (the table holds only its SHA-256, to find the request);
- the signature is HMAC-SHA256 (truncated to 128 bits) over the id and expiry, under a key derived
  from the stage secret for this purpose only, so a changed id or expiry is refused;
- the expiry is checked before anything is read from the table.

Single use and "a link for another request" are not in the token: the store keeps one small item
per request (`CONSENT#<sha256(request id)>`, see adapters/consent_requests.py) that is claimed
once, and the referral's consent record must still be the request the link was sent for.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass

# The request id and the signature are 16 bytes each, base64url without padding: 22 characters.
TOKEN_PATTERN = re.compile(r"^([A-Za-z0-9_-]{22})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})$")
DEFAULT_LIFETIME = dt.timedelta(days=14)


class LinkRefused(Exception):
    """A consent link that must not be acted on; each subclass is one thing the parent is told."""


class LinkTampered(LinkRefused):
    """Not a link the hub made: malformed, or the signature does not match."""


class LinkExpired(LinkRefused):
    pass


class LinkUsed(LinkRefused):
    """The parent (or someone with the email) has already answered with this link."""


class LinkSuperseded(LinkRefused):
    """The consent is no longer the request this link was sent for (asked again, or recorded by staff)."""


@dataclass(frozen=True)
class ConsentLink:
    request_id: str
    expires_at: dt.datetime

    @property
    def lookup_key(self) -> str:
        """How the store names the request: a digest, so a table dump does not hold a live link's id."""
        return lookup_key(self.request_id)


def link_key(secret: str) -> bytes:
    """The signing key: derived from the stage secret, so it never signs anything but consent links."""
    return hmac.new(secret.encode(), b"consent-link", hashlib.sha256).digest()


def lookup_key(request_id: str) -> str:
    return hashlib.sha256(request_id.encode()).hexdigest()


def link_for(
    *, reference: str, notice_id: str, requested_at: dt.datetime, key: bytes, lifetime: dt.timedelta = DEFAULT_LIFETIME
) -> ConsentLink:
    """The link for one request: the same every time it is built, so a retried email carries it too."""
    asked = str(int(requested_at.timestamp()))
    digest = hmac.new(key, f"request-id\x1f{reference}\x1f{notice_id}\x1f{asked}".encode(), hashlib.sha256).digest()
    # Whole seconds: the expiry travels in the token as an integer.
    expires_at = (requested_at + lifetime).replace(microsecond=0)
    return ConsentLink(_b64(digest[:16]), expires_at)


def sign(link: ConsentLink, key: bytes) -> str:
    expiry = str(int(link.expires_at.timestamp()))
    return f"{link.request_id}.{expiry}.{_signature(link.request_id, expiry, key)}"


def verify(token: str, key: bytes, now: dt.datetime) -> ConsentLink:
    """The link a token names, if the hub signed it and it has not expired; else LinkRefused."""
    match = TOKEN_PATTERN.match(token)
    if match is None:
        raise LinkTampered()
    request_id, expiry, signature = match.groups()
    # As bytes: both are ASCII here (the pattern), and compare_digest is constant-time.
    if not hmac.compare_digest(_signature(request_id, expiry, key).encode(), signature.encode()):
        raise LinkTampered()
    expires_at = dt.datetime.fromtimestamp(int(expiry), dt.UTC)
    if now >= expires_at:
        raise LinkExpired()
    return ConsentLink(request_id, expires_at)


def _signature(request_id: str, expiry: str, key: bytes) -> str:
    digest = hmac.new(key, f"consent-link\x1f{request_id}\x1f{expiry}".encode(), hashlib.sha256).digest()
    return _b64(digest[:16])


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
