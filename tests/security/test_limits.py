"""Request size limits (413) on every public POST, and the per-client rate limit (429)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest
from chalice.local import LambdaEventConverter

from chalicelib.adapters.aws import AwsError
from chalicelib.adapters.rate_limits import DynamoRateLimitStore, InMemoryRateLimitStore, RateLimitStore
from chalicelib.domain.rate_limit import RateLimit, client_key
from tests.conftest import table_items
from tests.factories import example
from tests.security.conftest import stored_records
from tests.security.routes import routes

FORM = "application/x-www-form-urlencoded"
# 10:02:30 UTC: 150 seconds into a five-minute window, so Retry-After is exactly 150.
NOW = dt.datetime(2026, 11, 26, 10, 2, 30, tzinfo=dt.UTC)
API_LIMIT, FORM_LIMIT = 3, 5


@pytest.fixture(autouse=True)
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    # autouse: set before `aws` reads the settings.
    monkeypatch.setenv("MASH_RATE_LIMIT_API_REQUESTS", str(API_LIMIT))
    monkeypatch.setenv("MASH_RATE_LIMIT_FORM_REQUESTS", str(FORM_LIMIT))
    monkeypatch.setenv("MASH_RATE_LIMIT_WINDOW_SECONDS", "300")


@pytest.fixture
def hub(aws: Any) -> Any:
    aws.clock = lambda: NOW
    return aws


def from_address(monkeypatch: pytest.MonkeyPatch, ip: str) -> None:
    """Requests through chalice.test come from this source IP (API Gateway's identity.sourceIp)."""
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)


def post_referral(client: Any) -> Any:
    return client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(example()))


def referral_count(hub: Any) -> int:
    return sum(1 for item in table_items(hub) if item["sk"]["S"] == "REFERRAL")


# --- size limits ------------------------------------------------------------------------------

PUBLIC_POSTS = [route for route in routes("POST") if route.is_public]


def test_there_are_public_posts_to_check() -> None:
    assert {route.path for route in PUBLIC_POSTS} >= {"/api/referrals", "/referral/check", "/referral/child/{number}"}


