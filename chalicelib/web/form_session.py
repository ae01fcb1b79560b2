"""The public form's session: an opaque id in a cookie, the answers server-side, a CSRF token.

The browser holds only a random session id (HttpOnly, SameSite=Lax, short-lived). Answers live
in `wiring().drafts`, encrypted, with their own TTL. The CSRF token is an HMAC of the session id,
so it needs no storage and cannot be forged without the server's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from http.cookies import SimpleCookie
from typing import Any

from chalicelib.settings import Settings, get_settings
from chalicelib.wiring import wiring

SESSION_COOKIE = "mash_session"
RECEIPT_COOKIE = "mash_receipt"
CSRF_FIELD = "csrf_token"
# token_urlsafe(32) gives 43 characters of [A-Za-z0-9_-]; anything else is not ours.
SESSION_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
REFERENCE_PATTERN = re.compile(r"^[A-Z0-9-]{3,20}$")
RECEIPT_MAX_AGE_SECONDS = 30 * 60


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def cookie_name(name: str, settings: Settings) -> str:
    # The __Host- prefix makes the browser refuse the cookie unless Secure, on this host, Path=/.
    return f"__Host-{name}" if settings.cookie_secure else name


def read_cookie(headers: Any, name: str) -> str | None:
    raw = headers.get("cookie") or ""
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed Cookie header is the browser's problem, not a 500
        return None
    morsel = jar.get(cookie_name(name, get_settings()))
    return morsel.value if morsel else None


def session_id_from(headers: Any) -> str | None:
    value = read_cookie(headers, SESSION_COOKIE)
    return value if value and SESSION_ID_PATTERN.match(value) else None


def set_cookie(name: str, value: str, max_age: int) -> str:
    settings = get_settings()
    parts = [
        f"{cookie_name(name, settings)}={value}",
        "Path=/",
        f"Max-Age={max_age}",
        "HttpOnly",
        "SameSite=Lax",
    ]
    if settings.cookie_secure:
        parts.append("Secure")
    return "; ".join(parts)


def session_cookie(session_id: str) -> str:
    return set_cookie(SESSION_COOKIE, session_id, get_settings().draft_ttl_minutes * 60)


def clear_cookie(name: str) -> str:
    return set_cookie(name, "", 0)


def _sign(purpose: str, value: str) -> str:
    key = get_settings().hmac_secret.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def csrf_token(session_id: str) -> str:
    return _sign("csrf", session_id)


def csrf_valid(session_id: str, token: str | None) -> bool:
    # As bytes: compare_digest raises TypeError (a 500) for a str with any non-ASCII character.
    return bool(token) and hmac.compare_digest(csrf_token(session_id).encode(), (token or "").encode())


def receipt_cookie(reference: str, session_id: str) -> str:
    """The reference, signed and tied to the form session that sent it, for the confirmation page."""
    body = f"{reference}.{_session_tag(session_id)}"
    return set_cookie(RECEIPT_COOKIE, f"{body}.{_sign('receipt', body)}", RECEIPT_MAX_AGE_SECONDS)


def _session_tag(session_id: str) -> str:
    return _sign("receipt-session", session_id)[:16]


def _receipt(headers: Any) -> tuple[str, str] | None:
    reference, _, rest = (read_cookie(headers, RECEIPT_COOKIE) or "").partition(".")
    tag, _, signature = rest.partition(".")
    if REFERENCE_PATTERN.match(reference) and hmac.compare_digest(_sign("receipt", f"{reference}.{tag}"), signature):
        return reference, tag
    return None


def reference_from(headers: Any) -> str | None:
    receipt = _receipt(headers)
    return receipt[0] if receipt else None


def sent_by(headers: Any, session_id: str) -> bool:
    """Whether this form session has already sent its referral (a late second click on Send)."""
    receipt = _receipt(headers)
    return receipt is not None and hmac.compare_digest(receipt[1], _session_tag(session_id))


def load_answers(session_id: str) -> dict[str, Any] | None:
    return wiring().drafts.load(session_id)


def save_answers(session_id: str, answers: dict[str, Any]) -> None:
    wiring().drafts.save(session_id, answers)


def forget_answers(session_id: str) -> None:
    wiring().drafts.delete(session_id)
