"""The building blocks of the staff API's OpenAPI part: error answers, schema helpers, one operation."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

BEARER_AUTH = {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
REFERENCE_EXAMPLE = "K7Q-F3M-RW9"

ERROR_DESCRIPTIONS: dict[str, str] = {
    "400": "The body is not valid JSON",
    "401": "No staff token, or an expired, forged or foreign one",
    "403": "The token's roles do not include one this route needs (or the rules refuse this person)",
    "404": "No referral has that reference",
    "409": "Not allowed in the referral's current status, or someone else changed it meanwhile",
    "413": "Body over 16 KiB",
    "415": "Content-Type is not application/json",
    "422": "A parameter or field with a problem: the message says what to fix",
    "503": "Staff sign-in or the store is unavailable just now; nothing was changed",
}
# Every admin route can answer these: the role check runs before the route's own work.
SIGN_IN_ERRORS = ("401", "403", "503")
BODY_ERRORS = ("400", "413", "415", "422")


def _enum(values: type[StrEnum] | list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": sorted(str(value) for value in values)}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "properties": properties,
        "additionalProperties": False,
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


DATE_TIME = {"type": "string", "format": "date-time"}


def _from_model(model: type[BaseModel]) -> dict[str, Any]:
    """A response model's schema in the document's own form, the same as one written with `_object`:
    no titles, StrEnums inline and sorted (`_enum`), nested models as references to their components,
    fields with a default optional, and no other properties."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})

    def plain(node: Any) -> Any:
        if isinstance(node, list):
            return [plain(item) for item in node]
        if not isinstance(node, dict):
            return node
        name = node.get("$ref", "").rsplit("/", 1)[-1]
        if "enum" in definitions.get(name, {}):
            return _enum(list(definitions[name]["enum"]))
        kept = {key: plain(value) for key, value in node.items() if not (key == "title" and isinstance(value, str))}
        # "type" first, as the hand-written schemas put it: the same document, byte for byte.
        return {"type": kept.pop("type"), **kept} if "type" in kept else kept

    properties = {name: plain(field) for name, field in schema["properties"].items()}
    required = schema.get("required", [])
    return _object(properties, optional=tuple(name for name in properties if name not in required))


def _query(name: str, schema: dict[str, Any], description: str, *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def _operation(
    view: Callable[..., Any],
    summary: str,
    answer: str,
    errors: tuple[str, ...],
    *,
    parameters: list[dict[str, Any]] | None = None,
    body: type[BaseModel] | None = None,
    success: str = "200",
) -> dict[str, Any]:
    from chalicelib.web.auth import declared_roles

    roles = sorted(role.value for role in declared_roles(view) or ())
    operation: dict[str, Any] = {
        "operationId": _camel_case(view.__name__),
        "summary": summary,
        "description": f"Roles: {', '.join(roles)}.",
        "x-roles": roles,
        "security": [{"bearerAuth": []}],
        "parameters": parameters or [],
        "responses": {
            success: {
                "description": "Created" if success == "201" else "OK",
                "content": {"application/json": {"schema": _ref(answer)}},
            },
            **{status: _error_response(status) for status in sorted({*SIGN_IN_ERRORS, *errors})},
        },
    }
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body.__name__)}},
        }
    return operation


def _camel_case(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.title() for word in rest)


def _error_response(status: str) -> dict[str, Any]:
    schema: dict[str, Any] = _ref("Error")
    if status == "401":
        schema = {"anyOf": [_ref("Error"), _ref("GatewayUnauthorized")]}
    return {"description": ERROR_DESCRIPTIONS[status], "content": {"application/json": {"schema": schema}}}
