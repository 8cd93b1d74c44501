"""Health and the OpenAPI document."""

from __future__ import annotations

from functions.api import ROUTES


def test_health_is_anonymous_and_reports_the_database(client):
    reply = client.request("GET", "/api/health")
    assert reply.status == 200
    body = reply.json()
    assert body["status"] == "ok"
    assert body["database"]["reachable"] is True
    assert body["version"]


def test_openapi_is_3_1_and_lists_every_declared_route(client):
    reply = client.request("GET", "/api/openapi.json")
    assert reply.status == 200
    spec = reply.json()
    assert spec["openapi"] == "3.1.0"
    declared = {("/api/" + r.path, r.method.lower()) for r in ROUTES if r.function_name != "boom"}
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert declared <= documented


def test_openapi_references_resolve(client):
    spec = client.request("GET", "/api/openapi.json").json()
    schemas = spec["components"]["schemas"]

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref is not None:
                assert ref.startswith("#/components/schemas/")
                assert ref.rsplit("/", 1)[1] in schemas, ref
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)


def test_openapi_marks_permissions_and_security(client):
    spec = client.request("GET", "/api/openapi.json").json()
    create = spec["paths"]["/api/v1/workspaces"]["post"]
    assert create["x-datawave-permission"] == "workspaces:create"
    assert create["security"] == [{"bearer": []}]
    assert {"201", "401", "403", "422"} <= set(create["responses"])
    assert spec["paths"]["/api/health"]["get"]["security"] == []


def test_enum_types_in_query_models_are_documented_as_components():
    from enum import StrEnum

    from pydantic import BaseModel

    from functions.api import Route
    from functions.openapi import _operation, _Schemas

    class Colour(StrEnum):
        RED = "red"

    class Query(BaseModel):
        colour: Colour | None = None

    def handler(query: Query) -> None:
        return None

    route = Route("GET", "v1/colours", "colours", handler, "catalog:read", 200, "", "", "test", query_model=Query)
    schemas = _Schemas()
    operation = _operation(route, schemas)
    parameter = operation["parameters"][0]
    assert "Colour" in schemas.components
    assert "#/components/schemas/Colour" in str(parameter["schema"])
