"""The building blocks of the staff API's OpenAPI part: error answers, the schemas of models, and one
operation from its row in the table (paths.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel

BEARER_AUTH = {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
REFERENCE_EXAMPLE = "K7Q-F3M-RW9"
REF_TEMPLATE = "#/components/schemas/{model}"

ERROR_DESCRIPTIONS: dict[str, str] = {
    "400": "The body is not valid JSON",
    "401": "No staff token, or an expired, forged or foreign one",
    "403": "The token's roles do not include one this route needs (or the rules refuse this person)",
    "404": "No referral has that reference",
    "409": "Not allowed in the referral's current status, or someone else changed it meanwhile",
    "413": "Body over 16 KiB",
    "415": "Content-Type is not application/json",
    "422": "A parameter or field with a problem: the message says what to fix",
    "429": "Too many requests from this person just now: wait for Retry-After seconds",
    "503": "Staff sign-in or the store is unavailable just now; nothing was changed",
}
# Every admin route can answer these: the role check runs before the route's own work.
SIGN_IN_ERRORS = ("401", "403", "503")
BODY_ERRORS = ("400", "413", "415", "422")


def _enum(values: type[StrEnum] | list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": sorted(str(value) for value in values)}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF_TEMPLATE.format(model=name)}


def _query(name: str, schema: dict[str, Any], description: str, *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def add_schemas(components: dict[str, Any], new: dict[str, Any]) -> None:
    # Two models may share an enum's or a nested model's $def; two different shapes under one name
    # would be a lie.
    for name, schema in new.items():
        if components.setdefault(name, schema) != schema:
            raise ValueError(f"Two different schemas are both named {name!r} in the OpenAPI document")


def model_schemas(models: Iterable[type[BaseModel]], mode: Literal["validation", "serialization"]) -> dict[str, Any]:
    """Each model's JSON Schema under its name, with the $defs it uses lifted beside it (its
    references point there): a request is read as `validation`, an answer as `serialization`."""
    schemas: dict[str, Any] = {}
    for model in models:
        schema = _component_refs(model.model_json_schema(mode=mode, ref_template=REF_TEMPLATE))
        add_schemas(schemas, schema.pop("$defs", {}))
        add_schemas(schemas, {model.__name__: schema})
    return schemas


def _component_refs(node: Any) -> Any:
    """`{"x-ref": name}` (a model's field that is another part of the document, not one of its own
    models: the whole picture's submission) becomes a reference to that component."""
    if isinstance(node, list):
        return [_component_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "x-ref" in node:
        node = {"$ref": REF_TEMPLATE.format(model=node["x-ref"]), **{k: v for k, v in node.items() if k != "x-ref"}}
    return {key: _component_refs(value) for key, value in node.items()}


@dataclass(frozen=True)
class Route:
    """One row of the staff API's table: the operation's roles come from its view (`admin_route`),
    its body and answer schemas from the models named here."""

    path: str
    method: str
    view: Callable[..., Any]
    summary: str
    answer: type[BaseModel]
    errors: tuple[str, ...] = ()
    parameters: tuple[dict[str, Any], ...] = ()
    body: type[BaseModel] | None = None
    success: str = "200"
    also_csv: bool = False  # answers text/csv too, when asked (?format=csv)


def _operation(route: Route) -> dict[str, Any]:
    from chalicelib.web.auth import declared_roles

    roles = sorted(role.value for role in declared_roles(route.view) or ())
    content: dict[str, Any] = {"application/json": {"schema": _ref(route.answer.__name__)}}
    if route.also_csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    operation: dict[str, Any] = {
        "operationId": _camel_case(route.view.__name__),
        "summary": route.summary,
        "description": f"Roles: {', '.join(roles)}.",
        "x-roles": roles,
        "security": [{"bearerAuth": []}],
        "parameters": list(route.parameters),
        "responses": {
            route.success: {"description": "Created" if route.success == "201" else "OK", "content": content},
            **{status: _error_response(status) for status in sorted({*SIGN_IN_ERRORS, *route.errors})},
        },
    }
    if route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(route.body.__name__)}},
        }
    return operation


def paths_of(routes: Iterable[Route]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return paths


def _camel_case(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.title() for word in rest)


def _error_response(status: str) -> dict[str, Any]:
    schema: dict[str, Any] = _ref("Error")
    if status == "401":
        schema = {"anyOf": [_ref("Error"), _ref("GatewayUnauthorized")]}
    return {"description": ERROR_DESCRIPTIONS[status], "content": {"application/json": {"schema": schema}}}
