"""The staff console's session: an opaque id in a cookie; the staff ID token server-side, sealed.

Why a server-side session rather than the token in a cookie: the token is personal data (name,
email, groups) and a bearer credential for the whole admin API; a browser only ever holds a random
session id (`__Host-mash_staff`, HttpOnly, Secure, SameSite=Strict). The table holds the id's
SHA-256 as the key and the token sealed with `FieldCipher` under a data key of its own, so a table
dump gives neither a usable session nor the token. The item's TTL is the token's expiry.

Every request re-verifies the token with the admin API's own verifier (`auth._verifier`): an
expired, re-keyed or foreign token ends the session there and then. A session unused for
`console_idle_minutes` (15 by default, by the wiring clock) is signed out.

Signing in: in AWS through Cognito's hosted UI (authorization code + PKCE). The code verifier and
the `state` are HMACs of a random id held in a short-lived sign-in cookie (SameSite=Lax: it must
come back on Cognito's cross-site redirect), so nothing is stored before sign-in. Locally
`local/console_sign_in.py` issues a synthetic staff member's token instead. Either way a NEW session
id is made once the token is verified (no session fixation).

CSRF: every console POST carries an HMAC of the session id (`csrf_token`), as the public form
does, under its own purpose so a form token can never pass for a staff one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.envelope import DecryptionFailed
from chalicelib.adapters.table import TTL_ATTRIBUTE
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.settings import Settings, get_settings
from chalicelib.web.form_session import SESSION_ID_PATTERN, cookie_name, new_session_id, read_cookie
from chalicelib.wiring import wiring

STAFF_COOKIE = "mash_staff"
SIGN_IN_COOKIE = "mash_staff_sign_in"
RETURN_COOKIE = "mash_staff_return"  # the console page asked for before signing in
RETURN_PATH_MAX_CHARS = 512
SIGN_IN_MAX_AGE_SECONDS = 10 * 60
SESSION_PREFIX = "STAFFSESSION#"
SESSION_SK = "SESSION"
TOKEN_FIELD = "tokens"  # noqa: S105 - the sealed field's name, not a secret
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


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_pending_id() -> str:
    return new_session_id()


# -- the store ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredSession:
    id_token: str
    refresh_token: str | None
    last_seen: float
    expires_at: int


def session_key(session_id: str) -> str:
    return SESSION_PREFIX + hashlib.sha256(session_id.encode()).hexdigest()


class StaffSessionStore:
    """Sessions under their own key prefix; the tokens sealed per session (one data key each)."""

    def __init__(self, cipher: Any) -> None:
        self.cipher = cipher

    def save(self, session_id: str, *, id_token: str, refresh_token: str | None, expires_at: int, now: float) -> None:
        record_id = session_key(session_id)
        sealed = self.cipher.seal(record_id)
        self._put(
            {
                "pk": record_id,
                "sk": SESSION_SK,
                "data_key": sealed.encrypted_key,
                TOKEN_FIELD: sealed.encrypt(TOKEN_FIELD, {"id": id_token, "refresh": refresh_token}),
                "last_seen": int(now),
                TTL_ATTRIBUTE: int(expires_at),
            }
        )

    def load(self, session_id: str, now: float) -> StoredSession | None:
        record_id = session_key(session_id)
        item = self._get(record_id)
        # DynamoDB's TTL deletes lazily (up to days later): expiry is enforced on read too.
        if item is None or int(item[TTL_ATTRIBUTE]) <= now:
            return None
        try:
            sealed = self.cipher.open(record_id, bytes(item["data_key"]))
            tokens = sealed.decrypt(TOKEN_FIELD, bytes(item[TOKEN_FIELD]))
        except DecryptionFailed:
            return None  # moved or tampered with: no session, rather than someone else's
        return StoredSession(tokens["id"], tokens.get("refresh"), float(item["last_seen"]), int(item[TTL_ATTRIBUTE]))

    def touch(self, session_id: str, now: float) -> None:
        self._touch(session_key(session_id), int(now))

    def delete(self, session_id: str) -> None:
        self._delete(session_key(session_id))

    def _put(self, item: dict[str, Any]) -> None:
        raise NotImplementedError

    def _get(self, record_id: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def _touch(self, record_id: str, now: int) -> None:
        raise NotImplementedError

    def _delete(self, record_id: str) -> None:
        raise NotImplementedError


class InMemoryStaffSessionStore(StaffSessionStore):
    def __init__(self, cipher: Any) -> None:
        super().__init__(cipher)
        self.items: dict[str, dict[str, Any]] = {}

    def _put(self, item: dict[str, Any]) -> None:
        self.items[item["pk"]] = dict(item)

    def _get(self, record_id: str) -> dict[str, Any] | None:
        return self.items.get(record_id)

    def _touch(self, record_id: str, now: int) -> None:
        if record_id in self.items:
            self.items[record_id]["last_seen"] = now

    def _delete(self, record_id: str) -> None:
        self.items.pop(record_id, None)


class DynamoStaffSessionStore(StaffSessionStore):
    def __init__(self, dynamodb_client: Any, table_name: str, cipher: Any) -> None:
        super().__init__(cipher)
        self._db = dynamodb_client
        self._table = table_name

    def _key(self, record_id: str) -> dict[str, Any]:
        return {"pk": {"S": record_id}, "sk": {"S": SESSION_SK}}

    def _call(self, operation: str, **kwargs: Any) -> Any:
        from chalicelib.adapters.aws import translate

        try:
            return getattr(self._db, operation)(TableName=self._table, **kwargs)
        except Exception as exc:
            if _is_condition_failure(exc):
                return None
            raise translate("dynamodb", exc) from None

    def _put(self, item: dict[str, Any]) -> None:
        self._call(
            "put_item",
            Item={
                "pk": {"S": item["pk"]},
                "sk": {"S": item["sk"]},
                "data_key": {"B": item["data_key"]},
                TOKEN_FIELD: {"B": item[TOKEN_FIELD]},
                "last_seen": {"N": str(item["last_seen"])},
                TTL_ATTRIBUTE: {"N": str(item[TTL_ATTRIBUTE])},
            },
        )

    def _get(self, record_id: str) -> dict[str, Any] | None:
        answer = self._call("get_item", Key=self._key(record_id), ConsistentRead=True)
        item = (answer or {}).get("Item")
        if item is None:
            return None
        return {
            "data_key": item["data_key"]["B"],
            TOKEN_FIELD: item[TOKEN_FIELD]["B"],
            "last_seen": int(item["last_seen"]["N"]),
            TTL_ATTRIBUTE: int(item[TTL_ATTRIBUTE]["N"]),
        }

    def _touch(self, record_id: str, now: int) -> None:
        # Only an existing session: a touch racing a sign-out must not bring back a bare item.
        self._call(
            "update_item",
            Key=self._key(record_id),
            UpdateExpression="SET last_seen = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":now": {"N": str(now)}},
        )

    def _delete(self, record_id: str) -> None:
        self._call("delete_item", Key=self._key(record_id))


def _is_condition_failure(exc: Exception) -> bool:
    response = getattr(exc, "response", None) or {}
    return response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


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


class SignInUnavailable(Exception):
    """The sign-in service or its keys could not be reached: nothing the person did wrong."""


@dataclass(frozen=True)
class SignedIn:
    session_id: str
    staff: StaffMember

    @property
    def csrf_token(self) -> str:
        return csrf_token(self.session_id)

    def holds_any(self, roles: frozenset[Role]) -> bool:
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


# -- Cognito's hosted UI ------------------------------------------------------------------------


def _post_form(url: str, fields: dict[str, str]) -> dict[str, Any]:
    """POST a form to the token endpoint; its JSON answer. The URL is always https (checked below)."""
    if not url.startswith("https://"):
        raise SignInUnavailable("the hosted UI domain must be an https:// URL")
    request = urllib.request.Request(  # noqa: S310 - https only, checked above
        url,
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        method="POST",
    )
    try:
        # The scheme is checked above: https only, never file:// or a custom scheme.
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310  # nosec B310
            return json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        # 400 invalid_grant: a used, expired or foreign code (or refresh token): sign in again.
        return {"error": _error_code(refused)}
    except (OSError, ValueError) as error:
        raise SignInUnavailable(type(error).__name__) from error


def _error_code(refused: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(refused.read()).get("error", "refused"))
    except (OSError, ValueError, AttributeError):
        return "refused"


@dataclass(frozen=True)
class HostedUi:
    """The user pool's OAuth 2.0 endpoints for a public app client (no secret: PKCE instead)."""

    domain: str  # https://<prefix>.auth.<region>.amazoncognito.com, or a custom domain
    client_id: str
    public_url: str

    @property
    def callback_url(self) -> str:
        return self.public_url + CALLBACK_PATH

    def authorize_url(self, pending_id: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.callback_url,
            "scope": "openid email profile",
            "state": oauth_state(pending_id),
            "code_challenge": pkce_challenge(pkce_verifier(pending_id)),
            "code_challenge_method": "S256",
        }
        return f"{self.domain}/oauth2/authorize?{urllib.parse.urlencode(query)}"

    def exchange(self, code: str, pending_id: str) -> dict[str, Any]:
        return _post_form(
            f"{self.domain}/oauth2/token",
            {
                "grant_type": "authorization_code",
                "client_id": self.client_id,
                "code": code,
                "redirect_uri": self.callback_url,
                "code_verifier": pkce_verifier(pending_id),
            },
        )

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        return _post_form(
            f"{self.domain}/oauth2/token",
            {"grant_type": "refresh_token", "client_id": self.client_id, "refresh_token": refresh_token},
        )

    def logout_url(self) -> str:
        query = {"client_id": self.client_id, "logout_uri": self.public_url + SIGNED_OUT_PATH}
        return f"{self.domain}/logout?{urllib.parse.urlencode(query)}"


def hosted_ui(settings: Settings) -> HostedUi | None:
    """The hosted UI when the stage has one (MASH_CONSOLE_HOSTED_UI_DOMAIN and the app client id)."""
    if not settings.console_hosted_ui_domain or not settings.jwt_audience:
        return None
    return HostedUi(settings.console_hosted_ui_domain.rstrip("/"), settings.jwt_audience, settings.public_url)
