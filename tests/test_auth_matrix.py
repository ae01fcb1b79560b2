"""The route × token matrix: every /admin/ route (found in app.routes) × every kind of token and role.

Its ~450 requests only meet the sign-in gate (dummy references, empty bodies), so they share one moto
stack for the module rather than each building a fresh account: nothing they do is read back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.domain.staff import describe_roles
from chalicelib.web.auth import declared_roles
from local.issuer import SYNTHETIC_STAFF, LocalIssuer
from tests.staff_issuer import issuer_in
from tests.test_auth import BAD_TOKENS, BEARER_CHALLENGE, ENDPOINT_IDS, ENDPOINTS, call, practitioner_claims


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> LocalIssuer:
    return issuer_in(tmp_path_factory.mktemp("issuer"))


@pytest.fixture(scope="module")
def forger(tmp_path_factory: pytest.TempPathFactory) -> LocalIssuer:
    """Another key pair: what someone without the council's key could sign with."""
    return LocalIssuer(tmp_path_factory.mktemp("forger"))


@pytest.fixture(scope="module")
def staff_client(issuer: LocalIssuer) -> Iterator[Any]:
    from chalice.test import Client

    from app import app
    from tests.emulated_aws import hub_with_resources

    with pytest.MonkeyPatch.context() as env:
        env.setenv("MASH_LOCAL_JWKS_PATH", str(issuer.jwks_path))
        with hub_with_resources(env), Client(app) as client:
            yield client


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_no_token_is_401(staff_client: Any, method: str, path: str) -> None:
    response = call(staff_client, method, path)

    # No Authorization header: API Gateway (and Chalice's local gateway) answer before our code.
    assert response.status_code == 401
    assert json.loads(response.body) == {"message": "Unauthorized"}


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("kind", list(BAD_TOKENS))
def test_a_bad_token_is_401_saying_what_to_do(
    staff_client: Any, issuer: LocalIssuer, forger: LocalIssuer, kind: str, method: str, path: str
) -> None:
    make_token, code, message = BAD_TOKENS[kind]

    response = call(staff_client, method, path, f"Bearer {make_token(issuer, forger)}")

    assert response.status_code == 401
    assert response.json_body == {"error": code, "message": message}
    assert response.headers["WWW-Authenticate"] == BEARER_CHALLENGE


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_a_token_without_the_bearer_scheme_is_401(
    staff_client: Any, issuer: LocalIssuer, method: str, path: str
) -> None:
    response = call(staff_client, method, path, issuer.token_for("manager"))

    assert response.status_code == 401
    assert response.json_body["message"] == "Send the staff token in the Authorization header as: Bearer <token>"


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("role", list(SYNTHETIC_STAFF))
def test_each_role_is_let_in_only_where_declared(
    staff_client: Any, issuer: LocalIssuer, role: str, method: str, path: str
) -> None:
    from app import app

    allowed = declared_roles(app.routes[path][method].view_function)
    assert allowed, f"{method} {path} declares no roles"

    response = call(staff_client, method, path, f"Bearer {issuer.token_for(role)}")

    if SYNTHETIC_STAFF[role].role in allowed:
        assert response.status_code not in (401, 403), response.body
    else:
        assert response.status_code == 403
        assert response.json_body == {
            "error": "wrong_role",
            "message": f"This needs the {describe_roles(allowed)} role",
        }


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_a_valid_token_with_no_mash_group_is_403(
    staff_client: Any, issuer: LocalIssuer, method: str, path: str
) -> None:
    token = issuer.sign(practitioner_claims(issuer, **{"cognito:groups": ["housing-officer"]}))

    response = call(staff_client, method, path, f"Bearer {token}")

    assert response.status_code == 403
    assert response.json_body["error"] == "wrong_role"
