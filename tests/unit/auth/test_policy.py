"""The policy decision point: grants, inheritance, scope, ABAC conditions and explanations."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from core.auth.catalog import RoleCatalog, RoleDefinition
from core.auth.conditions import GrantConditions, ResourceAttributes, Sensitivity
from core.auth.policy import Grant, GrantSource, Rule, StaticDirectory, build_access, decide, token_grants
from core.auth.principal import Principal
from core.auth.roles import BUILTIN_ROLES, KNOWN_PERMISSIONS, SENSITIVE_PERMISSIONS, WILDCARD
from core.errors import NotFound, PermissionDenied

W1, W2, W3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ALICE = Principal("alice")


def _grant(role, workspace=None, **conditions):
    return Grant(role, workspace, GrantSource.ASSIGNMENT, "alice", id="a1", conditions=GrantConditions(**conditions))


def test_builtin_roles_use_only_declared_permissions():
    used = set().union(*BUILTIN_ROLES.values()) - {WILDCARD}
    assert used <= KNOWN_PERMISSIONS
    assert {"authz:assign", "authz:manage_roles", "audit:export", "datasources:delete"} <= SENSITIVE_PERMISSIONS


def test_global_grant_holds_everywhere():
    access = build_access(ALICE, "workspaces:read", [_grant("Viewer")], now=NOW)
    assert access.scope.everywhere


def test_no_grants_means_no_scope():
    assert build_access(ALICE, "workspaces:read", [], now=NOW).scope.empty


def test_workspace_grant_holds_only_there():
    access = build_access(ALICE, "workspaces:read", [_grant("Viewer", W1)], now=NOW)
    assert access.scope.allows(W1) and not access.scope.allows(W2)


def test_token_roles_are_global_and_workspace_token_roles_are_scoped():
    scoped = Principal("a", workspace_roles={W1: frozenset({"Viewer"})})
    assert [(g.role, g.workspace_id) for g in token_grants(scoped)] == [("Viewer", W1)]
    assert [(g.role, g.workspace_id) for g in token_grants(Principal("a", roles=frozenset({"Viewer"})))] == [
        ("Viewer", None)
    ]


def test_app_role_claims_map_to_roles():
    principal = Principal("a", roles=frozenset({"DataWave.Stewards"}))
    grants = token_grants(principal, {"DataWave.Stewards": "DataSteward"})
    assert build_access(principal, "catalog:review", grants, now=NOW).scope.everywhere


def test_unknown_role_grants_nothing():
    access = build_access(ALICE, "workspaces:read", [_grant("Superuser")], now=NOW)
    assert access.scope.empty


def test_custom_role_inherits_permissions_transitively():
    catalog = RoleCatalog(
        {
            "Base": RoleDefinition(frozenset({"scans:run"}), ("Viewer",)),
            "Top": RoleDefinition(frozenset({"catalog:review"}), ("Base",)),
        }
    )
    assert {"scans:run", "catalog:review", "catalog:read"} <= catalog.permissions("Top")
    assert build_access(ALICE, "scans:run", [_grant("Top", W1)], catalog=catalog, now=NOW).scope.ids == {W1}


def test_inheritance_cycles_are_found_and_cut():
    catalog = RoleCatalog(
        {"A": RoleDefinition(frozenset({"scans:run"}), ("B",)), "B": RoleDefinition(frozenset(), ("A",))}
    )
    assert catalog.find_cycle("A") == ["A", "B", "A"]
    assert catalog.permissions("B") == {"scans:run"}  # no infinite recursion


def test_require_workspace_hides_invisible_and_forbids_visible():
    access = build_access(ALICE, "datasources:write", [_grant("Viewer", W1)], now=NOW)
    with pytest.raises(PermissionDenied):
        access.require_workspace(W1)
    with pytest.raises(NotFound):
        access.require_workspace(W2)


def test_scope_sql_filters_by_ids():
    fragment, params = build_access(ALICE, "workspaces:read", [_grant("Viewer", W1)], now=NOW).scope.sql("ws")
    assert fragment == "ws = ANY(%(scope_ids)s)"
    assert params == {"scope_ids": [W1]}


def test_time_bound_grant_holds_only_inside_its_window():
    grant = _grant("Viewer", W1, valid_from=NOW - timedelta(hours=1), valid_until=NOW + timedelta(hours=1))
    assert build_access(ALICE, "workspaces:read", [grant], now=NOW).scope.ids == {W1}
    assert build_access(ALICE, "workspaces:read", [grant], now=NOW + timedelta(hours=2)).scope.empty
    assert build_access(ALICE, "workspaces:read", [grant], now=NOW - timedelta(hours=2)).scope.empty


def test_expired_elevation_grants_nothing():
    grant = Grant("Admin", W1, GrantSource.ELEVATION, "alice", expires_at=NOW)
    assert build_access(ALICE, "workspaces:read", [grant], now=NOW).scope.empty
    assert build_access(ALICE, "workspaces:read", [grant], now=NOW - timedelta(seconds=1)).scope.ids == {W1}


def test_region_condition_limits_a_global_grant_to_workspaces_in_those_regions():
    directory = StaticDirectory({W1: "westeurope", W2: "eastus", W3: "northeurope"})
    grant = _grant("Viewer", regions=["westeurope", "northeurope"])
    access = build_access(ALICE, "workspaces:read", [grant], directory=directory, now=NOW)
    assert access.scope.ids == {W1, W3}


def test_region_condition_on_a_workspace_grant():
    directory = StaticDirectory({W1: "eastus"})
    access = build_access(ALICE, "workspaces:read", [_grant("Viewer", W1, regions=["westeurope"])], directory=directory)
    assert access.scope.empty


def test_clearance_limits_assets_above_it():
    access = build_access(ALICE, "catalog:read", [_grant("Viewer", W1, clearance="Confidential")], now=NOW)
    access.require_resource(W1, ResourceAttributes(sensitivity=Sensitivity.INTERNAL))
    with pytest.raises(PermissionDenied) as denied:
        access.require_resource(W1, ResourceAttributes(sensitivity=Sensitivity.HIGHLY_CONFIDENTIAL))
    assert denied.value.code == "sensitivity_above_clearance"
    assert access.clearance(W1) is Sensitivity.CONFIDENTIAL


def test_an_unrestricted_grant_lifts_the_clearance_limit():
    grants = [_grant("Viewer", W1, clearance="Internal"), _grant("Viewer")]
    assert build_access(ALICE, "catalog:read", grants, now=NOW).clearance(W1) is None


def test_decide_names_the_allowing_grant():
    decision = decide(ALICE, "catalog:read", [_grant("Viewer", W1)], workspace_id=W1, now=NOW)
    assert decision.allowed and decision.decided_by is not None and decision.decided_by.role == "Viewer"


@pytest.mark.parametrize(
    ("grant", "resource", "rule"),
    [
        (_grant("DataEngineer", W2), None, Rule.OTHER_WORKSPACE),
        (_grant("Viewer", W1), None, Rule.PERMISSION_NOT_IN_ROLE),
        (_grant("DataEngineer", W1, regions=["eastus"]), None, Rule.REGION),
        (_grant("DataEngineer", W1, valid_until=NOW - timedelta(minutes=1)), None, Rule.VALIDITY_ENDED),
        (_grant("DataEngineer", W1, valid_from=NOW + timedelta(minutes=1)), None, Rule.NOT_YET_VALID),
        (_grant("DataEngineer", W1, clearance="Public"), Sensitivity.CONFIDENTIAL, Rule.CLEARANCE),
    ],
)
def test_decide_names_the_rule_that_denied(grant, resource, rule):
    decision = decide(
        ALICE,
        "scans:run",
        [grant],
        workspace_id=W1,
        workspace_region="westeurope",
        resource=ResourceAttributes(sensitivity=resource),
        now=NOW,
    )
    assert not decision.allowed
    assert decision.rule is rule


def test_decide_without_grants_is_no_grant():
    assert decide(ALICE, "scans:run", [], workspace_id=W1, now=NOW).rule is Rule.NO_GRANT


def test_decide_requires_mfa_for_sensitive_permissions():
    grants = [_grant("Admin")]
    assert decide(ALICE, "authz:assign", grants, workspace_id=None, now=NOW).rule is Rule.MFA
    with_mfa = Principal("alice", amr=frozenset({"pwd", "mfa"}))
    assert decide(with_mfa, "authz:assign", grants, workspace_id=None, now=NOW).allowed


def test_workspace_grant_does_not_allow_global_actions():
    decision = decide(ALICE, "authz:manage_roles", [_grant("Admin", W1)], workspace_id=None, now=NOW)
    assert decision.rule is Rule.OTHER_WORKSPACE


def test_conditions_reject_unknown_regions_and_inverted_windows():
    with pytest.raises(ValueError):
        GrantConditions(regions=["atlantis"])
    with pytest.raises(ValueError):
        GrantConditions(valid_from=NOW, valid_until=NOW - timedelta(hours=1))
