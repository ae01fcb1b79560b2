"""The staff console's session: an opaque id in a cookie; the staff ID token server-side, sealed.

Why a server-side session rather than the token in a cookie: the token is personal data (name,
email, groups) and a bearer credential for the whole admin API; a browser only ever holds a random
session id (`__Host-mash_staff`, HttpOnly, Secure, SameSite=Strict). The table holds the id's
SHA-256 as the key and the token sealed with `FieldCipher` under a data key of its own, so a table
dump gives neither a usable session nor the token. The item's TTL is the token's expiry. The store
(and its in-memory twin) is `chalicelib/adapters/staff_sessions.py`; signing in, staying in and
signing out are `chalicelib/services/staff_sign_in.py`.

Every request re-verifies the token with the admin API's own verifier (`token_verifier`): an
expired, re-keyed or foreign token ends the session there and then. A session unused for
`console_idle_minutes` (15 by default, by the wiring clock) is signed out.

Signing in: in AWS through Cognito's hosted UI (authorization code + PKCE). The code verifier and
the `state` are HMACs of a random id held in a short-lived sign-in cookie (SameSite=Lax: it must
come back on Cognito's cross-site redirect), so nothing is stored before sign-in; the hosted UI's
HTTP client is `chalicelib/adapters/cognito_hosted_ui.py`. Locally
`local/console_sign_in.py` issues a synthetic staff member's token instead. Either way a NEW session
id is made once the token is verified (no session fixation).

CSRF: every console POST carries an HMAC of the session id (`csrf_token`), as the public form
does, under its own purpose so a form token can never pass for a staff one.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# The session's use case is a service; the names marked F401 are re-exported, so
# `sessions.<name>` keeps working for the console and the local sign-in.
from chalicelib.domain.failures import SignInUnavailable  # noqa: F401
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.services import staff_sign_in
from chalicelib.services.staff_sign_in import (
    CALLBACK_PATH,
    SIGNED_OUT_PATH,
    HostedUi,  # noqa: F401
    SessionEnded,  # noqa: F401
    hosted_ui,  # noqa: F401
    matches,
    oauth_state,  # noqa: F401
    oauth_state_valid,  # noqa: F401
    pkce_verifier,  # noqa: F401
    sessions,  # noqa: F401
    signed,
)
from chalicelib.settings import get_settings
from chalicelib.web.form_session import SESSION_ID_PATTERN, cookie_name, new_session_id, read_cookie

STAFF_COOKIE = "mash_staff"
SIGN_IN_COOKIE = "mash_staff_sign_in"
RETURN_COOKIE = "mash_staff_return"  # the console page asked for before signing in
RETURN_PATH_MAX_CHARS = 512
SIGN_IN_MAX_AGE_SECONDS = 10 * 60


# -- cookies and CSRF --------------------------------------------------------------------------


def _cookie(name: str, value: str, *, same_site: str, max_age: int | None) -> str:
    settings = get_settings()
    parts = [f"{cookie_name(name, settings)}={value}", "Path=/", "HttpOnly", f"SameSite={same_site}"]
    if max_age is not None:
        parts.insert(2, f"Max-Age={max_age}")
    if settings.cookie_secure:
        parts.append("Secure")
    return "; ".join(parts)


def session_cookie(session_id: str) -> str:
    # No Max-Age: the cookie ends with the browser; the server ends the session sooner (idle, expiry).
    return _cookie(STAFF_COOKIE, session_id, same_site="Strict", max_age=None)


def clear_session_cookie() -> str:
    return _cookie(STAFF_COOKIE, "", same_site="Strict", max_age=0)


def sign_in_cookie(pending_id: str) -> str:
    # Lax, not Strict: it must come back with the hosted UI's (cross-site) redirect to the callback.
    return _cookie(SIGN_IN_COOKIE, pending_id, same_site="Lax", max_age=SIGN_IN_MAX_AGE_SECONDS)


def clear_sign_in_cookie() -> str:
    return _cookie(SIGN_IN_COOKIE, "", same_site="Lax", max_age=0)


def safe_return_path(raw: str | None) -> str | None:
    """A console page on this site to go back to after signing in, or None.

    Only a same-site path under /staff/ (never a sign-in page) passes: no scheme, no host, no
    `//` or backslash (which browsers read as another host), no control characters or spaces.
    Anything else is dropped, so the sign-in can never redirect someone to another site."""
    if not raw or len(raw) > RETURN_PATH_MAX_CHARS or not raw.isascii():
        return None
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in raw) or "\\" in raw or raw.startswith("//"):
        return None
    parts = urllib.parse.urlsplit(raw)
    if parts.scheme or parts.netloc or parts.fragment or not parts.path.startswith("/staff/"):
        return None
    if "//" in parts.path or "/../" in parts.path + "/" or "/./" in parts.path + "/":
        return None
    if parts.path in {"/staff/sign-in", CALLBACK_PATH, SIGNED_OUT_PATH, "/staff/local-sign-in", "/staff/sign-out"}:
        return None
    return raw


def return_cookie(path: str) -> str:
    # Lax: it must come back on the hosted UI's cross-site redirect to the callback, as the sign-in
    # cookie does. base64url, so the cookie holds no ; , or space; checked again when read.
    value = base64.urlsafe_b64encode(path.encode()).decode().rstrip("=")
    return _cookie(RETURN_COOKIE, value, same_site="Lax", max_age=SIGN_IN_MAX_AGE_SECONDS)


def clear_return_cookie() -> str:
    return _cookie(RETURN_COOKIE, "", same_site="Lax", max_age=0)


def return_path_from(headers: Any) -> str | None:
    value = read_cookie(headers, RETURN_COOKIE)
    if not value or len(value) > 2 * RETURN_PATH_MAX_CHARS:
        return None
    try:
        path = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    return safe_return_path(path)


def _id_cookie(headers: Any, name: str) -> str | None:
    value = read_cookie(headers, name)
    return value if value and SESSION_ID_PATTERN.match(value) else None


def session_id_from(headers: Any) -> str | None:
    return _id_cookie(headers, STAFF_COOKIE)


def pending_id_from(headers: Any) -> str | None:
    return _id_cookie(headers, SIGN_IN_COOKIE)


def csrf_token(session_id: str) -> str:
    return signed("staff-csrf", session_id)


def csrf_valid(session_id: str, token: str | None) -> bool:
    return matches(csrf_token(session_id), token)


def sign_in_csrf_token(pending_id: str) -> str:
    """The local sign-in page's form token, tied to the sign-in cookie."""
    return signed("staff-sign-in-csrf", pending_id)


def sign_in_csrf_valid(pending_id: str, token: str | None) -> bool:
    return matches(sign_in_csrf_token(pending_id), token)


def new_pending_id() -> str:
    return new_session_id()


# -- signing in, staying in, signing out (chalicelib/services/staff_sign_in.py) --------------------


@dataclass(frozen=True)
class SignedIn:
    session_id: str
    staff: StaffMember

    @property
    def csrf_token(self) -> str:
        return csrf_token(self.session_id)

    def holds_any(self, roles: Iterable[Role]) -> bool:
        return self.staff.holds_any(roles)


def start_session(id_token: str, refresh_token: str | None = None) -> SignedIn:
    """Verify the token (TokenRefused if it is not good), store it, and make a new session id."""
    started = staff_sign_in.start_session(id_token, refresh_token)
    return SignedIn(started.session_id, started.staff)


def current_session(headers: Any) -> SignedIn:
    """The signed-in staff member, the token re-verified; SessionEnded when there is none."""
    current = staff_sign_in.current_session(session_id_from(headers))
    return SignedIn(current.session_id, current.staff)


def end_session(headers: Any) -> None:
    staff_sign_in.end_session(session_id_from(headers))
