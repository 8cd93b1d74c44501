import uuid

import pytest

from core.auth.access import Membership, build_access
from core.auth.principal import Principal
from core.errors import NotFound, PermissionDenied

W1, W2 = uuid.uuid4(), uuid.uuid4()


def test_global_role_grants_everywhere():
    access = build_access(Principal("a", roles=frozenset({"Viewer"})), "workspaces:read", [])
    assert access.scope.everywhere


def test_no_roles_means_no_scope():
    access = build_access(Principal("a"), "workspaces:read", [])
    assert access.scope.empty


def test_token_workspace_roles_hold_only_there():
    principal = Principal("a", workspace_roles={W1: frozenset({"Viewer"})})
    access = build_access(principal, "workspaces:read", [])
    assert access.scope.allows(W1) and not access.scope.allows(W2)


def test_memberships_grant_their_role_in_their_workspace():
    access = build_access(Principal("a"), "datasources:write", [Membership(W2, "WorkspaceOwner")])
    assert access.scope.ids == frozenset({W2})


def test_unknown_role_grants_nothing():
    access = build_access(Principal("a", roles=frozenset({"Superuser"})), "workspaces:read", [])
    assert access.scope.empty


def test_require_workspace_hides_invisible_and_forbids_visible():
    principal = Principal("a", workspace_roles={W1: frozenset({"Viewer"})})
    access = build_access(principal, "datasources:write", [])
    with pytest.raises(PermissionDenied):
        access.require_workspace(W1)
    with pytest.raises(NotFound):
        access.require_workspace(W2)


def test_scope_sql_filters_by_ids():
    access = build_access(Principal("a", workspace_roles={W1: frozenset({"Viewer"})}), "workspaces:read", [])
    fragment, params = access.scope.sql("workspace_id")
    assert fragment == "workspace_id = ANY(%(scope_ids)s)"
    assert params == {"scope_ids": [W1]}
