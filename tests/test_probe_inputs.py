"""Finding 4 of the hostile probe: inputs that got a 500 (or a dropped connection) instead of a 4xx.
Each is sent as the probe sent it, over HTTP through the app's test client or the local server."""

from __future__ import annotations

import base64
import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.web.auth import declared_roles
from local.issuer import SYNTHETIC_STAFF, LocalIssuer
from tests.factories import support_referral

pytestmark = pytest.mark.usefixtures("issuer")

# -- JSON nested 5,000 deep -----------------------------------------------------------------------------


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def admin_json_routes() -> list[tuple[str, str]]:
    """Every /admin/ route that reads a JSON body (found in app.routes, not listed by hand)."""
    import inspect

    from app import app

    return [
        (method, path)
        for path, entries in sorted(app.routes.items())
        if path.startswith("/admin/")
        for method, entry in sorted(entries.items())
        if "parse_json(" in inspect.getsource(entry.view_function)
    ]


def test_the_admin_json_routes_were_found() -> None:
    assert ("POST", "/admin/referrals/{reference}/screening") in admin_json_routes()
    assert len(admin_json_routes()) >= 10


def staff_for(method: str, path: str) -> str:
    """A synthetic member of staff the route lets in."""
    from app import app

    allowed = declared_roles(app.routes[path][method].view_function) or frozenset()
    return next(who for who, member in SYNTHETIC_STAFF.items() if member.role in allowed)


@pytest.fixture
def reference(client: Any) -> str:
    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(support_referral()).encode()
    )
    assert response.status_code == 201, response.body
    return str(json.loads(response.body)["reference"])


def assert_too_deep(response: Any) -> None:
    assert response.status_code == 400, response.body
    body = json.loads(response.body)
    assert body["error"] == "malformed_json"
    assert "nests arrays and objects more than 32 levels deep" in body["message"]
    assert "Traceback" not in response.body.decode()


def test_a_referral_nested_5000_deep_is_a_400_saying_what_to_fix(client: Any) -> None:
    response = client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=nested(5000))
    assert_too_deep(response)


def test_json_nested_inside_a_field_is_counted_too(client: Any) -> None:
    body = b'{"child": {"names": ' + nested(5000) + b', "note": "[[[ in a string is not nesting"}}'
    response = client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=body)
    assert_too_deep(response)


def test_brackets_inside_strings_do_not_count() -> None:
    from chalicelib.web.json_body import json_depth

    assert json_depth(b'{"a": "[[[[[[\\" [[[", "b": [1, {"c": "]]]"}]}') == 3
    assert json_depth(b'["\\\\", [[1]]]') == 3  # an escaped backslash does not escape the quote after it


def test_an_attachment_offer_nested_deep_is_a_400(client: Any, reference: str) -> None:
    # 2,000 levels fit the 4 KiB body the route takes, and were deep enough for a RecursionError.
    response = client.http.post(
        f"/api/referrals/{reference}/attachments",
        headers={"Content-Type": "application/json", "Authorization": "Bearer x"},
        body=nested(2000),
    )
    assert_too_deep(response)


@pytest.mark.parametrize(("method", "path"), admin_json_routes(), ids=[f"{m} {p}" for m, p in admin_json_routes()])
def test_every_admin_json_route_answers_deep_json_with_a_400(
    client: Any, issuer: LocalIssuer, reference: str, method: str, path: str
) -> None:
    url = path.replace("{reference}", reference)
    url = (
        url.replace("{triage_id}", "0" * 20)
        .replace("{attachment_id}", "0" * 20)
        .replace("{notice_id}", "ack")
        .replace("{reply_id}", "r1")
    )
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {issuer.token_for(staff_for(method, path))}",
    }
    response = client.http.request(method, url, headers=headers, body=nested(5000))
    assert_too_deep(response)


# -- a JWT whose header `kid` is a number or a list -------------------------------------------------------


def token_with_header(issuer: LocalIssuer, header: dict[str, Any]) -> str:
    """A token signed by the trusted key whose header the probe rewrote (the signature no longer matters:
    the header is read first)."""
    _, claims, signature = issuer.token_for("manager").split(".")
    encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    return f"{encoded}.{claims}.{signature}"


MALFORMED_HEADERS = {
    "kid 1": {"alg": "RS256", "typ": "JWT", "kid": 1},
    "kid [1]": {"alg": "RS256", "typ": "JWT", "kid": [1]},
    "crit not a list": {"alg": "RS256", "typ": "JWT", "kid": "k", "crit": 5},
}


@pytest.mark.parametrize("kind", list(MALFORMED_HEADERS))
def test_a_jwt_with_a_malformed_header_is_401_like_any_bad_token(client: Any, issuer: LocalIssuer, kind: str) -> None:
    token = token_with_header(issuer, MALFORMED_HEADERS[kind])
    response = client.http.get("/admin/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.body
    assert json.loads(response.body) == {
        "error": "malformed_token",
        "message": "The staff token is not a valid JWT: sign in again",
    }


@pytest.fixture
def local_server(client: Any) -> Iterator[tuple[str, int]]:
    """The app as `make run` serves it (local/web_server.py), on a free port."""
    from chalice.config import Config

    from app import app
    from local.web_server import dev_server

    server = dev_server(app, Config(chalice_stage="local", user_provided_params={"chalice_app": app}), "127.0.0.1", 0)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", server.server.server_address[1]
    finally:
        server.shutdown()
        server.server.server_close()
        thread.join(timeout=5)


def send(address: tuple[str, int], method: str, path: str, headers: dict[str, str] | None = None) -> Any:
    connection = http.client.HTTPConnection(*address, timeout=10)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("kind", ["kid 1", "kid [1]"])
def test_over_http_a_malformed_jwt_header_is_401_not_a_dropped_connection(
    local_server: tuple[str, int], issuer: LocalIssuer, kind: str
) -> None:
    token = token_with_header(issuer, MALFORMED_HEADERS[kind])
    status, _, body = send(local_server, "GET", "/admin/whoami", {"Authorization": f"Bearer {token}"})
    assert status == 401
    assert json.loads(body)["error"] == "malformed_token"


# -- an attachment offer with a 400-digit size --------------------------------------------------------------


def test_a_400_digit_size_is_a_422_for_the_size_field(client: Any) -> None:
    referral = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(support_referral()).encode()
    )
    receipt = json.loads(referral.body)
    body = b'{"filename": "report.pdf", "content_type": "application/pdf", "size": ' + b"9" * 400 + b"}"
    response = client.http.post(
        receipt["attachments_url"],
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {receipt['attachments_token']}"},
        body=body,
    )
    assert response.status_code == 422, response.body
    answer = json.loads(response.body)
    assert answer["error"] == "invalid_attachment"
    assert answer["errors"] == [
        {"field": "size", "message": "size must be the file's size in bytes: a whole number from 1 to 9007199254740991"}
    ]


def test_describe_size_takes_any_whole_number() -> None:
    from chalicelib.domain.attachments import describe_size

    assert describe_size(10 * 1024 * 1024) == "10 MB"
    assert describe_size(int(1.5 * 1024 * 1024)) == "1.5 MB"
    assert describe_size(10**400).endswith(" MB")  # was OverflowError: int too large to convert to float


# -- TRACE on the local server ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND"])
def test_the_local_server_answers_an_unknown_method_405_with_allow(local_server: tuple[str, int], method: str) -> None:
    status, headers, body = send(local_server, method, "/api/referrals")
    assert status == 405
    assert headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    assert json.loads(body) == {
        "error": "method_not_allowed",
        "message": f"The hub does not answer {method} requests: use one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT",
    }
