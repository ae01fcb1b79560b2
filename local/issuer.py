"""A local stand-in for the Cognito user pool: signs staff ID tokens for the local stage.

Never packaged (Chalice ships only app.py, chalicelib/ and vendor/). The RSA key is made once per
machine into `.local/issuer-key.pem` (git-ignored, readable by its owner only); its public half is
written beside it as a JWKS, which is all the app reads (chalicelib/adapters/staff_tokens.py).
Tokens are shaped like Cognito ID tokens: `sub`, `aud`, `iss`, `token_use: id`, `cognito:groups`.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters.staff_tokens import GROUPS_CLAIM, LOCAL_AUDIENCE, LOCAL_ISSUER
from chalicelib.domain.staff import Role

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KEY_FILE = "issuer-key.pem"
JWKS_FILE = "issuer-jwks.json"
STAFF_FILE = "issuer-staff.json"  # the local stage's staff directory (chalicelib/adapters/staff_directory.py)
TOKEN_LIFETIME = dt.timedelta(hours=8)  # one working day, as a Cognito pool would be set


@dataclass(frozen=True)
class SyntheticStaff:
    """A made-up staff member: `.example` email, fixed id, one role."""

    id: str
    name: str
    email: str
    role: Role


SYNTHETIC_STAFF: dict[str, SyntheticStaff] = {
    "practitioner": SyntheticStaff(
        "0b6f7c1e-0000-4000-8000-000000000001", "Pat Practitioner", "pat.practitioner@mash.example", Role.PRACTITIONER
    ),
    "manager": SyntheticStaff(
        "0b6f7c1e-0000-4000-8000-000000000002", "Morgan Manager", "morgan.manager@mash.example", Role.MANAGER
    ),
    "auditor": SyntheticStaff(
        "0b6f7c1e-0000-4000-8000-000000000003", "Alex Auditor", "alex.auditor@mash.example", Role.AUDITOR
    ),
    # The emergency duty team: out of hours, opens the referrals it is alerted to and hands them over.
    "edt": SyntheticStaff("0b6f7c1e-0000-4000-8000-000000000004", "Eden Duty", "eden.duty@mash.example", Role.EDT),
}


class LocalIssuer:
    def __init__(self, key_dir: Path) -> None:
        self.key_dir = key_dir
        self._key = _load_or_create_key(key_dir / KEY_FILE)
        self.kid = key_thumbprint(self._key.public_key())
        _write_jwks(key_dir / JWKS_FILE, self._key.public_key(), self.kid)
        _write_if_changed(key_dir / STAFF_FILE, json.dumps(_directory(), indent=2) + "\n")

    @property
    def jwks_path(self) -> Path:
        return self.key_dir / JWKS_FILE

    def claims_for(self, staff: SyntheticStaff, now: dt.datetime | None = None) -> dict[str, object]:
        issued = now or dt.datetime.now(dt.UTC)
        return {
            "sub": staff.id,
            "iss": LOCAL_ISSUER,
            "aud": LOCAL_AUDIENCE,
            "token_use": "id",
            "iat": int(issued.timestamp()),
            "auth_time": int(issued.timestamp()),
            "exp": int((issued + TOKEN_LIFETIME).timestamp()),
            GROUPS_CLAIM: [staff.role.value],
            "name": staff.name,
            "email": staff.email,
        }

    def sign(self, claims: dict[str, object]) -> str:
        """Sign any claims with the local key: tests use it to make wrong tokens too."""
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})

    def token_for(self, role: str, now: dt.datetime | None = None) -> str:
        return self.sign(self.claims_for(SYNTHETIC_STAFF[role], now))


def _load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    if not path.exists():
        _create_key_file(path)
    key = _parsed_key(path.read_bytes())
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SystemExit(f"{path} is not an RSA key: delete it and run again")
    return key


def _create_key_file(path: Path) -> None:
    """A new key, written beside `path` and linked into place: the file appears whole, and when two
    processes make one at once (two test workers signing in on a fresh clone, `make run` beside
    `make token`) the first stays and the other reads it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    # mkstemp opens it owner-only (0600) from the first byte.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        with contextlib.suppress(FileExistsError):  # another process made it first: theirs is the key
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


@lru_cache(maxsize=8)
def _parsed_key(pem: bytes) -> object:
    """Parsing checks the RSA key's arithmetic (~30 ms): the console's local sign-in makes an issuer
    per sign-in, so the same file's key is parsed once per process (keyed by its bytes, so a changed
    file is read anew)."""
    return serialization.load_pem_private_key(pem, password=None)


def public_jwk(public_key: rsa.RSAPublicKey, kid: str) -> dict[str, str]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public_key))
    return {"kty": "RSA", "n": jwk["n"], "e": jwk["e"], "kid": kid, "alg": "RS256", "use": "sig"}


def key_thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 thumbprint: a kid that changes whenever the key does."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public_key))
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def _write_jwks(path: Path, public_key: rsa.RSAPublicKey, kid: str) -> None:
    _write_if_changed(path, json.dumps({"keys": [public_jwk(public_key, kid)]}, indent=2) + "\n")


def _directory() -> list[dict[str, object]]:
    """The synthetic staff as the app's local staff directory reads them."""
    return [{"id": s.id, "name": s.name, "roles": [s.role.value]} for s in SYNTHETIC_STAFF.values()]


def _write_if_changed(path: Path, document: str) -> None:
    """Replaced whole (written beside, then renamed): the app may be reading it at that moment."""
    if path.exists() and path.read_text(encoding="utf-8") == document:
        return
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(document)
    os.chmod(temporary, 0o644)  # public: the JWKS and the synthetic staff list
    os.replace(temporary, path)
