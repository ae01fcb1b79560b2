"""Staff sign-in: every /admin/ route (found in app.routes, not listed by hand) × every kind of token.

A route is "allowed" for a role when it answers anything but 401/403: routes with path parameters
get a dummy value, so an allowed role may well get a 404 or 422 from the route itself.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from chalice import Blueprint, Chalice

from chalicelib.domain.staff import Role
from chalicelib.web.auth import admin_route, staff_token, undeclared_admin_routes
from local.issuer import SYNTHETIC_STAFF, LocalIssuer
from tests.staff_issuer import issuer_in

DUMMY_PATH_VALUE = "MASH-0000-0000"
BEARER_CHALLENGE = 'Bearer realm="mash-hub", error="invalid_token"'


def admin_endpoints() -> list[tuple[str, str]]:
    from app import app

    return [
        (method, path)
        for path, entries in sorted(app.routes.items())
        if path.startswith("/admin/")
        for method in sorted(entries)
    ]


ENDPOINTS = admin_endpoints()
ENDPOINT_IDS = [f"{method} {path}" for method, path in ENDPOINTS]


@pytest.fixture(scope="session")
def local_issuer(tmp_path_factory: pytest.TempPathFactory) -> LocalIssuer:
    return issuer_in(tmp_path_factory.mktemp("issuer"))


@pytest.fixture(scope="session")
def forger(tmp_path_factory: pytest.TempPathFactory) -> LocalIssuer:
    """Another key pair: what someone without the council's key could sign with."""
    return LocalIssuer(tmp_path_factory.mktemp("forger"))


@pytest.fixture
def issuer(local_issuer: LocalIssuer, monkeypatch: pytest.MonkeyPatch) -> LocalIssuer:
    monkeypatch.setenv("MASH_LOCAL_JWKS_PATH", str(local_issuer.jwks_path))
    return local_issuer


@pytest.fixture
def staff_client(issuer: LocalIssuer, client: Any) -> Any:
    """The app's test client, trusting the test issuer (the fixture order sets the env first)."""
    return client


def call(client: Any, method: str, path: str, authorization: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    url = re.sub(r"\{[^}]+\}", DUMMY_PATH_VALUE, path)
    body = b"{}" if method in {"POST", "PUT", "PATCH"} else b""
    return client.http.request(method, url, headers=headers, body=body)


def practitioner_claims(issuer: LocalIssuer, **changes: Any) -> dict[str, Any]:
    claims = issuer.claims_for(SYNTHETIC_STAFF["practitioner"])
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = part(json.dumps(header).encode()) + "." + part(json.dumps(claims).encode())
    return signing_input + "." + part(signature)


def hs256_with_public_key(issuer: LocalIssuer, forger: LocalIssuer) -> str:
    """The classic confusion attack: HMAC-sign with the (public) JWKS key material as the secret."""
    header = {"alg": "HS256", "typ": "JWT", "kid": issuer.kid}
    secret = issuer.jwks_path.read_bytes()
    signing_input = unsigned(header, practitioner_claims(issuer)).rsplit(".", 1)[0]
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return unsigned(header, practitioner_claims(issuer), signature)


def expired(issuer: LocalIssuer, forger: LocalIssuer) -> str:
    nine_hours_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=9)
    return issuer.sign(issuer.claims_for(SYNTHETIC_STAFF["practitioner"], now=nine_hours_ago))


