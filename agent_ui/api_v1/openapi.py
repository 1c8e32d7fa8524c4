"""The OpenAPI 3.1 document, built from the same route table the router uses."""

from __future__ import annotations

import re
from typing import Any

from agent_ui.api_v1.base import Route
from agent_ui.api_v1.response_schemas import OBJECTS
from agent_ui.api_v1.schema import INT_MAX, object_schema

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {k: {"type": "string"} for k in ("error", "message", "field", "detail")},
}
_ANY = {"type": "object", "additionalProperties": True}
RESPONSES: dict[str, Any] = {"Object": _ANY, "Error": ERROR}
FILES = {"CSV": "text/csv", "Zip": "application/zip"}  # Route.response names of file downloads
for _name, _schema in OBJECTS.items():
    RESPONSES[_name] = _schema
    RESPONSES[_name + "Page"] = {
        "type": "object",
        "required": ["items", "total", "limit", "offset"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{_name}"}},
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        },
    }


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _path_schema(name: str) -> dict[str, Any]:
    """Ids are 32-bit positive integers (base.path_id answers 404 for anything else)."""
    if name == "id" or name.endswith("_id"):
        return {"type": "integer", "minimum": 1, "maximum": INT_MAX}
    return {"type": "string"}


def _operation(route: Route) -> dict[str, Any]:
    params = [
        {"name": n, "in": "path", "required": True, "schema": _path_schema(n)}
        for n in re.findall(r"{(\w+)}", route.path)
    ]
    params += [
        {"name": n, "in": "query", "description": d, "schema": {"type": "string"}}
        for n, d in route.query.items()
    ]
    body = {"application/json": {"schema": {"$ref": f"#/components/schemas/{route.response}"}}}
    media = FILES.get(route.response) or (FILES["CSV"] if route.path.endswith(".csv") else None)
    if media is not None:  # a file download, not JSON
        body = {media: {"schema": {"type": "string", "format": "binary"}}}
    ok = {"description": "OK", "content": body}
    op: dict[str, Any] = {
        "summary": route.summary,
        "operationId": route.handler.__name__ + "_" + route.method.lower(),
        "parameters": params,
        "responses": {
            str(route.status): ok,
            "400": _error("bad request, names the field"),
            "401": _error("not signed in"),
            "403": _error("not allowed"),
            "404": _error("not found"),
            "409": _error("conflicting state"),
            "503": _error("database busy: nothing was written; retry after the Retry-After seconds"),
        },
    }
    if route.no_content:
        op["responses"]["204"] = {"description": route.no_content}
    if route.body is not None:
        schema = object_schema(route.body)
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    return op


def document(routes: list[Route]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Call-center CRM API", "version": "1"},
        "security": [{"session": []}],
        "paths": paths,
        "components": {
            "schemas": RESPONSES,
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "crm_session"}},
        },
    }
