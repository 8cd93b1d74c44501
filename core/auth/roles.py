"""Built-in roles as permission sets (``resource:action``).

This is the foundation's table; custom roles, inheritance and ABAC come with the RBAC issue and
build on the same names.
"""

from __future__ import annotations

WILDCARD = "*"

_READ_ALL = frozenset(
    {
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
)

BUILTIN_ROLES: dict[str, frozenset[str]] = {
    "Admin": frozenset({WILDCARD}),
    "WorkspaceOwner": _READ_ALL
    | {
        "workspaces:create",
        "workspaces:update",
        "workspaces:manage_members",
        "datasources:write",
        "scanrules:write",
        "catalog:write",
        "lineage:write",
        "scans:run",
        "compliance:write",
        "workflows:write",
        "workflows:run",
        "audit:read",
    },
    "DataSteward": _READ_ALL | {"catalog:write", "catalog:review", "lineage:write", "scanrules:write"},
    "DataEngineer": _READ_ALL | {"datasources:write", "scans:run", "lineage:write", "workflows:write", "workflows:run"},
    "ComplianceOfficer": _READ_ALL | {"compliance:write", "compliance:review", "audit:read"},
    "BusinessAnalyst": frozenset({"workspaces:read", "catalog:read", "lineage:read", "classifications:read"}),
    "Auditor": _READ_ALL | {"audit:read", "audit:export"},
    "Viewer": frozenset({"workspaces:read", "catalog:read", "lineage:read"}),
}

KNOWN_PERMISSIONS: frozenset[str] = frozenset().union(*BUILTIN_ROLES.values()) - {WILDCARD}


def role_grants(role: str, permission: str) -> bool:
    """True when the built-in ``role`` carries ``permission``; unknown roles grant nothing."""
    permissions = BUILTIN_ROLES.get(role)
    if permissions is None:
        return False
    return WILDCARD in permissions or permission in permissions
