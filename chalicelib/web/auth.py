"""Staff sign-in for /admin/ routes: a Chalice built-in authorizer plus a per-route role check.

Why the authorizer never denies: a built-in authorizer that denies makes API Gateway answer
403 "User is not authorized to access this resource" (and one that raises gives a 500 in
`chalice local` and `chalice.test`), so a bad token could not get an honest 401 with our own
message in every place we run. Instead the authorizer verifies the token and passes its verdict in
the request context (which a caller cannot forge: API Gateway sets it); `admin_route` reads the
verdict and answers 401 (not signed in), 403 (wrong role) or 503 (keys unreadable) through
`errors.problem`, the same in tests, `chalice local` and AWS. The one exception: a request with
no Authorization header at all never reaches the authorizer; API Gateway (and Chalice's local
gateway) answer it with their own 401 `{"message": "Unauthorized"}`.

Deny by default: `admin_route` is the only way to attach the authorizer, every route it makes
declares its roles, and `undeclared_admin_routes(app)` (asserted by tests/test_auth.py) finds any
/admin/ route made otherwise.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from typing import Any

from chalice import AuthResponse, Blueprint, Chalice, Response
from chalice.app import AuthRequest, Request

from chalicelib.domain.failures import SigningKeysUnavailable, TokenRefused
from chalicelib.domain.staff import Role, StaffMember, describe_roles
from chalicelib.logs import logger
from chalicelib.web.errors import problem, unavailable

ADMIN_PREFIX = "/admin/"
# API Gateway caches a verdict per token for this long; expiry is checked again per request.
VERDICT_CACHE_SECONDS = 60
ANONYMOUS = "anonymous"

# Verdicts the authorizer passes to the route in the request context (strings: API Gateway
# allows only flat string, number or boolean values there).
VERIFIED, REFUSED, UNAVAILABLE = "verified", "refused", "unavailable"

staff_auth = Blueprint(__name__)


@staff_auth.authorizer(ttl_seconds=VERDICT_CACHE_SECONDS)
def staff_token(auth_request: AuthRequest) -> AuthResponse:
    """Verify the bearer token; always allow, with the verdict in the context (see module doc)."""
    from chalicelib.services.staff_sign_in import token_verifier
    from chalicelib.wiring import wiring

    # Allow every route of this API: API Gateway reuses a cached verdict across routes.
    def verdict(principal: str, context: dict[str, str]) -> AuthResponse:
        return AuthResponse(routes=["*"], principal_id=principal, context=context)

    try:
        token = _bearer_token(auth_request.token)
        verifier = token_verifier(wiring().settings)
        verified = verifier.verify(token)
    except TokenRefused as refusal:
        logger.info("staff token refused", extra={"refusal": refusal.code})
        return verdict(ANONYMOUS, {"verdict": REFUSED, "refusal": refusal.code, "message": refusal.message})
    except SigningKeysUnavailable as error:
        logger.warning("staff signing keys unavailable", extra={"error": str(error)})
        return verdict(ANONYMOUS, {"verdict": UNAVAILABLE})
    roles = Role.from_groups(verified.groups)
    context = {"verdict": VERIFIED, "roles": ",".join(sorted(roles)), "expires_at": str(verified.expires_at)}
    return verdict(verified.subject, context)


def _bearer_token(header: str | None) -> str:
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenRefused("not_bearer", "Send the staff token in the Authorization header as: Bearer <token>")
    return token.strip()


# --- Per-route roles -------------------------------------------------------------------------

_DECLARED_ROLES: dict[Callable[..., Any], frozenset[Role]] = {}


def admin_route(
    bp: Blueprint | Chalice, path: str, *, methods: list[str], roles: Iterable[Role], **route_options: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a staff-only route that lets in only the roles listed.

    @admin_route(admin, "/admin/referrals", methods=["GET"], roles={Role.PRACTITIONER, Role.MANAGER})
    def list_referrals() -> Response: ...
    """
    allowed = frozenset(roles)
    if not path.startswith(ADMIN_PREFIX):
        raise ValueError(f"staff routes live under {ADMIN_PREFIX}: {path}")
    if not allowed or not all(isinstance(role, Role) for role in allowed):
        raise ValueError(f"{path} must declare at least one Role that may use it")

    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def view(**params: Any) -> Any:
            request = bp.current_request
            if request is None:  # Chalice sets it for every request it routes; a view never runs without one
                raise RuntimeError(f"{path} was called outside a request")
            refusal = _refusal(request, allowed)
            return refusal if refusal is not None else handler(**params)

        _DECLARED_ROLES[view] = allowed
        bp.route(path, methods=methods, authorizer=staff_token, **route_options)(view)
        return view

    return register


def declared_roles(view: Callable[..., Any]) -> frozenset[Role] | None:
    return _DECLARED_ROLES.get(view)


def undeclared_admin_routes(app: Chalice) -> list[str]:
    """`METHOD /path` of each /admin/ route not made by `admin_route` (so with no declared roles)."""
    return [
        f"{method} {path}"
        for path, entries in sorted(app.routes.items())
        if path.startswith(ADMIN_PREFIX)
        for method, entry in sorted(entries.items())
        if entry.view_function not in _DECLARED_ROLES or entry.authorizer is not staff_token
    ]


def _refusal(request: Request, allowed: frozenset[Role]) -> Response | None:
    context = request.context.get("authorizer") or {}
    verdict = context.get("verdict")
    if verdict == UNAVAILABLE:
        return unavailable(
            "Staff sign-in cannot be checked just now: try again in a minute", code="sign_in_unavailable"
        )
    if verdict != VERIFIED:
        message = context.get("message") or "Sign in: send a staff token as Authorization: Bearer <token>"
        return _unauthorized(context.get("refusal") or "not_signed_in", message)
    if int(context.get("expires_at") or 0) < time.time() - _leeway():
        # API Gateway may have cached this verdict from before the token expired.
        return _unauthorized("token_expired", "The staff token has expired: sign in again")
    staff = current_staff(request)
    if not staff.holds_any(allowed):
        return problem(403, "wrong_role", f"This needs the {describe_roles(allowed)} role")
    return None


def _unauthorized(code: str, message: str) -> Response:
    # RFC 6750: tell the client the scheme and that the token (if any) was not good.
    return problem(401, code, message, headers={"WWW-Authenticate": 'Bearer realm="mash-hub", error="invalid_token"'})


def _leeway() -> int:
    from chalicelib.services.staff_sign_in import token_leeway_seconds

    return token_leeway_seconds()


def current_staff(request: Request) -> StaffMember:
    """The signed-in staff member of a request that passed `admin_route`'s check."""
    context = request.context.get("authorizer") or {}
    if context.get("verdict") != VERIFIED:
        raise RuntimeError("current_staff() is only for routes made with admin_route")
    roles = frozenset(Role(name) for name in context.get("roles", "").split(",") if name)
    return StaffMember(id=context["principalId"], roles=roles)