# Each bad token, with what the person sending it is told.
BAD_TOKENS: dict[str, tuple[Callable[[LocalIssuer, LocalIssuer], str], str, str]] = {
    "expired": (expired, "token_expired", "The staff token has expired: sign in again"),
    "wrong issuer": (
        lambda issuer, forger: issuer.sign(practitioner_claims(issuer, iss="https://sign-in.elsewhere.example")),
        "wrong_issuer",
        "The staff token was not issued by the council's sign-in service",
    ),
    "wrong audience": (
        lambda issuer, forger: issuer.sign(practitioner_claims(issuer, aud="another-council-app")),
        "wrong_audience",
        "The staff token is for another service, not the MASH hub",
    ),
    "forged signature": (
        # Signed with another key but claiming the council key's id.
        lambda issuer, forger: unsigned(
            {"alg": "RS256", "typ": "JWT", "kid": issuer.kid},
            practitioner_claims(issuer),
            base64.urlsafe_b64decode(forger.sign(practitioner_claims(issuer)).rsplit(".", 1)[1] + "=="),
        ),
        "forged_token",
        "The staff token's signature does not match: sign in again",
    ),
    "unknown key": (
        lambda issuer, forger: forger.sign(practitioner_claims(issuer)),
        "unknown_signing_key",
        "The staff token was not signed by the council's sign-in service: sign in again",
    ),
    "alg none": (
        lambda issuer, forger: unsigned({"alg": "none", "typ": "JWT", "kid": issuer.kid}, practitioner_claims(issuer)),
        "wrong_algorithm",
        "The staff token must be signed with RS256: sign in again",
    ),
    "HS256 with the public key": (
        hs256_with_public_key,
        "wrong_algorithm",
        "The staff token must be signed with RS256: sign in again",
    ),
    "access token": (
        lambda issuer, forger: issuer.sign(practitioner_claims(issuer, token_use="access", aud=None)),
        "wrong_token_use",
        "Send the ID token from sign-in, not the access token",
    ),
    "not a JWT": (
        lambda issuer, forger: "not-a-jwt",
        "malformed_token",
        "The staff token is not a valid JWT: sign in again",
    ),
}


# --- The matrix ---------------------------------------------------------------------------------


def test_the_matrix_found_the_admin_routes() -> None:
    assert ("GET", "/admin/whoami") in ENDPOINTS


# --- Deny by default ----------------------------------------------------------------------------


def test_every_admin_route_declares_its_roles() -> None:
    from app import app

    assert undeclared_admin_routes(app) == []


def test_an_admin_route_made_without_admin_route_is_found() -> None:
    bp = Blueprint(__name__)

    @bp.route("/admin/forgotten", methods=["GET", "POST"])
    def forgotten() -> dict[str, str]:
        return {}

    @bp.route("/admin/authorized-but-undeclared", methods=["GET"], authorizer=staff_token)
    def undeclared() -> dict[str, str]:
        return {}

    @admin_route(bp, "/admin/declared", methods=["GET"], roles={Role.AUDITOR})
    def declared() -> dict[str, str]:
        return {}

    app = Chalice("undeclared-routes")
    app.register_blueprint(bp)

    assert undeclared_admin_routes(app) == [
        "GET /admin/authorized-but-undeclared",
        "GET /admin/forgotten",
        "POST /admin/forgotten",
    ]


def test_admin_route_refuses_a_route_with_no_roles() -> None:
    with pytest.raises(ValueError, match="must declare at least one Role"):
        admin_route(Blueprint(__name__), "/admin/nobody", methods=["GET"], roles=set())


def test_admin_route_refuses_a_path_outside_admin() -> None:
    with pytest.raises(ValueError, match="staff routes live under /admin/"):
        admin_route(Blueprint(__name__), "/api/staff-thing", methods=["GET"], roles={Role.MANAGER})


# --- What a signed-in person sees ---------------------------------------------------------------


def test_whoami_shows_the_id_and_roles_and_no_personal_data(staff_client: Any, issuer: LocalIssuer) -> None:
    response = call(staff_client, "GET", "/admin/whoami", f"Bearer {issuer.token_for('manager')}")

    assert response.status_code == 200
    assert response.json_body == {"id": SYNTHETIC_STAFF["manager"].id, "roles": ["mash-manager"]}
    assert "Morgan" not in response.body.decode() and "@" not in response.body.decode()


