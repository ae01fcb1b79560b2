"""Cognito's hosted UI: the user pool's OAuth 2.0 endpoints, for the staff console's sign-in.

A public app client (no secret): the authorization code flow with PKCE (RFC 7636, S256). The
caller makes the `state` and the code verifier (derived from the console's sign-in cookie,
`chalicelib/services/staff_sign_in.py`); this client only builds the URLs and calls the token
endpoint, over https only. An unreachable endpoint is SignInUnavailable; a refused grant is an
answer (`{"error": ...}`), not an exception.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.domain.failures import SignInUnavailable

if TYPE_CHECKING:
    import urllib.error


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _post_form(url: str, fields: dict[str, str]) -> dict[str, Any]:
    """POST a form to the token endpoint; its JSON answer. The URL is always https (checked below)."""
    # Imported here: urllib.request brings http.client and ssl, off the Lambda cold start's path.
    import urllib.error
    import urllib.request

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
class CognitoHostedUi:
    """The user pool's OAuth 2.0 endpoints for a public app client (no secret: PKCE instead)."""

    domain: str  # https://<prefix>.auth.<region>.amazoncognito.com, or a custom domain
    client_id: str
    callback_url: str  # where the pool sends the code back
    signed_out_url: str  # where the pool sends the person after signing out

    def authorize_url(self, *, state: str, code_verifier: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.callback_url,
            "scope": "openid email profile",
            "state": state,
            "code_challenge": pkce_challenge(code_verifier),
            "code_challenge_method": "S256",
        }
        return f"{self.domain}/oauth2/authorize?{urllib.parse.urlencode(query)}"

    def exchange(self, code: str, *, code_verifier: str) -> dict[str, Any]:
        return _post_form(
            f"{self.domain}/oauth2/token",
            {
                "grant_type": "authorization_code",
                "client_id": self.client_id,
                "code": code,
                "redirect_uri": self.callback_url,
                "code_verifier": code_verifier,
            },
        )

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        return _post_form(
            f"{self.domain}/oauth2/token",
            {"grant_type": "refresh_token", "client_id": self.client_id, "refresh_token": refresh_token},
        )

    def logout_url(self) -> str:
        query = {"client_id": self.client_id, "logout_uri": self.signed_out_url}
        return f"{self.domain}/logout?{urllib.parse.urlencode(query)}"
