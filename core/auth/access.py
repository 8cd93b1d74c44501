"""Where a principal may do what: the route layer's entry into the policy decision point.

Deny by default. The route layer resolves an ``Access`` for the route's permission; repositories
filter every query by ``access.scope``, so a resource outside it is simply not found (404), and
services call ``require_workspace`` before writing into a workspace. The decision itself lives in
``core.auth.policy``; this module gathers its inputs from the unit of work.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from core.auth.catalog import RoleCatalog
from core.auth.policy import Access, Grant, WorkspaceScope, build_access, token_grants
from core.auth.principal import Principal
from core.auth.roles import is_sensitive
from core.errors import PermissionDenied

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

__all__ = [
    "Access",
    "WorkspaceScope",
    "build_access",
    "principal_grants",
    "require_mfa",
    "require_permission",
    "resolve_access",
]


def principal_grants(uow: UnitOfWork, principal: Principal, now: datetime) -> tuple[list[Grant], RoleCatalog]:
    """Every grant the principal holds (token roles, stored assignments of the user and its groups,
    active elevations) and the role catalogue to read them with."""
    grants = token_grants(principal, uow.authz.app_role_map())
    grants += uow.authz.assignment_grants(principal.identities)
    grants += uow.authz.elevation_grants(principal.subject, now)
    return grants, uow.authz.role_catalog()


def resolve_access(uow: UnitOfWork, principal: Principal, permission: str) -> Access:
    """The caller's ``Access`` for ``permission``, decided now."""
    now = datetime.now(UTC)
    grants, catalog = principal_grants(uow, principal, now)
    return build_access(principal, permission, grants, catalog=catalog, directory=uow.workspaces, now=now)


def require_mfa(principal: Principal, permission: str) -> None:
    """403 ``mfa_required`` when ``permission`` is sensitive and the token carries no MFA evidence."""
    if is_sensitive(permission) and not principal.has_mfa:
        raise PermissionDenied(
            f"{permission} is sensitive: sign in with multi-factor authentication", code="mfa_required"
        )


def require_permission(uow: UnitOfWork, access: Access, permission: str, workspace_id: UUID) -> None:
    """An action inside a route that needs a second permission (credentials riding along a
    registration, retiring a source through its lifecycle) gets the route layer's checks for it:
    the permission in ``workspace_id`` (403 ``forbidden``), then MFA when it is sensitive."""
    if access.permission != permission:
        held = resolve_access(uow, access.principal, permission)
        if not held.scope.allows(workspace_id):
            raise PermissionDenied(f"permission {permission} is required in this workspace")
    require_mfa(access.principal, permission)
