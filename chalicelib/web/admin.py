"""Staff API under /admin/: every route is made with `admin_route` and declares its roles."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.domain.staff import Role
from chalicelib.web.auth import admin_route, current_staff

admin = Blueprint(__name__)

ANY_STAFF = frozenset(Role)


@admin_route(admin, "/admin/whoami", methods=["GET"], roles=ANY_STAFF)
def whoami() -> Response:
    """Who the token says you are: the id and roles only, never a name or email."""
    staff = current_staff(admin.current_request)
    return Response(
        body={"id": staff.id, "roles": sorted(role.value for role in staff.roles)},
        status_code=200,
        headers={"Content-Type": "application/json"},
    )
