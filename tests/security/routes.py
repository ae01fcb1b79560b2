"""The app's routes, read from `app.routes`: the security tests cover what exists, not a hand-kept list."""

from __future__ import annotations

import re
from dataclasses import dataclass

FORM_TYPE = "application/x-www-form-urlencoded"
# A value for each path parameter that reaches the route's own code (not a 404 for the shape).
PATH_VALUES = {"number": "1", "kind": "child", "reference": "ABC-DEF-GHJ", "message_id": "0000-local", "name": "x"}


@dataclass(frozen=True)
class Route:
    path: str  # as declared, e.g. /referral/child/{number}
    method: str
    content_types: tuple[str, ...]
    staff_only: bool

    @property
    def url(self) -> str:
        """A concrete URL for the route, its parameters filled with plausible values."""
        return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "1"), self.path)

    @property
    def takes_form_posts(self) -> bool:
        return self.method == "POST" and FORM_TYPE in self.content_types

    @property
    def is_public(self) -> bool:
        return not self.staff_only and not self.path.startswith("/_local/")


def all_routes() -> list[Route]:
    from app import app

    return [
        Route(path, method, tuple(entry.content_types), entry.authorizer is not None)
        for path, methods in sorted(app.routes.items())
        for method, entry in sorted(methods.items())
    ]


def routes(method: str) -> list[Route]:
    return [route for route in all_routes() if route.method == method]
