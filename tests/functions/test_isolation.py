"""Workspace isolation over EVERY route: a caller with full rights in workspace B, aimed at workspace
A's resources, gets 404 and never A's data.

The routes come from the app itself: every HTTP function that ``function_app.py`` registers, indexed
the way the Functions worker does (``get_functions()`` through devhost's loader), with the route and
methods of its trigger. An HTTP function not declared through ``functions.api.Api`` (so without the
route layer's token, permission, audit and the metadata this test needs) fails the test.

The test is generic so routes added later are covered without editing it: every path parameter is
filled by NAME with a real id from workspace A (a route with a parameter this table cannot fill fails
the test, so its author must add the parameter here), every body is the example of the route's body
model (a body model without an example fails the test) with its ``workspace_id`` set to A, and every
query model that has a ``workspace_id`` gets A's.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg
import pytest

from devhost.app_loader import load_app
from functions.api import ROUTES
from tests.conftest import PROJECT_ROOT

# The app's HTTP functions as the worker indexes them (get_functions() runs once; devhost caches it).
APP_HTTP_FUNCTIONS = [
    f for f in load_app(PROJECT_ROOT).functions if f.get_trigger().get_binding_name() == "httpTrigger"
]
ROUTE_BY_FUNCTION = {r.function_name: r for r in ROUTES}
# HTTP functions that take no token; they may be called, but must not disclose anything of A either.
ANONYMOUS = {"health", "openapi_document", "not_found_fallback"}

# Parameters naming platform-wide objects (not owned by any workspace): B may see these, the test
# then only checks that the answer carries none of A's data.
GLOBAL_PARAMS = {
    "role_name": "IsoRole",
    "app_role": "Iso.AppRole",
    "classification_id": "email_address",
    "framework": "gdpr",
    "path": "v1/no-such-route",  # the 404/405 fallback's catch-all
}
SECRET_MARKERS = [
    "Isolation Alpha",
    "alpha-secret-description",
    "alpha-secret-reason",
    "alpha-member",
    "alpha-secret-password",
]


@pytest.fixture(scope="module")
def workspace_a(client, make_token, app_env) -> dict[str, Any]:
    """Workspace A with one resource of every kind a route can address."""
    admin = make_token("root", ["Admin"], mfa=True)

    def ok(reply, status=201):
        assert reply.status == status, reply.body
        return reply.json()

    ws = ok(
        client.request(
            "POST",
            "/api/v1/workspaces",
            token=admin,
            json_body={"name": "Isolation Alpha", "description": "alpha-secret-description"},
        )
    )["id"]
    member = ok(
        client.request(
            "POST",
            f"/api/v1/workspaces/{ws}/members",
            token=admin,
            json_body={"principal_id": "alpha-member", "role": "WorkspaceOwner"},
        )
    )
    requester = make_token("alpha-member", [])
    elevation = ok(
        client.request(
            "POST",
            "/api/v1/authz/elevations",
            token=requester,
            json_body={"role": "Auditor", "workspace_id": ws, "duration_minutes": 30, "reason": "alpha-secret-reason"},
        )
    )
    ok(
        client.request(
            "POST", "/api/v1/authz/roles", token=admin, json_body={"name": "IsoRole", "inherits": ["Viewer"]}
        )
    )
    ok(client.request("PUT", "/api/v1/authz/app-roles/Iso.AppRole", token=admin, json_body={"role": "Viewer"}), 200)
    rule_set = ok(
        client.request(
            "POST",
            f"/api/v1/workspaces/{ws}/scan-rule-sets",
            token=admin,
            json_body={"id": "alpha_rules", "template": "pci_dss", "description": "alpha-secret-description"},
        )
    )
    catalog = _catalog_resources(client, admin, ws, ok)
    data_source = ok(
        client.request(
            "POST",
            f"/api/v1/workspaces/{ws}/data-sources",
            token=admin,
            json_body={
                "name": "Isolation Alpha source",
                "description": "alpha-secret-description",
                "connection": {"kind": "postgresql", "host": "alpha.internal", "database": "a", "username": "u"},
                "credentials": {"password": "alpha-secret-password"},
            },
        )
    )
    scan_id = _scan_of(app_env["DATAWAVE_POSTGRES_URL"], ws, data_source["id"])
    compliance = _compliance_resources(client, admin, ws, ok)
    return {
        **catalog,
        **compliance,
        "scan_id": scan_id,
        "data_source_id": data_source["id"],
        "rule_set_id": rule_set["id"],
        "version": rule_set["latest_version"],
        "workspace_id": ws,
        "assignment_id": member["id"],
        "elevation_id": elevation["id"],
        "principal_id": "alpha-member",
    }


def _scan_of(database_url: str, workspace_id: str, data_source_id: str) -> str:
    """A finished scan of A's source with one failed asset (written directly: starting a real scan
    needs a reachable source, and this test only needs the rows to exist)."""
    scan_id = str(uuid.uuid4())
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO scans (id, workspace_id, data_source_id, rule_set_template, status, phase, requested_by,"
            " error) VALUES (%s, %s, %s, 'pci_dss', 'completed', 'done', 'root', 'alpha-secret-reason')",
            (scan_id, workspace_id, data_source_id),
        )
        conn.execute(
            "INSERT INTO scan_assets (scan_id, workspace_id, qualified_name, asset_type, status, error)"
            " VALUES (%s, %s, 'postgres://alpha.internal:5432/a.public.t', 'table', 'failed', 'alpha-secret-reason')",
            (scan_id, workspace_id),
        )
    return scan_id


@pytest.fixture(scope="module")
def token_b(client, make_token) -> str:
    admin = make_token("root", ["Admin"], mfa=True)
    ws_b = client.request("POST", "/api/v1/workspaces", token=admin, json_body={"name": "Isolation Beta"}).json()["id"]
    # Every permission, with MFA, but only in workspace B.
    return make_token("beta-admin", ["Admin"], workspaces=[uuid.UUID(ws_b)], mfa=True)


def _catalog_resources(client, admin, ws, ok) -> dict[str, Any]:
    """A catalogued table with a classified column, a glossary term and a lineage edge in A."""
    ns = "postgres://alpha.internal:5432"
    scanned = ok(
        client.request(
            "POST",
            f"/api/v1/workspaces/{ws}/catalog/scan-results",
            token=admin,
            json_body={
                "namespace": ns,
                "name": "alpha.public.customers",
                "description": "alpha-secret-description",
                "columns": [
                    {
                        "name": "email",
                        "data_type": "text",
                        "classifications": [
                            {"classification_id": "email_address", "confidence": 0.9, "sensitivity": "Confidential"}
                        ],
                    }
                ],
            },
        ),
        200,
    )
    column = scanned["asset"]["children"][0]["id"]
    detail = ok(client.request("GET", f"/api/v1/catalog/assets/{column}", token=admin), 200)
    downstream = ok(
        client.request(
            "POST",
            f"/api/v1/workspaces/{ws}/catalog/assets",
            token=admin,
            json_body={"type": "table", "namespace": ns, "name": "alpha.public.copy"},
        )
    )
    edge = ok(
        client.request(
            "POST",
            f"/api/v1/workspaces/{ws}/lineage/edges",
            token=admin,
            json_body={"source_id": scanned["asset"]["id"], "target_id": downstream["id"]},
        )
    )
    term = ok(
        client.request(
            "POST",
            f"/api/v1/workspaces/{ws}/glossary/terms",
            token=admin,
            json_body={"name": "Alpha Customer", "definition": "alpha-secret-description"},
        )
    )
    return {
        "asset_id": scanned["asset"]["id"],
        "asset_classification_id": detail["classifications"][0]["id"],
        "edge_id": edge["id"],
        "term_id": term["id"],
    }


def _compliance_resources(client, admin, ws, ok) -> dict[str, Any]:
    """A custom policy and a violation (the packs flag A's personal data without retention)."""
    policy = ok(
        client.request(
            "POST",
            f"/api/v1/workspaces/{ws}/compliance/policies",
            token=admin,
            json_body={
                "name": "alpha-policy",
                "title": "alpha-secret-description",
                "condition": {"fact": "properties.retention_days", "op": "missing"},
            },
        )
    )
    ok(client.request("POST", f"/api/v1/workspaces/{ws}/compliance/evaluate", token=admin), 200)
    found = ok(client.request("GET", f"/api/v1/workspaces/{ws}/compliance/violations", token=admin), 200)
    assert found["items"], "workspace A needs a violation"
    return {"policy_id": policy["id"], "violation_id": found["items"][0]["id"]}


def _path_params(path: str) -> list[str]:
    return [s[1:-1].lstrip("*").split(":")[0] for s in path.split("/") if s.startswith("{")]


def _example_body(route) -> dict[str, Any]:
    examples = route.body_model.model_json_schema().get("examples")
    assert examples, f"{route.function_name}: give {route.body_model.__name__} an example (json_schema_extra)"
    return dict(examples[0])


def _app_requests() -> list[tuple[str, str, str]]:
    """(function name, method, route) for every method of every HTTP function of the app."""
    return [
        (f.get_function_name(), str(method.value), f.get_trigger().route)
        for f in APP_HTTP_FUNCTIONS
        for method in f.get_trigger().methods
    ]


def _protected_routes():
    return [r for r in ROUTES if r.permission is not None]


def test_every_route_is_covered(workspace_a):
    names = {f.get_function_name() for f in APP_HTTP_FUNCTIONS}
    undeclared = sorted(names - set(ROUTE_BY_FUNCTION) - ANONYMOUS)
    assert not undeclared, f"HTTP functions not declared with functions.api.Api: {undeclared}"
    assert {r.function_name for r in _protected_routes()} <= names  # every declared route is in the app
    for route in _protected_routes():
        unknown = [p for p in _path_params(route.path) if p not in workspace_a and p not in GLOBAL_PARAMS]
        assert not unknown, f"{route.method} {route.path}: add a workspace-A value for {unknown} to this test"
        if route.body_model is not None:
            _example_body(route)
    assert len(_protected_routes()) >= 25


@pytest.mark.parametrize(("function_name", "method", "app_route"), _app_requests(), ids=lambda v: str(v))
def test_workspace_b_cannot_reach_workspace_a(client, workspace_a, token_b, function_name, method, app_route):
    route = ROUTE_BY_FUNCTION.get(function_name)
    assert route is not None or function_name in ANONYMOUS, (
        f"{function_name} ({method} {app_route}) is not declared with functions.api.Api"
    )
    if route is not None:
        assert (route.method, route.path) == (method, app_route.strip("/")), function_name
    params = _path_params(app_route)
    path = app_route
    names_a = False
    for name in params:
        value = workspace_a.get(name) or GLOBAL_PARAMS[name]
        names_a = names_a or name in workspace_a
        path = path.replace("{" + name + "}", str(value)).replace("{*" + name + "}", str(value))
    query = ""
    if route is not None and route.query_model is not None and "workspace_id" in route.query_model.model_fields:
        query = f"?workspace_id={workspace_a['workspace_id']}"
        names_a = True
    body = None
    if route is not None and route.body_model is not None:
        body = _example_body(route)
        if "workspace_id" in body or "workspace_id" in route.body_model.model_fields:
            body["workspace_id"] = workspace_a["workspace_id"]
            names_a = True
    reply = client.request(method, f"/api/{path}{query}", token=token_b, json_body=body)
    text = reply.body.decode(errors="replace")
    for marker in SECRET_MARKERS:
        assert marker not in text, f"{method} {app_route} leaked {marker!r}: {text[:300]}"
    if names_a:
        assert reply.status == 404, f"{method} {app_route} → {reply.status} {text[:300]}"
    else:
        assert reply.status < 500, text
        assert workspace_a["workspace_id"] not in text
        assert workspace_a["elevation_id"] not in text and workspace_a["assignment_id"] not in text


def test_workspace_a_is_unchanged_afterwards(client, make_token, workspace_a, token_b):
    admin = make_token("root", ["Admin"], mfa=True)
    members = client.request("GET", f"/api/v1/workspaces/{workspace_a['workspace_id']}/members", token=admin).json()
    assert [m["principal_id"] for m in members] == ["alpha-member", "root"]
    elevation = client.request("GET", f"/api/v1/authz/elevations/{workspace_a['elevation_id']}", token=admin).json()
    assert elevation["status"] == "pending"
    quotas = client.request("GET", f"/api/v1/workspaces/{workspace_a['workspace_id']}/quotas", token=admin).json()
    assert quotas["is_default"] is True
    assert json.dumps(members)  # A's own admin still sees everything
