"""API Gateway's greedy path parameter (`/{proxy+}`) for `chalice local` and `chalice.test`.

Chalice's local route matcher compares paths segment by segment, so a `{proxy+}` route would match
one segment only, and any other unknown address would get the local gateway's raw 403 "Missing
Authentication Token". API Gateway matches the most specific route first and gives a greedy one
the rest of the path (`pathParameters: {"proxy": "a/b"}`); `install()` makes the local matcher do
the same, so the hub's "page not found" routes answer locally as they do in AWS.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from chalice.local import MatchResult, RouteMatcher

_original_match_route = RouteMatcher.match_route


def _greedy(route_url: str) -> tuple[str, str] | None:
    """(`/staff/`, `proxy`) for `/staff/{proxy+}`; None for a route without a greedy part."""
    head, _, last = route_url.rpartition("/")
    if last.startswith("{") and last.endswith("+}"):
        return head + "/", last[1:-2]
    return None


def _match_route(self: RouteMatcher, url: str) -> MatchResult:
    try:  # the routes without a greedy part first: the most specific match wins, as in API Gateway
        return _original_match_route(RouteMatcher([r for r in self.route_urls if _greedy(r) is None]), url)
    except ValueError:
        pass
    parsed = urlparse(url)
    greedy = [(route, found) for route in self.route_urls if (found := _greedy(route)) is not None]
    for route, (prefix, name) in sorted(greedy, key=lambda item: -len(item[1][0])):  # the longest prefix first
        if parsed.path.startswith(prefix) and len(parsed.path) > len(prefix):
            captured = {name: parsed.path[len(prefix) :]}
            return MatchResult(route, captured, parse_qs(parsed.query, keep_blank_values=True))
    raise ValueError(f"No matching route found for: {url}")


def install() -> None:
    RouteMatcher.match_route = _match_route  # type: ignore[method-assign]
