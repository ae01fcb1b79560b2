"""Addresses the hub does not have: a GOV.UK "Page not found" (404), not API Gateway's raw JSON
`403 Missing Authentication Token`.

Chalice cannot catch an unknown route, so greedy routes (`{proxy+}`, which API Gateway matches only
when nothing more specific does) answer GET for every address nobody else answers: a public page,
the staff console's page under /staff/, and a JSON 404 under /api/ and /admin/ (machines read those).
Other methods still get API Gateway's own answer. Nothing here reads the address back to the page.
"""

from __future__ import annotations

from chalice import Blueprint
from chalice.app import Response

from chalicelib.web.errors import problem
from chalicelib.web.form_http import page

not_found = Blueprint(__name__)

# The greedy routes (their paths are API Gateway's syntax; local/greedy_routes.py matches them locally).
ANYWHERE = "/{proxy+}"
UNDER_API = "/api/{proxy+}"
UNDER_STAFF = "/staff/{proxy+}"
JSON_PREFIXES = ("api/", "admin/")


def _rest_of_path() -> str:
    """What the greedy parameter matched (API Gateway names it `proxy`)."""
    params = not_found.current_request.uri_params or {}
    return str(params.get("proxy") or params.get("proxy+") or "")


def api_not_found() -> Response:
    return problem(404, "not_found", "There is nothing at this address: check it against the API document")


def staff_not_found() -> Response:
    return page("staff/not_found.html", status=404, me=None)


@not_found.route(ANYWHERE, methods=["GET"])
def page_not_found() -> Response:
    rest = _rest_of_path()
    if rest.startswith(JSON_PREFIXES):
        return api_not_found()
    if rest == "staff" or rest.startswith("staff/"):
        return staff_not_found()
    return page("errors/not_found.html", status=404)


@not_found.route(UNDER_API, methods=["GET"])
def api_address_not_found() -> Response:
    return api_not_found()


@not_found.route(UNDER_STAFF, methods=["GET"])
def staff_address_not_found() -> Response:
    return staff_not_found()