def test_every_public_post_refuses_a_body_over_the_limit_with_413_and_stores_nothing(
    client: Any, hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    too_big = "x" * (hub.settings.max_body_bytes + 1)
    answers = {}
    for number, route in enumerate(PUBLIC_POSTS):
        from_address(monkeypatch, f"198.51.100.{number}")  # one client per route: this module's limits are tiny
        if route.path.startswith("/api/"):  # the JSON API: a JSON body and a JSON answer
            response = client.http.post(
                route.url, headers={"Content-Type": "application/json"}, body=json.dumps({"x": too_big})
            )
            said = json.loads(response.body)["error"] == "body_too_large"
        else:
            response = client.http.post(route.url, headers={"Content-Type": FORM}, body=f"field={too_big}")
            said = "longer than this form allows" in response.body.decode()
        answers[route.path] = (response.status_code, said)
    assert {path: answer for path, answer in answers.items() if answer != (413, True)} == {}
    assert stored_records(hub) == []


# --- the rate limit ---------------------------------------------------------------------------


def test_the_api_answers_429_with_retry_after_once_a_client_is_over_its_limit(client: Any, hub: Any) -> None:
    assert [post_referral(client).status_code for _ in range(API_LIMIT)] == [201] * API_LIMIT
    refused = post_referral(client)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "150"
    assert refused.headers["Content-Type"] == "application/json"
    assert refused.headers["X-Content-Type-Options"] == "nosniff"
    problem = json.loads(refused.body)
    assert problem["error"] == "too_many_requests"
    assert "wait 150 seconds" in problem["message"]
    assert referral_count(hub) == API_LIMIT


def test_the_next_window_lets_the_client_in_again(client: Any, hub: Any) -> None:
    for _ in range(API_LIMIT):
        post_referral(client)
    assert post_referral(client).status_code == 429
    hub.clock = lambda: NOW + dt.timedelta(seconds=150)
    assert post_referral(client).status_code == 201


def test_each_client_has_its_own_count(client: Any, hub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from_address(monkeypatch, "203.0.113.7")
    for _ in range(API_LIMIT):
        post_referral(client)
    assert post_referral(client).status_code == 429
    from_address(monkeypatch, "198.51.100.20")
    assert post_referral(client).status_code == 201


def test_the_form_answers_429_with_a_page_saying_what_to_do(client: Any, hub: Any) -> None:
    statuses = [client.http.post("/referral/route", headers={"Content-Type": FORM}, body="route=support").status_code
                for _ in range(FORM_LIMIT)]  # fmt: skip
    assert 429 not in statuses
    refused = client.http.post("/referral/route", headers={"Content-Type": FORM}, body="route=support")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "150"
    assert refused.headers["Content-Type"].startswith("text/html")
    assert refused.headers["Cache-Control"] == "no-store"
    page = refused.body.decode()
    assert "Too many pages sent from your connection" in page
    assert "Wait 3 minutes" in page
    assert hub.settings.emergency_number in page


def test_form_and_api_are_counted_apart_and_pages_are_never_limited(client: Any, hub: Any) -> None:
    for _ in range(API_LIMIT):
        post_referral(client)
    assert client.http.post("/referral/route", headers={"Content-Type": FORM}, body="").status_code != 429
    assert all(client.http.get("/referral/immediate-risk").status_code == 200 for _ in range(FORM_LIMIT + 1))


def test_the_counter_holds_a_keyed_hash_never_the_address_and_expires(
    client: Any, hub: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    address = "203.0.113.99"
    from_address(monkeypatch, address)
    with caplog.at_level(logging.INFO):  # botocore DEBUG logs request bodies; Lambda runs at INFO
        for _ in range(API_LIMIT + 1):
            post_referral(client)
    [counter] = [item for item in table_items(hub) if item["pk"]["S"].startswith("RATE#")]
    assert counter["pk"]["S"] == f"RATE#{client_key(address, hub.settings.hmac_secret)}"
    assert counter["sk"]["S"] == f"api#{int(NOW.timestamp()) // 300 * 300}"
    assert counter["count"]["N"] == str(API_LIMIT)  # the refused request was not counted
    assert int(counter["expires_at"]["N"]) > NOW.timestamp() + 150
    assert set(counter) == {"pk", "sk", "count", "expires_at"}
    assert address not in json.dumps(table_items(hub), default=repr)
    logs = capsys.readouterr().out + "\n".join(json.dumps(vars(r), default=str) for r in caplog.records)
    assert "rate limit reached" in logs
    assert address not in logs and client_key(address, hub.settings.hmac_secret) not in logs


def test_a_plain_hash_of_the_address_is_not_what_is_stored() -> None:
    import hashlib

    assert client_key("203.0.113.7", "secret") != hashlib.sha256(b"203.0.113.7").hexdigest()[:32]
    assert client_key("203.0.113.7", "secret") != client_key("203.0.113.7", "another secret")


class BrokenStore(RateLimitStore):
    def take(self, client: str, scope: str, window: Any, limit: int) -> bool:
        raise AwsError("dynamodb", "ProvisionedThroughputExceededException", True)


def test_if_the_counter_store_fails_the_referral_still_goes_through(client: Any, hub: Any) -> None:
    hub.use(rate_limits=BrokenStore())
    assert [post_referral(client).status_code for _ in range(API_LIMIT + 1)] == [201] * (API_LIMIT + 1)


def test_a_limit_of_zero_turns_the_limit_off(client: Any, hub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib import wiring as wiring_module

    monkeypatch.setenv("MASH_RATE_LIMIT_API_REQUESTS", "0")
    fresh = wiring_module.reset()
    fresh.use(**hub.adapters_in_use())  # keep the moto-backed clients
    assert all(post_referral(client).status_code == 201 for _ in range(API_LIMIT + 1))


# --- the store and its twin behave alike ----------------------------------------------------


@pytest.fixture(params=["dynamodb", "memory"])
def store(request: pytest.FixtureRequest) -> RateLimitStore:
    if request.param == "memory":
        return InMemoryRateLimitStore()
    hub = request.getfixturevalue("aws")
    return DynamoRateLimitStore(hub.aws_client("dynamodb"), hub.settings.table_name)


def test_a_store_counts_up_to_the_limit_per_client_scope_and_window(store: RateLimitStore) -> None:
    rule = RateLimit("api", 2, 300)
    window, later = rule.window_at(NOW), rule.window_at(NOW + dt.timedelta(minutes=5))
    assert [store.take("a", "api", window, 2) for _ in range(3)] == [True, True, False]
    assert store.take("b", "api", window, 2) is True
    assert store.take("a", "form", window, 2) is True
    assert store.take("a", "api", later, 2) is True


def test_windows_are_aligned_and_retry_after_counts_to_the_next() -> None:
    window = RateLimit("api", 30, 300).window_at(NOW)
    assert (window.end - window.start, window.start % 300) == (300, 0)
    assert window.retry_after(NOW) == 150
    assert window.retry_after(NOW + dt.timedelta(seconds=150)) == 1
