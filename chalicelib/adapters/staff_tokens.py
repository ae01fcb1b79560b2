"""Staff sign-in tokens: verify a bearer JWT against the sign-in service's public keys (JWKS).

We accept **ID tokens** (Cognito: `token_use` "id"), because they carry `aud` (the app client id)
and `cognito:groups`; Cognito access tokens carry `client_id` instead of `aud` and are refused.
Only RS256 is accepted: the algorithm list is fixed here, never read from the token, so
`alg: none` and HS256-signed-with-the-public-key (algorithm confusion) fail.

Keys: in AWS the user pool's JWKS URL (fetched once, cached per Lambda container); in the local
stage a public JWKS file written by `make token` (local/issuer.py). This module holds no
private key and signs nothing.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import jwt

# The refusals are the domain's (every layer may name them); imported here, where they are raised.
from chalicelib.domain.failures import SigningKeysUnavailable, TokenRefused

ACCEPTED_ALGORITHMS = ["RS256"]
# Clocks of the sign-in service and Lambda drift a little; more than this is a stale token.
LEEWAY_SECONDS = 30
# What the local issuer puts in its tokens; trusted only in the local stage.
LOCAL_ISSUER = "https://sign-in.mash.example/local"
LOCAL_AUDIENCE = "mash-hub-local"
GROUPS_CLAIM = "cognito:groups"


class SigningKeys(Protocol):
    def key_for(self, kid: str) -> Any:
        """The public key with this id; raises TokenRefused if there is none."""
        ...


UNKNOWN_KEY = TokenRefused(
    "unknown_signing_key", "The staff token was not signed by the council's sign-in service: sign in again"
)


WRONG_TOKEN_USE = TokenRefused("wrong_token_use", "Send the ID token from sign-in, not the access token")


class JwksUrl:
    """The user pool's JWKS over HTTPS, cached for the life of the container (keys rotate rarely)."""

    def __init__(self, url: str, timeout_seconds: float = 5) -> None:
        # cache_keys: an unknown kid triggers one refetch (key rotation), not one per request.
        self._client = jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=timeout_seconds)

    def key_for(self, kid: str) -> Any:
        try:
            return self._client.get_signing_key(kid).key
        except jwt.PyJWKClientConnectionError as error:
            raise SigningKeysUnavailable(str(error)) from error
        except jwt.PyJWKClientError as error:
            raise UNKNOWN_KEY from error


class JwksFile:
    """A public JWKS in a file (the local issuer's). Re-read when a kid is unknown: `make token`
    may create or replace the key while `make run` is up."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._keys: dict[str, Any] = {}
        self._lock = threading.Lock()

    def key_for(self, kid: str) -> Any:
        with self._lock:
            if kid not in self._keys:
                self._keys = self._load()
            if kid not in self._keys:
                raise UNKNOWN_KEY
            return self._keys[kid]

    def _load(self) -> dict[str, Any]:
        try:
            document = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise SigningKeysUnavailable(f"cannot read the local JWKS: {type(error).__name__}") from error
        return {key.key_id: key.key for key in jwt.PyJWKSet.from_dict(document).keys if key.key_id}


@dataclass(frozen=True)
class VerifiedToken:
    subject: str
    groups: frozenset[str]
    expires_at: int
    name: str | None = field(default=None, repr=False)


@dataclass
class TokenVerifier:
    keys: SigningKeys
    issuer: str
    audience: str
    leeway_seconds: int = LEEWAY_SECONDS

    def verify(self, token: str) -> VerifiedToken:
        kid = _key_id(token)
        claims = _decode(token, self.keys.key_for(kid), self.issuer, self.audience, self.leeway_seconds)
        if claims.get("token_use", "id") != "id":
            raise WRONG_TOKEN_USE
        groups = claims.get(GROUPS_CLAIM, [])
        if not isinstance(groups, list) or not all(isinstance(group, str) for group in groups):
            raise TokenRefused("malformed_token", "The staff token's groups are not a list of names: sign in again")
        name = claims.get("name")
        return VerifiedToken(
            subject=claims["sub"],
            groups=frozenset(groups),
            expires_at=int(claims["exp"]),
            name=name if isinstance(name, str) else None,
        )


def _key_id(token: str) -> str:
    try:
        header = jwt.get_unverified_header(token)
    # Not DecodeError alone: PyJWT checks header fields too (a `kid` that is a number or a list, a
    # bad `crit`) and raises InvalidTokenError, its parent. Any malformed header is the same 401.
    except (jwt.InvalidTokenError, ValueError, TypeError) as error:
        raise TokenRefused("malformed_token", "The staff token is not a valid JWT: sign in again") from error
    if header.get("alg") not in ACCEPTED_ALGORITHMS:
        raise TokenRefused("wrong_algorithm", "The staff token must be signed with RS256: sign in again")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise UNKNOWN_KEY
    return kid


# Each PyJWT refusal, as the code and message the person sees. Order matters: subclasses first.
REFUSALS: list[tuple[type[Exception], str, str]] = [
    (jwt.ExpiredSignatureError, "token_expired", "The staff token has expired: sign in again"),
    (jwt.InvalidIssuerError, "wrong_issuer", "The staff token was not issued by the council's sign-in service"),
    (jwt.InvalidAudienceError, "wrong_audience", "The staff token is for another service, not the MASH hub"),
    (
        jwt.ImmatureSignatureError,
        "token_not_yet_valid",
        "The staff token is not valid yet: check this computer's clock",
    ),
    (jwt.InvalidSignatureError, "forged_token", "The staff token's signature does not match: sign in again"),
    (jwt.InvalidTokenError, "malformed_token", "The staff token is not a valid JWT: sign in again"),
]


def _decode(token: str, key: Any, issuer: str, audience: str, leeway: int) -> dict[str, Any]:
    try:
        return jwt.decode(
            token,
            key,
            algorithms=ACCEPTED_ALGORITHMS,
            issuer=issuer,
            audience=audience,
            leeway=leeway,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.MissingRequiredClaimError as error:
        # Reached only after the signature checked out, so the token's own word can be read:
        # a Cognito access token has `client_id`, not `aud`.
        if error.claim == "aud" and jwt.decode(token, options={"verify_signature": False}).get("token_use") == "access":
            raise WRONG_TOKEN_USE from error
        raise TokenRefused("malformed_token", "The staff token lacks a required claim: sign in again") from error
    except jwt.InvalidTokenError as error:
        for kind, code, message in REFUSALS:
            if isinstance(error, kind):
                raise TokenRefused(code, message) from error
        raise  # unreachable: InvalidTokenError is the last entry
