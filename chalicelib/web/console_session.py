"""The staff console's session: an opaque id in a cookie; the staff ID token server-side, sealed.

Why a server-side session rather than the token in a cookie: the token is personal data (name,
email, groups) and a bearer credential for the whole admin API; a browser only ever holds a random
session id (`__Host-mash_staff`, HttpOnly, Secure, SameSite=Strict). The table holds the id's
SHA-256 as the key and the token sealed with `FieldCipher` under a data key of its own, so a table
dump gives neither a usable session nor the token. The item's TTL is the token's expiry. The store
(and its in-memory twin) is `chalicelib/adapters/staff_sessions.py`.

Every request re-verifies the token with the admin API's own verifier (`auth._verifier`): an
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
import hashlib
import hmac
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# The store and the hosted UI client are adapters; the names marked F401 are re-exported, so
# `sessions.<name>` keeps working for the console, the local sign-in and the tests.
from chalicelib.adapters.cognito_hosted_ui import CognitoHostedUi, pkce_challenge  # noqa: F401
from chalicelib.adapters.staff_sessions import (
    SESSION_PREFIX,  # noqa: F401
    SESSION_SK,  # noqa: F401
    TOKEN_FIELD,  # noqa: F401
    DynamoStaffSessionStore,
    InMemoryStaffSessionStore,  # noqa: F401
    StaffSessionStore,
    StoredSession,
    session_key,  # noqa: F401
)
from chalicelib.domain.failures import SignInUnavailable
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.settings import Settings, get_settings
from chalicelib.web.form_session import SESSION_ID_PATTERN, cookie_name, new_session_id, read_cookie
from chalicelib.wiring import wiring

STAFF_COOKIE = "mash_staff"
SIGN_IN_COOKIE = "mash_staff_sign_in"
RETURN_COOKIE = "mash_staff_return"  # the console page asked for before signing in
RETURN_PATH_MAX_CHARS = 512
SIGN_IN_MAX_AGE_SECONDS = 10 * 60
CALLBACK_PATH = "/staff/callback"
SIGNED_OUT_PATH = "/staff/signed-out"
# Touch the idle clock at most this often: a page and its redirect need not both write.
TOUCH_EVERY_SECONDS = 30


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


def _sign(purpose: str, value: str) -> str:
    key = get_settings().hmac_secret.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def _same(expected: str, given: str | None) -> bool:
    # As bytes: compare_digest raises TypeError (a 500) for a str with any non-ASCII character.
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def csrf_token(session_id: str) -> str:
    return _sign("staff-csrf", session_id)


def csrf_valid(session_id: str, token: str | None) -> bool:
    return _same(csrf_token(session_id), token)


def sign_in_csrf_token(pending_id: str) -> str:
    """The local sign-in page's form token, tied to the sign-in cookie."""
    return _sign("staff-sign-in-csrf", pending_id)


def sign_in_csrf_valid(pending_id: str, token: str | None) -> bool:
    return _same(sign_in_csrf_token(pending_id), token)


def oauth_state(pending_id: str) -> str:
    return _sign("staff-oauth-state", pending_id)


def oauth_state_valid(pending_id: str, state: str | None) -> bool:
    return _same(oauth_state(pending_id), state)


def pkce_verifier(pending_id: str) -> str:
    """RFC 7636 code verifier (64 unreserved characters): only the server, with the cookie, can make it."""
    return _sign("staff-pkce", pending_id)


def new_pending_id() -> str:
    return new_session_id()


# -- the store (chalicelib/adapters/staff_sessions.py) ---------------------------------------------


def sessions() -> StaffSessionStore:
    """The store, built once per wiring (tests may put an InMemoryStaffSessionStore under this name)."""
    hub = wiring()
    return hub._once(
        "staff_sessions",
        lambda: DynamoStaffSessionStore(hub.aws_client("dynamodb"), hub.settings.table_name, hub.cipher),
    )


# -- signing in, staying in, signing out --------------------------------------------------------


class SessionEnded(Exception):
    """No session, or it ended: `reason` says why (for the page the person sees)."""

    IDLE = "idle"
    EXPIRED = "expired"
    NONE = "none"

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class SignedIn:
    session_id: str
    staff: StaffMember

    @property
    def csrf_token(self) -> str:
        return csrf_token(self.session_id)

    def holds_any(self, roles: Iterable[Role]) -> bool:
        return self.staff.holds_any(roles)


def _now() -> float:
    return wiring().clock().timestamp()


