"""The staff token verifier and roles, without HTTP or AWS."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.staff_tokens import (
    LOCAL_AUDIENCE,
    LOCAL_ISSUER,
    JwksFile,
    JwksUrl,
    SigningKeysUnavailable,
    TokenRefused,
    TokenVerifier,
)
from chalicelib.domain.staff import Role, StaffMember, describe_roles
from local.issuer import JWKS_FILE, KEY_FILE, SYNTHETIC_STAFF, LocalIssuer
from tests.staff_issuer import issuer_in


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> LocalIssuer:
    return issuer_in(tmp_path_factory.mktemp("issuer"))


@pytest.fixture
def verifier(issuer: LocalIssuer) -> TokenVerifier:
    return TokenVerifier(JwksFile(issuer.jwks_path), issuer=LOCAL_ISSUER, audience=LOCAL_AUDIENCE)


def claims(issuer: LocalIssuer, **changes: Any) -> dict[str, Any]:
    result = issuer.claims_for(SYNTHETIC_STAFF["manager"])
    result.update(changes)
    return {name: value for name, value in result.items() if value is not None}


def refusal_code(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(TokenRefused) as refused:
        verifier.verify(token)
    return refused.value.code


def test_a_local_token_verifies_to_its_staff_member(issuer: LocalIssuer, verifier: TokenVerifier) -> None:
    verified = verifier.verify(issuer.token_for("manager"))

    assert verified.subject == SYNTHETIC_STAFF["manager"].id
    assert verified.groups == {"mash-manager"}
    assert verified.name == "Morgan Manager"


def test_a_local_token_lasts_eight_hours(issuer: LocalIssuer, verifier: TokenVerifier) -> None:
    now = dt.datetime.now(dt.UTC)

    verified = verifier.verify(issuer.token_for("auditor", now=now))

    assert verified.expires_at - int(now.timestamp()) == 8 * 3600


def test_a_token_just_past_expiry_is_accepted_within_the_leeway(issuer: LocalIssuer, verifier: TokenVerifier) -> None:
    now = int(dt.datetime.now(dt.UTC).timestamp())

    verifier.verify(issuer.sign(claims(issuer, exp=now - 10)))
    assert refusal_code(verifier, issuer.sign(claims(issuer, exp=now - 60))) == "token_expired"


@pytest.mark.parametrize("claim", ["sub", "exp", "iat", "iss", "aud"])
def test_a_token_missing_a_required_claim_is_refused(issuer: LocalIssuer, verifier: TokenVerifier, claim: str) -> None:
    token = issuer.sign(claims(issuer, **{claim: None}))

    assert refusal_code(verifier, token) == "malformed_token"


def test_an_access_token_with_an_audience_is_still_refused(issuer: LocalIssuer, verifier: TokenVerifier) -> None:
    assert refusal_code(verifier, issuer.sign(claims(issuer, token_use="access"))) == "wrong_token_use"


def test_groups_that_are_not_a_list_of_names_are_refused(issuer: LocalIssuer, verifier: TokenVerifier) -> None:
    token = issuer.sign(claims(issuer, **{"cognito:groups": "mash-manager"}))

    assert refusal_code(verifier, token) == "malformed_token"


def test_a_token_without_a_key_id_is_refused(issuer: LocalIssuer, verifier: TokenVerifier) -> None:
    import jwt

    token = jwt.encode(claims(issuer), issuer._key, algorithm="RS256")

    assert refusal_code(verifier, token) == "unknown_signing_key"


def test_the_jwks_file_is_read_again_when_the_key_is_new(tmp_path: Path) -> None:
    keys = JwksFile(tmp_path / JWKS_FILE)
    verifier = TokenVerifier(keys, issuer=LOCAL_ISSUER, audience=LOCAL_AUDIENCE)
    with pytest.raises(TokenRefused):
        keys.key_for("not-made-yet")

    # `make token` makes the key while `make run` is already up.
    token = LocalIssuer(tmp_path).token_for("practitioner")

    assert verifier.verify(token).groups == {"mash-practitioner"}


def test_an_unreadable_jwks_file_is_unavailable_not_a_refusal(tmp_path: Path) -> None:
    (tmp_path / JWKS_FILE).write_text("{not json", encoding="utf-8")

    with pytest.raises(SigningKeysUnavailable):
        JwksFile(tmp_path / JWKS_FILE).key_for("any")


def test_an_unreachable_jwks_url_is_unavailable_not_a_refusal() -> None:
    # Port 9 (discard) on this machine: refused at once, no network leaves the machine.
    keys = JwksUrl("http://127.0.0.1:9/.well-known/jwks.json", timeout_seconds=1)

    with pytest.raises(SigningKeysUnavailable):
        keys.key_for("any")


def test_the_local_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    first = LocalIssuer(tmp_path)
    second = LocalIssuer(tmp_path)

    assert first.kid == second.kid
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o777 == 0o600
    public = json.loads((tmp_path / JWKS_FILE).read_text())
    assert set(public["keys"][0]) == {"kty", "n", "e", "kid", "alg", "use"}  # no private parts (d, p, q)


def test_roles_come_from_mash_groups_only() -> None:
    groups = ["mash-auditor", "housing-officer", "MASH-MANAGER"]

    assert Role.from_groups(groups) == {Role.AUDITOR}


@pytest.mark.parametrize(
    ("roles", "described"),
    [
        ({Role.MANAGER}, "mash-manager"),
        ({Role.MANAGER, Role.PRACTITIONER}, "mash-manager or mash-practitioner"),
        (set(Role), "mash-auditor, mash-edt, mash-manager or mash-practitioner"),
    ],
)
def test_roles_are_described_as_a_person_reads_them(roles: set[Role], described: str) -> None:
    assert describe_roles(roles) == described


def test_a_staff_members_name_stays_out_of_their_repr() -> None:
    staff = StaffMember(id="staff-1", roles=frozenset({Role.MANAGER}), name="Morgan Manager")

    assert "Morgan" not in repr(staff)


def test_two_processes_making_the_local_key_at_once_share_the_first_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two test workers (or `make run` and `make token`) on a fresh clone: while this one makes its
    key, another writes the file first. Neither fails, and both sign with the key on disk."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    from local import issuer as issuer_module

    make_key = rsa.generate_private_key
    other = LocalIssuer(tmp_path / "other")  # the other process's key, about to land in tmp_path

    def slower_than_the_other(**kwargs: Any) -> Any:
        (tmp_path / KEY_FILE).write_bytes((tmp_path / "other" / KEY_FILE).read_bytes())
        return make_key(**kwargs)

    monkeypatch.setattr(issuer_module.rsa, "generate_private_key", slower_than_the_other)
    this = LocalIssuer(tmp_path)

    assert this.kid == other.kid == LocalIssuer(tmp_path).kid
    assert json.loads((tmp_path / JWKS_FILE).read_text())["keys"][0]["kid"] == other.kid
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["other", KEY_FILE, JWKS_FILE, "issuer-staff.json"])
