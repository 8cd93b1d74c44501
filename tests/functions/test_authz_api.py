"""Roles, assignments, app-role mappings and MFA through the route layer."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture(scope="module")
def admin(make_token):
    return make_token("root", ["Admin"], mfa=True)


@pytest.fixture(scope="module")
def workspace(client, admin):
    reply = client.request("POST", "/api/v1/workspaces", token=admin, json_body={"name": "Authz Space"})
    assert reply.status == 201
    return reply.json()["id"]


def _code(reply):
    return reply.json()["error"]["code"]


def _role(client, token, body):
    return client.request("POST", "/api/v1/authz/roles", token=token, json_body=body)


def test_builtin_roles_are_listed_with_effective_permissions(client, admin):
    roles = {r["name"]: r for r in client.request("GET", "/api/v1/authz/roles", token=admin).json()}
    assert {"Admin", "WorkspaceOwner", "DataSteward", "DataEngineer", "ComplianceOfficer"} <= set(roles)
    assert {"BusinessAnalyst", "Auditor", "Viewer"} <= set(roles)
    assert roles["Viewer"]["builtin"] and "catalog:read" in roles["Viewer"]["effective_permissions"]


def test_custom_role_with_inheritance_is_created(client, admin):
    reply = _role(client, admin, {"name": "ScanOperator", "permissions": ["scans:run"], "inherits": ["viewer"]})
    assert reply.status == 201, reply.body
    role = reply.json()
    assert role["inherits"] == ["Viewer"]  # canonical spelling
    assert {"scans:run", "catalog:read"} <= set(role["effective_permissions"])
    assert client.request("GET", "/api/v1/authz/roles/scanoperator", token=admin).json()["name"] == "ScanOperator"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "Bad1", "permissions": ["catalog:teleport"]}, "unknown_permission"),
        ({"name": "Bad2", "inherits": ["NoSuchRole"]}, "unknown_role"),
        ({"name": "Bad3", "inherits": ["Bad3"]}, "role_cycle"),
        ({"name": "Bad4", "permissions": ["not a permission"]}, "validation_error"),
        ({"name": "Bad5"}, "validation_error"),
        ({"name": "x", "permissions": ["scans:run"]}, "validation_error"),
        ({"name": "Bad6", "permissions": ["scans:run"], "extra": 1}, "validation_error"),
    ],
)
def test_malformed_role_definitions_are_422_with_stable_codes(client, admin, body, code):
    reply = _role(client, admin, body)
    assert reply.status == 422, reply.body
    assert _code(reply) == code


def test_duplicate_role_name_is_409(client, admin):
    assert _role(client, admin, {"name": "Dupe", "permissions": ["scans:run"]}).status == 201
    reply = _role(client, admin, {"name": "DUPE", "permissions": ["scans:run"]})
    assert reply.status == 409 and _code(reply) == "role_exists"
    reply = _role(client, admin, {"name": "viewer", "permissions": ["scans:run"]})
    assert reply.status == 409 and _code(reply) == "role_exists"


def test_an_update_that_would_close_a_cycle_is_rejected(client, admin):
    assert _role(client, admin, {"name": "CycA", "permissions": ["scans:run"]}).status == 201
    assert _role(client, admin, {"name": "CycB", "inherits": ["CycA"]}).status == 201
    reply = client.request(
        "PUT", "/api/v1/authz/roles/CycA", token=admin, json_body={"permissions": ["scans:run"], "inherits": ["CycB"]}
    )
    assert reply.status == 422 and _code(reply) == "role_cycle"
    assert reply.json()["error"]["details"]["cycle"] == ["CycA", "CycB", "CycA"]


def test_builtin_roles_cannot_be_changed_or_deleted(client, admin):
    reply = client.request("PUT", "/api/v1/authz/roles/Viewer", token=admin, json_body={"permissions": ["scans:run"]})
    assert reply.status == 409 and _code(reply) == "builtin_role"
    reply = client.request("DELETE", "/api/v1/authz/roles/Admin", token=admin)
    assert reply.status == 409 and _code(reply) == "builtin_role"


def test_a_role_in_use_cannot_be_deleted_until_unused(client, admin, workspace):
    assert _role(client, admin, {"name": "InUse", "permissions": ["scans:run"]}).status == 201
    assigned = client.request(
        "POST",
        "/api/v1/authz/assignments",
        token=admin,
        json_body={"principal_id": "u-inuse", "role": "InUse", "workspace_id": workspace},
    )
    assert assigned.status == 201
    reply = client.request("DELETE", "/api/v1/authz/roles/InUse", token=admin)
    assert reply.status == 409 and _code(reply) == "role_in_use"
    assert client.request("DELETE", f"/api/v1/authz/assignments/{assigned.json()['id']}", token=admin).status == 204
    assert client.request("DELETE", "/api/v1/authz/roles/InUse", token=admin).status == 204
    assert client.request("GET", "/api/v1/authz/roles/InUse", token=admin).status == 404


def test_custom_role_assigned_in_a_workspace_grants_its_permissions_there(client, admin, make_token, workspace):
    assert _role(client, admin, {"name": "WsReader", "permissions": ["workspaces:read"]}).status == 201
    user = make_token("carol", [])
    assert client.request("GET", f"/api/v1/workspaces/{workspace}", token=user).status == 403
    reply = client.request(
        "POST",
        "/api/v1/authz/assignments",
        token=admin,
        json_body={"principal_id": "carol", "role": "WsReader", "workspace_id": workspace},
    )
    assert reply.status == 201
    assert client.request("GET", f"/api/v1/workspaces/{workspace}", token=user).status == 200
    listed = client.request("GET", "/api/v1/workspaces", token=user).json()["items"]
    assert [w["id"] for w in listed] == [workspace]


def test_group_assignment_applies_to_members_of_the_group(client, admin, make_token, workspace):
    reply = client.request(
        "POST",
        "/api/v1/authz/assignments",
        token=admin,
        json_body={
            "principal_id": "grp-analysts",
            "principal_type": "group",
            "role": "Viewer",
            "workspace_id": workspace,
        },
    )
    assert reply.status == 201
    member = make_token("dave", [], groups=["grp-analysts"])
    assert client.request("GET", f"/api/v1/workspaces/{workspace}", token=member).status == 200
    outsider = make_token("erin", [], groups=["grp-other"])
    assert client.request("GET", f"/api/v1/workspaces/{workspace}", token=outsider).status == 403


def test_duplicate_assignment_is_409(client, admin, workspace):
    body = {"principal_id": "frank", "role": "Viewer", "workspace_id": workspace}
    assert client.request("POST", "/api/v1/authz/assignments", token=admin, json_body=body).status == 201
    reply = client.request("POST", "/api/v1/authz/assignments", token=admin, json_body={**body, "role": "viewer"})
    assert reply.status == 409 and _code(reply) == "assignment_exists"


def test_assignment_to_a_missing_workspace_is_404(client, admin):
    body = {"principal_id": "gina", "role": "Viewer", "workspace_id": str(uuid.uuid4())}
    reply = client.request("POST", "/api/v1/authz/assignments", token=admin, json_body=body)
    assert reply.status == 404 and _code(reply) == "workspace_not_found"


def test_assignment_of_an_unknown_role_is_422(client, admin, workspace):
    body = {"principal_id": "gina", "role": "Wizard", "workspace_id": workspace}
    reply = client.request("POST", "/api/v1/authz/assignments", token=admin, json_body=body)
    assert reply.status == 422 and _code(reply) == "unknown_role"


def test_assignment_with_bad_conditions_is_422(client, admin, workspace):
    body = {"principal_id": "gina", "role": "Viewer", "workspace_id": workspace, "conditions": {"regions": ["mars"]}}
    reply = client.request("POST", "/api/v1/authz/assignments", token=admin, json_body=body)
    assert reply.status == 422 and _code(reply) == "validation_error"


def test_owner_cannot_grant_more_than_it_holds(client, make_token):
    owner = make_token("olga", ["WorkspaceOwner"], mfa=True)
    ws = client.request("POST", "/api/v1/workspaces", token=owner, json_body={"name": "Olgas"}).json()["id"]
    owner_here = make_token("olga", [], mfa=True)  # only the stored WorkspaceOwner assignment
    body = {"principal_id": "pete", "role": "Admin", "workspace_id": ws}
    reply = client.request("POST", "/api/v1/authz/assignments", token=owner_here, json_body=body)
    assert reply.status == 403 and _code(reply) == "escalation_denied"
    reply = client.request("POST", "/api/v1/authz/assignments", token=owner_here, json_body={**body, "role": "Viewer"})
    assert reply.status == 201
    global_body = {"principal_id": "pete", "role": "Viewer"}
    reply = client.request("POST", "/api/v1/authz/assignments", token=owner_here, json_body=global_body)
    assert reply.status == 403 and _code(reply) == "forbidden"


def test_sensitive_permissions_need_mfa(client, make_token, workspace):
    no_mfa = make_token("root", ["Admin"], mfa=False)
    reply = client.request(
        "POST", "/api/v1/authz/roles", token=no_mfa, json_body={"name": "NoMfa", "permissions": ["scans:run"]}
    )
    assert reply.status == 403 and _code(reply) == "mfa_required"
    body = {"principal_id": "hank", "role": "Viewer", "workspace_id": workspace}
    reply = client.request("POST", "/api/v1/authz/assignments", token=no_mfa, json_body=body)
    assert reply.status == 403 and _code(reply) == "mfa_required"
    reply = client.request("GET", "/api/v1/audit/export", token=no_mfa)
    assert reply.status == 403 and _code(reply) == "mfa_required"
    # Non-sensitive permissions do not need it.
    assert client.request("GET", "/api/v1/authz/roles", token=no_mfa).status == 200


def test_caller_without_the_permission_gets_forbidden_not_mfa_required(client, make_token):
    viewer = make_token("vic", ["Viewer"], mfa=False)
    reply = client.request("POST", "/api/v1/authz/roles", token=viewer, json_body={"name": "Nope"})
    assert reply.status == 403 and _code(reply) == "forbidden"


def test_app_role_claims_map_to_roles(client, admin, make_token):
    entra_like = make_token("ian", ["DataWave.Readers"])
    assert client.request("GET", "/api/v1/workspaces", token=entra_like).status == 403
    reply = client.request("PUT", "/api/v1/authz/app-roles/DataWave.Readers", token=admin, json_body={"role": "Viewer"})
    assert reply.status == 200 and reply.json()["role"] == "Viewer"
    assert client.request("GET", "/api/v1/workspaces", token=entra_like).status == 200
    assert client.request("DELETE", "/api/v1/authz/app-roles/DataWave.Readers", token=admin).status == 204
    assert client.request("GET", "/api/v1/workspaces", token=entra_like).status == 403


def test_app_role_values_entra_cannot_issue_are_refused(client, admin):
    for value in ["x" * 121, "has%20space"]:
        reply = client.request("PUT", f"/api/v1/authz/app-roles/{value}", token=admin, json_body={"role": "Viewer"})
        assert reply.status == 422 and reply.json()["error"]["code"] == "invalid_app_role", reply.body
    ok = client.request("PUT", f"/api/v1/authz/app-roles/{'R' * 120}", token=admin, json_body={"role": "Viewer"})
    assert ok.status == 200
    stored = {m["app_role"] for m in client.request("GET", "/api/v1/authz/app-roles", token=admin).json()}
    assert "R" * 120 in stored and "x" * 121 not in stored


def test_workspace_scoped_token_roles_hold_only_in_their_workspace(client, admin, make_token, workspace):
    other = client.request("POST", "/api/v1/workspaces", token=admin, json_body={"name": "Authz Other"}).json()["id"]
    scoped = make_token("jill", ["DataSteward"], workspaces=[uuid.UUID(workspace)])
    assert client.request("GET", f"/api/v1/workspaces/{workspace}", token=scoped).status == 200
    assert client.request("GET", f"/api/v1/workspaces/{other}", token=scoped).status == 404


def test_retiring_a_data_source_through_its_lifecycle_needs_the_delete_right_and_mfa(client, admin, make_token):
    """POST .../transitions {"to": "retired"} does what DELETE does (retire, forget the credentials):
    it needs datasources:delete with MFA too, not only the route's datasources:write."""
    ws = client.request("POST", "/api/v1/workspaces", token=admin, json_body={"name": "Retire Rights"}).json()["id"]
    connection = {"kind": "postgresql", "host": "pg.internal", "database": "d", "username": "u"}
    source = client.request(
        "POST", f"/api/v1/workspaces/{ws}/data-sources", token=admin, json_body={"name": "s", "connection": connection}
    ).json()
    url = f"/api/v1/workspaces/{ws}/data-sources/{source['id']}"
    retire = {"to": "retired"}
    engineer = make_token("eddie", ["DataEngineer"], workspaces=[uuid.UUID(ws)], mfa=True)  # write, no delete
    reply = client.request("POST", url + "/transitions", token=engineer, json_body=retire)
    assert reply.status == 403 and _code(reply) == "forbidden"
    no_mfa = make_token("root", ["Admin"], mfa=False)
    reply = client.request("POST", url + "/transitions", token=no_mfa, json_body=retire)
    assert reply.status == 403 and _code(reply) == "mfa_required"
    assert client.request("GET", url, token=admin).json()["state"] == "discovered"
    reply = client.request("POST", url + "/transitions", token=admin, json_body=retire)
    assert reply.status == 200 and reply.json()["state"] == "retired"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/api/v1/authz/assignments", {"principal_id": "a\u0000b", "role": "Viewer"}, "body.principal_id"),
        ("POST", "/api/v1/authz/roles", {"name": "NulRole", "description": "x\u0000", "inherits": ["Viewer"]}, None),
        (
            "POST",
            "/api/v1/authz/explain",
            {"permission": "catalog:read", "principal": {"subject": "s", "groups": ["\u0000"]}},
            "body.principal.groups.0",
        ),
        ("PUT", "/api/v1/authz/app-roles/a%00b", {"role": "Viewer"}, "path.app_role"),
        ("GET", "/api/v1/audit?actor=a%00b", None, "query.actor"),
        ("GET", "/api/v1/authz/assignments?principal_id=%00", None, "query.principal_id"),
    ],
)
def test_nul_characters_in_input_are_422_not_500(client, admin, method, path, body, field):
    """PostgreSQL text cannot hold NUL: the route layer refuses it anywhere in path, query or body."""
    reply = client.request(method, path, token=admin, json_body=body)
    assert reply.status == 422 and _code(reply) == "validation_error", reply.body
    details = reply.json()["error"]["details"]
    assert details[0]["type"] == "nul_character"
    assert field is None or details[0]["field"] == field
    assert "\\u0000" not in reply.body.decode() and "\x00" not in reply.body.decode()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"producer": "p", "schemaURL": "\\ud800"}', "body.schemaURL"),
        (b'{"name": "x \\udfff", "definition": "d"}', "body.name"),
        (b'{"\\ud800": 1}', "body.<key>"),
    ],
)
def test_lone_surrogates_are_422_not_500(client, admin, body, field):
    """JSON can escape an unpaired surrogate; no UTF-8 encoder (PostgreSQL, the audit hash) takes it."""
    workspace = client.request(
        "POST", "/api/v1/workspaces", token=admin, json_body={"name": f"Surrogates {uuid.uuid4().hex[:8]}"}
    ).json()
    for path in (
        f"/api/v1/workspaces/{workspace['id']}/lineage",
        f"/api/v1/workspaces/{workspace['id']}/glossary/terms",
    ):
        reply = client.request("POST", path, token=admin, body=body, headers={"content-type": "application/json"})
        assert reply.status == 422 and _code(reply) == "validation_error", reply.body
        details = reply.json()["error"]["details"]
        assert details[0]["type"] == "lone_surrogate" and details[0]["field"] == field