def verify(id_token: str) -> Any:
    """The admin API's own verifier: same keys, issuer, audience, algorithm and expiry rules."""
    from chalicelib.adapters.staff_tokens import SigningKeysUnavailable
    from chalicelib.web.auth import _verifier

    try:
        return _verifier(wiring().settings).verify(id_token)
    except SigningKeysUnavailable as error:
        raise SignInUnavailable(str(error)) from error


def start_session(id_token: str, refresh_token: str | None = None) -> SignedIn:
    """Verify the token (TokenRefused if it is not good), store it, and make a new session id."""
    verified = verify(id_token)
    session_id = new_session_id()
    sessions().save(
        session_id, id_token=id_token, refresh_token=refresh_token, expires_at=_expiry(verified), now=_now()
    )
    return SignedIn(session_id, _staff(verified))


def _expiry(verified: Any) -> int:
    return int(verified.expires_at)


def _staff(verified: Any) -> StaffMember:
    return StaffMember(id=verified.subject, roles=Role.from_groups(verified.groups), name=verified.name)


def current_session(headers: Any) -> SignedIn:
    """The signed-in staff member, the token re-verified; SessionEnded when there is none."""
    from chalicelib.adapters.staff_tokens import TokenRefused

    session_id = session_id_from(headers)
    if session_id is None:
        raise SessionEnded(SessionEnded.NONE)
    store, now = sessions(), _now()
    # Expiry is the token's, in real time (as PyJWT and DynamoDB's TTL count it); idleness is
    # counted by the wiring clock, which tests move.
    stored = store.load(session_id, time.time())
    if stored is None:
        raise SessionEnded(SessionEnded.EXPIRED)
    if now - stored.last_seen > wiring().settings.console_idle_minutes * 60:
        store.delete(session_id)
        raise SessionEnded(SessionEnded.IDLE)
    try:
        verified = verify(stored.id_token)
    except TokenRefused as refusal:
        verified = _refreshed(session_id, stored, refusal, now)
    if now - stored.last_seen >= TOUCH_EVERY_SECONDS:
        store.touch(session_id, now)
    return SignedIn(session_id, _staff(verified))


def _refreshed(session_id: str, stored: StoredSession, refusal: Any, now: float) -> Any:
    """An expired ID token with a refresh token (hosted UI): a new ID token, else the session ends."""
    from chalicelib.adapters.staff_tokens import TokenRefused

    hosted = hosted_ui(wiring().settings)
    if refusal.code != "token_expired" or not stored.refresh_token or hosted is None:
        sessions().delete(session_id)
        raise SessionEnded(SessionEnded.EXPIRED, refusal.message)
    try:
        tokens = hosted.refresh(stored.refresh_token)
        verified = verify(tokens["id_token"])
    except (TokenRefused, KeyError):
        sessions().delete(session_id)
        raise SessionEnded(SessionEnded.EXPIRED, refusal.message) from None
    sessions().save(
        session_id,
        id_token=tokens["id_token"],
        refresh_token=stored.refresh_token,
        expires_at=_expiry(verified),
        now=now,
    )
    return verified


def end_session(headers: Any) -> None:
    session_id = session_id_from(headers)
    if session_id is not None:
        sessions().delete(session_id)


# -- Cognito's hosted UI (chalicelib/adapters/cognito_hosted_ui.py) ---------------------------------


@dataclass(frozen=True)
class HostedUi:
    """The hosted UI for the console: the state and the PKCE verifier are made from the sign-in
    cookie's id (HMACs above), so nothing is stored before sign-in; the adapter does the HTTP."""

    client: CognitoHostedUi

    def authorize_url(self, pending_id: str) -> str:
        return self.client.authorize_url(state=oauth_state(pending_id), code_verifier=pkce_verifier(pending_id))

    def exchange(self, code: str, pending_id: str) -> dict[str, Any]:
        return self.client.exchange(code, code_verifier=pkce_verifier(pending_id))

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        return self.client.refresh(refresh_token)

    def logout_url(self) -> str:
        return self.client.logout_url()


def hosted_ui(settings: Settings) -> HostedUi | None:
    """The hosted UI when the stage has one (MASH_CONSOLE_HOSTED_UI_DOMAIN and the app client id)."""
    if not settings.console_hosted_ui_domain or not settings.jwt_audience:
        return None
    return HostedUi(
        CognitoHostedUi(
            domain=settings.console_hosted_ui_domain.rstrip("/"),
            client_id=settings.jwt_audience,
            callback_url=settings.public_url + CALLBACK_PATH,
            signed_out_url=settings.public_url + SIGNED_OUT_PATH,
        )
    )
