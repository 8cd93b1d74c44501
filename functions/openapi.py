"""The OpenAPI 3.1 document, generated from the route declarations (API Management imports it)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, TypeAdapter

from core.version import __version__
from functions.api import ROUTES, Route

_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "Stable machine-readable error code."},
                "message": {"type": "string"},
                "details": {"description": "Field errors or other structured detail; may be null."},
            },
        }
    },
}
_ERROR_RESPONSES = {
    "400": "Malformed request (invalid_json, invalid_cursor)",
    "401": "Missing, expired or invalid bearer token",
    "403": "The caller lacks the required permission",
    "404": "Not found (or not visible in the caller's workspaces)",
    "413": "Request body too large",
    "415": "Request body is not JSON",
    "422": "Validation error; details lists each failing field",
}
_NAME = re.compile(r"[^A-Za-z0-9._-]")


def _component_name(name: str) -> str:
    return _NAME.sub("_", name)


class _Schemas:
    """Collects component schemas, hoisting pydantic's ``$defs`` into ``components.schemas``."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {"Error": _ERROR_SCHEMA}

    def ref(self, annotation: Any) -> dict[str, Any]:
        schema = TypeAdapter(annotation).json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
        for name, definition in schema.pop("$defs", {}).items():
            self.components[_component_name(name)] = definition
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            name = _component_name(schema.get("title", annotation.__name__))
            self.components[name] = schema
            return {"$ref": f"#/components/schemas/{name}"}
        return schema

    def request(self, model: type[BaseModel]) -> dict[str, Any]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation")
        for name, definition in schema.pop("$defs", {}).items():
            self.components[_component_name(name)] = definition
        name = _component_name(model.__name__)
        self.components[name] = schema
        return {"$ref": f"#/components/schemas/{name}"}


def _operation(route: Route, schemas: _Schemas) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.function_name,
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": [],
        "responses": {},
    }
    if route.description:
        operation["description"] = route.description
    for name, adapter in route.path_params.items():
        operation["parameters"].append({"name": name, "in": "path", "required": True, "schema": adapter.json_schema()})
    if route.query_model is not None:
        query_schema = route.query_model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in query_schema.pop("$defs", {}).items():
            schemas.components[_component_name(name)] = definition
        required = set(query_schema.get("required", []))
        for name, prop in query_schema.get("properties", {}).items():
            operation["parameters"].append({"name": name, "in": "query", "required": name in required, "schema": prop})
    if route.body_model is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas.request(route.body_model)}},
        }
    if route.response_model is None or route.response_model is type(None):
        operation["responses"][str(route.status if route.status != 200 else 204)] = {"description": "No content"}
    else:
        operation["responses"][str(route.status)] = {
            "description": "Success",
            "content": {"application/json": {"schema": schemas.ref(route.response_model)}},
        }
    error_ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    codes = ["400", "413", "415", "422"] if route.body_model else ["400", "422"] if route.query_model else []
    if route.permission is not None:
        operation["security"] = [{"bearer": []}]
        operation["x-datawave-permission"] = route.permission
        codes += ["401", "403"]
        if route.path_params:
            codes.append("404")
    else:
        operation["security"] = []
    for code in sorted(set(codes)):
        operation["responses"][code] = {"description": _ERROR_RESPONSES[code], **error_ref}
    return operation


def build_openapi() -> dict[str, Any]:
    """The whole document, from every declared route."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for route in sorted(ROUTES, key=lambda r: (r.path, r.method)):
        paths.setdefault("/api/" + route.path, {})[route.method.lower()] = _operation(route, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "DataWave API",
            "version": __version__,
            "description": "Data governance for Azure: sources, scans, classification, catalog, lineage, "
            "compliance and audit. Every endpoint but health requires a bearer token.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
