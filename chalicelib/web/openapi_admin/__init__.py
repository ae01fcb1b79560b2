"""The staff API's part of the OpenAPI document: every /admin/ route, its roles, bodies and answers.

Nothing here is written by hand as JSON Schema: request bodies come from the pydantic models the
routes parse with (chalicelib/web/admin/models.py and the blueprints' own), answers from the response
models the routes shape their answers through (chalicelib/web/admin/responses*.py), roles from what
each route declares with `admin_route`, and enums from the domain's StrEnums.

    shapes.py      error answers, a model's schemas with its $defs lifted (model_schemas), one operation
    parameters.py  path and query parameters
    paths.py       the table: one row per /admin/ route (admin_routes), its paths and schemas

The document reads the blueprints (for their views and models); no blueprint reads the document.
"""

from __future__ import annotations

from chalicelib.web.openapi_admin.paths import admin_paths, admin_routes, admin_schemas
from chalicelib.web.openapi_admin.shapes import BEARER_AUTH, Route, add_schemas, model_schemas

__all__ = ["BEARER_AUTH", "Route", "add_schemas", "admin_paths", "admin_routes", "admin_schemas", "model_schemas"]
