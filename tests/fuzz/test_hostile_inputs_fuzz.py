"""Hostile inputs the probe found gave 5xx: JSON nested thousands deep, and staff JWTs whose header is
malformed. Generated in bulk here; each must get a 4xx that says what to fix, never a 5xx.
Deterministic: derandomized, no example database."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from local.issuer import LocalIssuer
from tests.factories import example
from tests.fuzz.conftest import fuzz_examples
from tests.fuzz.tally import tally

DEPTH_LIMIT = 32  # chalicelib/web/json_body.py MAX_JSON_DEPTH, restated: the fuzz must not read it from the code

BUDGET = settings(
    max_examples=fuzz_examples(),
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)

# Text that may sit inside JSON strings: brackets, quotes and backslashes that must not count as nesting.
TRICKY_TEXT = st.text(alphabet='[]{}"\\ab ,:', max_size=20)


@st.composite
def nested_json(draw: Any, max_depth: int) -> tuple[int, bytes]:
    """(depth, body): arrays and objects wrapped `depth` times around a scalar, strings full of brackets."""
    depth = draw(st.integers(min_value=1, max_value=max_depth))
    kinds = draw(st.lists(st.sampled_from(["array", "object"]), min_size=1, max_size=8))
    note = json.dumps(draw(TRICKY_TEXT)).encode()
    opening, closing = [], []
    for level in range(depth):
        if kinds[level % len(kinds)] == "array":
            opening.append(b"[" + note + b",")
            closing.append(b"]")
        else:
            opening.append(b'{"k' + str(level % 10).encode() + b'": ')
            closing.append(b"}")
    return depth, b"".join(opening) + b"1" + b"".join(reversed(closing))


def seed_receipt(client: Any) -> dict[str, Any]:
    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(example())
    )
    assert response.status_code == 201, response.body
    return json.loads(response.body)


def test_deeply_nested_json_is_a_400_on_every_json_route(client: Any, issuer: LocalIssuer) -> None:
    counts = tally("hypothesis (hostile inputs: nested JSON)")
    receipt = seed_receipt(client)
    routes = [
        ("/api/referrals", {}, 60_000),
        (receipt["attachments_url"], {"Authorization": f"Bearer {receipt['attachments_token']}"}, 4_000),
        (
            f"/admin/referrals/{receipt['reference']}/screening",
            {"Authorization": f"Bearer {issuer.token_for('manager')}"},
            16_000,
        ),
    ]
    failures: list[str] = []

    @BUDGET
    @given(case=nested_json(max_depth=6000), route=st.sampled_from(range(len(routes))))
    def send(case: tuple[int, bytes], route: int) -> None:
        depth, body = case
        path, headers, limit = routes[route]
        if len(body) > limit:  # past the route's body limit it is a 413 before parsing: as deep as fits
            depth = limit // 2
            body = b"[" * depth + b"]" * depth
        response = client.http.post(path, headers={"Content-Type": "application/json", **headers}, body=body)
        counts.count(response.status_code)
        answer = json.loads(response.body) if response.body else {}
        if response.status_code >= 500:
            failures.append(f"{path} depth {depth}: {response.status_code} {response.body[:200]!r}")
        elif depth > DEPTH_LIMIT and (response.status_code, answer.get("error")) != (400, "malformed_json"):
            failures.append(f"{path} depth {depth}: {response.status_code} {answer}")

    send()
    assert failures == [], failures[:5]
    assert counts.server_errors == 0, counts.line()


# A JSON value of any shape: what a probe puts in a JWT header's fields.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
HEADER_FIELDS = st.sampled_from(["alg", "kid", "typ", "crit", "jku", "x5u", "cty", "b64", "enc"])


def encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@st.composite
def malformed_headers(draw: Any) -> bytes:
    """A JWT header: a JSON object with odd field values, a JSON value that is not an object, or bytes."""
    shape = draw(st.sampled_from(["object", "value", "bytes"]))
    if shape == "object":
        header: dict[str, Any] = {"alg": "RS256", "kid": "k"}
        header.update(draw(st.dictionaries(HEADER_FIELDS, JSON_VALUES, min_size=1, max_size=4)))
        return json.dumps(header).encode()
    if shape == "value":
        return json.dumps(draw(JSON_VALUES)).encode()
    return draw(st.binary(max_size=40))


KNOWN_REFUSALS = {"malformed_token", "wrong_algorithm", "unknown_signing_key", "forged_token"}


def test_a_staff_token_with_a_malformed_header_is_always_401(client: Any, issuer: LocalIssuer) -> None:
    counts = tally("hypothesis (hostile inputs: JWT headers)")
    _, claims, signature = issuer.token_for("manager").split(".")
    failures: list[str] = []

    @BUDGET
    @given(header=malformed_headers())
    def send(header: bytes) -> None:
        token = f"{encode(header)}.{claims}.{signature}"
        response = client.http.get("/admin/whoami", headers={"Authorization": f"Bearer {token}"})
        counts.count(response.status_code)
        answer = json.loads(response.body) if response.body else {}
        if response.status_code != 401 or answer.get("error") not in KNOWN_REFUSALS:
            failures.append(f"header {header[:80]!r}: {response.status_code} {response.body[:200]!r}")

    send()
    assert failures == [], failures[:5]
    assert counts.server_errors == 0, counts.line()