def test_a_token_with_several_groups_gets_every_mash_role(staff_client: Any, issuer: LocalIssuer) -> None:
    groups = ["mash-practitioner", "mash-manager", "housing-officer"]
    token = issuer.sign(practitioner_claims(issuer, **{"cognito:groups": groups}))

    response = call(staff_client, "GET", "/admin/whoami", f"Bearer {token}")

    assert response.json_body["roles"] == ["mash-manager", "mash-practitioner"]


def test_a_verdict_cached_past_the_tokens_expiry_is_401(staff_client: Any, issuer: LocalIssuer) -> None:
    """API Gateway caches the authorizer's verdict; the route checks expiry again."""
    from chalicelib.web import auth

    context = {"verdict": auth.VERIFIED, "roles": "mash-manager", "expires_at": "1700000000", "principalId": "x"}
    request = type("CachedRequest", (), {"context": {"authorizer": context}})()

    response = auth._refusal(request, frozenset({Role.MANAGER}))  # type: ignore[arg-type]

    assert response is not None and response.status_code == 401
    assert response.body["message"] == "The staff token has expired: sign in again"


# --- Outside the local stage --------------------------------------------------------------------


def authorize(token: str) -> dict[str, Any]:
    event = {
        "type": "TOKEN",
        "authorizationToken": f"Bearer {token}",
        "methodArn": "arn:aws:execute-api:eu-west-2:123456789012:abcdef/api/GET/admin/whoami",
    }
    return staff_token(event, None)  # type: ignore[arg-type]


def test_outside_the_local_stage_the_local_issuer_is_not_trusted(issuer: LocalIssuer) -> None:
    from chalicelib import wiring
    from chalicelib.settings import Settings

    prod = Settings(
        stage="prod",
        hmac_secret="a-test-secret",
        local_jwks_path=str(issuer.jwks_path),
        out_of_hours_email="edt@out-of-hours.example",
    )
    wiring.reset(settings=prod)
    try:
        result = authorize(issuer.token_for("manager"))
    finally:
        wiring.reset()

    # Fail closed: with no user pool configured, no token is verified (the route answers 503).
    assert result["context"] == {"verdict": "unavailable"}
    assert result["principalId"] == "anonymous"


def test_unreadable_signing_keys_are_503_not_401(staff_client: Any, issuer: LocalIssuer, tmp_path: Path) -> None:
    from chalicelib import wiring
    from chalicelib.settings import Settings

    broken = tmp_path / "jwks.json"
    broken.write_text("{not json", encoding="utf-8")
    wiring.reset(settings=Settings(stage="local", local_jwks_path=str(broken)))

    response = call(staff_client, "GET", "/admin/whoami", f"Bearer {issuer.token_for('manager')}")

    assert response.status_code == 503
    assert response.json_body["message"] == "Staff sign-in cannot be checked just now: try again in a minute"


# --- Over real HTTP, as `chalice local` (and so `make run`) serves it ---------------------------


@pytest.fixture
def local_server(staff_client: Any) -> Iterator[str]:
    import threading

    from chalice.config import Config
    from chalice.local import LocalDevServer

    from app import app

    server = LocalDevServer(
        app, Config(chalice_stage="local", user_provided_params={"chalice_app": app}), "127.0.0.1", 0
    )
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def http_get(url: str, authorization: str | None = None) -> tuple[int, dict[str, Any]]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Authorization": authorization} if authorization else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_chalice_local_answers_401_403_and_200_like_the_test_client(local_server: str, issuer: LocalIssuer) -> None:
    whoami = f"{local_server}/admin/whoami"
    forged = issuer.token_for("manager")[:-6] + "AAAAAA"

    assert http_get(whoami) == (401, {"message": "Unauthorized"})
    assert http_get(whoami, f"Bearer {forged}") == (
        401,
        {"error": "forged_token", "message": "The staff token's signature does not match: sign in again"},
    )
    assert http_get(whoami, f"Bearer {issuer.token_for('auditor')}") == (
        200,
        {"id": SYNTHETIC_STAFF["auditor"].id, "roles": ["mash-auditor"]},
    )
