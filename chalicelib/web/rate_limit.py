"""Per-client rate limit on the public POSTs: an http middleware (registered in app.py).

Which requests count: POST /api/referrals (scope `api`) and every form POST under /referral/
(scope `form`, more generous: one referral takes about fifteen pages). The client is the
source IP that API Gateway puts in the request context, keyed by an HMAC and never logged.
Over the limit: 429 with Retry-After, as JSON for the API and as a GOV.UK page for the form.

If the counter store fails, the request goes through: a referral about a child at risk matters
more than a flood limit, and API Gateway's throttling (README "Limits") still stands behind it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalice.app import Request, Response

from chalicelib.logs import logger

if TYPE_CHECKING:  # imported when first used: every request pays this module's import, cold
    from chalicelib.domain.rate_limit import RateLimit
    from chalicelib.settings import Settings

API_PATH = "/api/referrals"
FORM_PREFIX = "/referral/"
# The parent's consent page is a public form too.
PUBLIC_FORM_PREFIXES = (FORM_PREFIX, "/consent/")


def limit_for(method: str, path: str, settings: Settings) -> RateLimit | None:
    """The limit a request counts against, from its method and route (resource path), if any."""
    from chalicelib.domain.rate_limit import RateLimit

    if method != "POST":
        return None
    if path == API_PATH:
        return RateLimit("api", settings.rate_limit_api_requests, settings.rate_limit_window_seconds)
    if path.startswith(PUBLIC_FORM_PREFIXES):
        return RateLimit("form", settings.rate_limit_form_requests, settings.rate_limit_window_seconds)
    return None


def source_ip(request: Request) -> str | None:
    identity = (request.context or {}).get("identity") or {}
    value = identity.get("sourceIp")
    return value if isinstance(value, str) and value else None


def public_rate_limit(event: Request, get_response: Callable[[Request], Response]) -> Response:
    from chalicelib.domain.failures import AwsError
    from chalicelib.domain.rate_limit import client_key
    from chalicelib.wiring import wiring

    hub = wiring()
    limit = limit_for(event.method, event.path, hub.settings)
    ip = source_ip(event)
    if limit is None or not limit.enabled or ip is None:
        return get_response(event)
    now = hub.clock()
    window = limit.window_at(now)
    try:
        allowed = hub.rate_limits.take(client_key(ip, hub.settings.hmac_secret), limit.scope, window, limit.requests)
    except AwsError as error:
        logger.warning("rate limit not checked: store unavailable", extra={"scope": limit.scope, "error": error.code})
        return get_response(event)
    if allowed:
        return get_response(event)
    # The scope only: never the address, not even its hash.
    logger.info("rate limit reached", extra={"scope": limit.scope})
    return too_many_requests(limit, window.retry_after(now))


def too_many_requests(limit: RateLimit, retry_after: int) -> Response:
    if limit.scope == "api":
        from chalicelib.web.errors import problem

        return problem(
            429,
            "too_many_requests",
            f"More than {limit.requests} referrals came from this address in {limit.window_seconds // 60} minutes: "
            f"wait {retry_after} seconds, then send again (with the same Idempotency-Key, so nothing is sent twice)",
            headers={"Retry-After": str(retry_after)},
        )
    from chalicelib.web.form_http import page

    response = page("errors/too_many_requests.html", status=429, wait_minutes=math.ceil(retry_after / 60))
    response.headers["Retry-After"] = str(retry_after)
    return response
