"""Staff sign-in as a use case: verify a staff token, keep a session for it, refresh it, end it.

The admin API's authorizer and the console share one verifier (`token_verifier`): same keys,
issuer, audience, algorithm and expiry rules. The console keeps the token server-side in a
session (`chalicelib/adapters/staff_sessions.py`, built by the wiring) and re-verifies it on every
request; an expired token is refreshed through Cognito's hosted UI when the stage has one
(`chalicelib/adapters/cognito_hosted_ui.py`). The cookies, CSRF and pages are the web's
(`chalicelib/web/console_session.py`, `chalicelib/web/console/signing_in.py`).

The hosted UI's `state` and PKCE code verifier are HMACs of a random id the browser holds in a
short-lived cookie, so nothing is stored before sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.cognito_hosted_ui import CognitoHostedUi
from chalicelib.adapters.staff_sessions import StaffSessionStore, StoredSession
from chalicelib.domain.failures import SigningKeysUnavailable, SignInUnavailable, TokenRefused
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.settings import Settings, get_settings
from chalicelib.wiring import wiring

if TYPE_CHECKING:
    from chalicelib.adapters.staff_tokens import TokenVerifier, VerifiedToken

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Where the hosted UI sends a person back to (registered with the user pool's app client).
CALLBACK_PATH = "/staff/callback"
SIGNED_OUT_PATH = "/staff/signed-out"
# Touch the idle clock at most this often: a page and its redirect need not both write.
TOUCH_EVERY_SECONDS = 30


# -- the stage secret's HMACs ------------------------------------------------------------------


def signed(purpose: str, value: str) -> str:
    """An HMAC of `value` under the stage secret, for one purpose (so one can never pass for another)."""
    key = get_settings().hmac_secret.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def matches(expected: str, given: str | None) -> bool:
    # As bytes: compare_digest raises TypeError (a 500) for a str with any non-ASCII character.
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def oauth_state(pending_id: str) -> str:
    return signed("staff-oauth-state", pending_id)


def oauth_state_valid(pending_id: str, state: str | None) -> bool:
    return matches(oauth_state(pending_id), state)


def pkce_verifier(pending_id: str) -> str:
    """RFC 7636 code verifier (64 unreserved characters): only the server, with the cookie, can make it."""
    return signed("staff-pkce", pending_id)


# -- the token ------------------------------------------------------------------------------------


def token_leeway_seconds() -> int:
    """How far the sign-in service's clock and ours may drift: a token older than this has expired."""
    from chalicelib.adapters.staff_tokens import LEEWAY_SECONDS

    return LEEWAY_SECONDS


@lru_cache(maxsize=4)
def token_verifier(settings: Settings) -> TokenVerifier:
    """One verifier (and JWKS cache) per settings: per Lambda container, or per test's settings."""
    # Imported here: PyJWT loads when a token is first checked, not when the app starts.
    from chalicelib.adapters.staff_tokens import LOCAL_AUDIENCE, LOCAL_ISSUER, JwksFile, JwksUrl, TokenVerifier

    if settings.jwks_url and settings.jwt_issuer and settings.jwt_audience:
        return TokenVerifier(JwksUrl(settings.jwks_url), issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    if settings.is_local:
        # The local issuer is trusted here and nowhere else: outside the local stage this branch
        # is never taken, so its key file is never read.
        path = Path(settings.local_jwks_path)
        keys = JwksFile(path if path.is_absolute() else PROJECT_ROOT / path)
        return TokenVerifier(
            keys, issuer=settings.jwt_issuer or LOCAL_ISSUER, audience=settings.jwt_audience or LOCAL_AUDIENCE
        )
    # Fail closed: a stage without a configured user pool trusts no token at all.
    raise SigningKeysUnavailable("MASH_JWT_ISSUER, MASH_JWT_AUDIENCE and MASH_JWKS_URL are not all set")


def verify(id_token: str) -> VerifiedToken:
    """The admin API's own verifier; keys that cannot be read are SignInUnavailable (a service page)."""
    try:
        return token_verifier(wiring().settings).verify(id_token)
    except SigningKeysUnavailable as error:
        raise SignInUnavailable(str(error)) from error


# -- Cognito's hosted UI ---------------------------------------------------------------------------


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


# -- sessions: signing in, staying in, signing out ------------------------------------------------


def sessions() -> StaffSessionStore:
    """The store, built once per wiring (tests may put an InMemoryStaffSessionStore under `staff_sessions`)."""
    return wiring().staff_sessions


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
class StaffSession:
    session_id: str
    staff: StaffMember


def new_session_id() -> str:
    """256 bits from the OS's CSPRNG, URL-safe: 43 characters, the shape the cookies are checked for."""
    return secrets.token_urlsafe(32)


def _now() -> float:
    return wiring().clock().timestamp()


def start_session(id_token: str, refresh_token: str | None = None) -> StaffSession:
    """Verify the token (TokenRefused if it is not good), store it, and make a new session id."""
    verified = verify(id_token)
    session_id = new_session_id()
    sessions().save(
        session_id, id_token=id_token, refresh_token=refresh_token, expires_at=_expiry(verified), now=_now()
    )
    return StaffSession(session_id, _staff(verified))


def _expiry(verified: VerifiedToken) -> int:
    return int(verified.expires_at)


def _staff(verified: VerifiedToken) -> StaffMember:
    return StaffMember(id=verified.subject, roles=Role.from_groups(verified.groups), name=verified.name)


def current_session(session_id: str | None) -> StaffSession:
    """The signed-in staff member, the token re-verified; SessionEnded when there is none."""
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
    return StaffSession(session_id, _staff(verified))


def _refreshed(session_id: str, stored: StoredSession, refusal: TokenRefused, now: float) -> VerifiedToken:
    """An expired ID token with a refresh token (hosted UI): a new ID token, else the session ends."""
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


def end_session(session_id: str | None) -> None:
    if session_id is not None:
        sessions().delete(session_id)
