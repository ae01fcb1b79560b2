"""The address an agency replies to: `reply+<token>@<mail domain>`, the token signed and naming one enquiry.

A token is `<reference without dashes>-<enquiry id>-<issued, days since 1970 in base 36>-<signature>`,
all lower case because some mail systems lower-case the local part of an address:
- the signature is HMAC-SHA256 (80 bits, base32) over the rest, under a key derived from the stage
  secret for this purpose only, so a forged or edited token is refused before anything is read;
- the issue day gives an expiry without a table read (`enquiry_reply_days`);
- the reference is no secret from the agency: it is in the subject of the request they answer.
Whether the enquiry is still open, and whether the sender may answer it, are checked against the
referral by the inbound handler: the token only says which enquiry a reply claims to answer.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass

from chalicelib.domain.reference import ALPHABET

_REF = f"[{ALPHABET.lower()}]{{9}}"
TOKEN_PATTERN = re.compile(rf"^({_REF})-(e[1-9][0-9]{{0,2}})-([0-9a-z]{{1,6}})-([a-z2-7]{{16}})$")
ADDRESS_PATTERN = re.compile(r"^reply\+([^@]+)@(.+)$")
EPOCH = dt.date(1970, 1, 1)


class TokenRefused(Exception):
    """A reply that cannot be matched by its token; `reason` is a code for the triage list."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ReplyToken:
    reference: str  # K7Q-F3M-RW9
    enquiry_id: str  # e1
    issued_on: dt.date


def token_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"agency-reply-token", hashlib.sha256).digest()


def reply_address(token: ReplyToken, key: bytes, mail_domain: str) -> str:
    return f"reply+{sign(token, key)}@{mail_domain}"


def sign(token: ReplyToken, key: bytes) -> str:
    body = f"{token.reference.replace('-', '').lower()}-{token.enquiry_id}-{_base36((token.issued_on - EPOCH).days)}"
    return f"{body}-{_signature(body, key)}"


def verify(text: str, key: bytes, today: dt.date, lifetime_days: int) -> ReplyToken:
    match = TOKEN_PATTERN.match(text.strip().lower())
    if match is None:
        raise TokenRefused("token_malformed")
    compact, enquiry_id, issued, signature = match.groups()
    body = f"{compact}-{enquiry_id}-{issued}"
    if not hmac.compare_digest(_signature(body, key).encode(), signature.encode()):
        raise TokenRefused("token_forged")
    issued_on = EPOCH + dt.timedelta(days=int(issued, 36))
    if today > issued_on + dt.timedelta(days=lifetime_days):
        raise TokenRefused("token_expired")
    reference = compact.upper()
    return ReplyToken(f"{reference[:3]}-{reference[3:6]}-{reference[6:]}", enquiry_id, issued_on)


def token_from_recipients(recipients: tuple[str, ...], mail_domain: str) -> str | None:
    """The token of the first `reply+…@<our domain>` recipient; None when the reply has none."""
    for address in recipients:
        match = ADDRESS_PATTERN.match(address.lower())
        if match and match.group(2) == mail_domain.lower():
            return match.group(1)
    return None


def _signature(body: str, key: bytes) -> str:
    digest = hmac.new(key, f"reply-token\x1f{body}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode().lower()


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if number == 0:
            return text
