"""The permission catalogue and the built-in roles.

Permissions are ``resource:action`` strings. Every permission the platform knows is declared in
``PERMISSIONS`` (custom roles may only use these); the ones marked sensitive there need MFA evidence
in the token (``amr`` contains ``mfa``), which the route layer enforces for every route that
requires them. Built-in roles are fixed permission sets; custom roles (stored, see
``core.auth.catalog``) combine permissions and inherit from built-in or other custom roles.
"""

from __future__ import annotations

from dataclasses import dataclass

WILDCARD = "*"


@dataclass(frozen=True)
class PermissionInfo:
    description: str
    sensitive: bool = False


PERMISSIONS: dict[str, PermissionInfo] = {
    "workspaces:read": PermissionInfo("See workspaces, their members and quotas"),
    "workspaces:create": PermissionInfo("Create workspaces"),
    "workspaces:update": PermissionInfo("Change a workspace's name or description"),
    "workspaces:manage_members": PermissionInfo("Add or remove workspace members", sensitive=True),
    "workspaces:manage_quotas": PermissionInfo("Change a workspace's quotas"),
    "datasources:read": PermissionInfo("See data sources"),
    "datasources:write": PermissionInfo("Register and change data sources"),
    "datasources:credentials": PermissionInfo("Set or rotate data-source credentials", sensitive=True),
    "datasources:delete": PermissionInfo("Delete data sources", sensitive=True),
    "scanrules:read": PermissionInfo("See scan rule sets"),
    "scanrules:write": PermissionInfo("Change scan rule sets"),
    "classifications:read": PermissionInfo("See classifications"),
    "classifications:classify": PermissionInfo("Classify inline sampled values (POST /classify)"),
    "catalog:read": PermissionInfo("See catalog assets"),
    "catalog:write": PermissionInfo("Change catalog assets"),
    "catalog:review": PermissionInfo("Accept or reject suggested classifications"),
    "catalog:delete": PermissionInfo("Delete catalog assets", sensitive=True),
    "lineage:read": PermissionInfo("See lineage"),
    "lineage:write": PermissionInfo("Record lineage"),
    "scans:read": PermissionInfo("See scans"),
    "scans:run": PermissionInfo("Start, pause, resume and cancel scans"),
    "compliance:read": PermissionInfo("See policies, violations and reports"),
    "compliance:write": PermissionInfo("Change policies and violations"),
    "compliance:review": PermissionInfo("Resolve or waive violations"),
    "workflows:read": PermissionInfo("See workflows"),
    "workflows:write": PermissionInfo("Change workflows"),
    "workflows:run": PermissionInfo("Run workflows"),
    "audit:read": PermissionInfo("Read and verify the audit trail"),
    "audit:export": PermissionInfo("Export the audit trail", sensitive=True),
    "authz:read": PermissionInfo("See roles, assignments and other principals' decisions"),
    "authz:explain": PermissionInfo("Ask why the caller itself is allowed or denied"),
    "authz:manage_roles": PermissionInfo(
        "Create, change and delete custom roles and app-role mappings", sensitive=True
    ),
    "authz:assign": PermissionInfo("Create and delete role assignments", sensitive=True),
    "authz:elevate": PermissionInfo("Request just-in-time elevation to a role"),
    "authz:approve": PermissionInfo("Approve or deny other principals' elevation requests", sensitive=True),
}

KNOWN_PERMISSIONS: frozenset[str] = frozenset(PERMISSIONS)
SENSITIVE_PERMISSIONS: frozenset[str] = frozenset(name for name, info in PERMISSIONS.items() if info.sensitive)

# Every built-in role may ask why it is denied and may request elevation.
_SELF_SERVICE = frozenset({"authz:explain", "authz:elevate"})
_READ_ALL = _SELF_SERVICE | {
    "workspaces:read",
    "datasources:read",
    "scanrules:read",
    "classifications:read",
    "catalog:read",
    "lineage:read",
    "scans:read",
    "compliance:read",
    "workflows:read",
}

BUILTIN_ROLES: dict[str, frozenset[str]] = {
    "Admin": frozenset({WILDCARD}),
    "WorkspaceOwner": _READ_ALL
    | {
        "workspaces:create",
        "workspaces:update",
        "workspaces:manage_members",
        "datasources:write",
        "datasources:credentials",
        "datasources:delete",
        "scanrules:write",
        "classifications:classify",
        "catalog:write",
        "catalog:delete",
        "lineage:write",
        "scans:run",
        "compliance:write",
        "workflows:write",
        "workflows:run",
        "audit:read",
        "authz:read",
        "authz:assign",
        "authz:approve",
    },
    "DataSteward": _READ_ALL
    | {"catalog:write", "catalog:review", "lineage:write", "scanrules:write", "classifications:classify"},
    "DataEngineer": _READ_ALL
    | {
        "datasources:write",
        "datasources:credentials",
        "scans:run",
        "classifications:classify",
        "lineage:write",
        "workflows:write",
        "workflows:run",
    },
    "ComplianceOfficer": _READ_ALL | {"compliance:write", "compliance:review", "audit:read", "authz:read"},
    "BusinessAnalyst": _SELF_SERVICE | {"workspaces:read", "catalog:read", "lineage:read", "classifications:read"},
    "Auditor": _READ_ALL | {"audit:read", "audit:export", "authz:read"},
    "Viewer": _SELF_SERVICE | {"workspaces:read", "catalog:read", "lineage:read"},
}


def is_sensitive(permission: str | None) -> bool:
    """True when ``permission`` needs MFA evidence in the caller's token."""
    return permission in SENSITIVE_PERMISSIONS


def role_grants(role: str, permission: str) -> bool:
    """True when the built-in ``role`` carries ``permission``; unknown roles grant nothing.
    (Custom roles and inheritance: ``core.auth.catalog.RoleCatalog``.)"""
    permissions = BUILTIN_ROLES.get(role)
    if permissions is None:
        return False
    return WILDCARD in permissions or permission in permissions
