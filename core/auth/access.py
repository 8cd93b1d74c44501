"""Where a principal may do what: the workspace scope of one permission.

Deny by default. The route layer builds an ``Access`` for the route's permission; repositories
filter every query by ``access.scope``, so a resource outside it is simply not found (404), and
services call ``require_workspace`` before writing into a workspace.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from core.auth.principal import Principal
from core.auth.roles import role_grants
from core.errors import NotFound, PermissionDenied

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class WorkspaceScope:
    """A set of workspaces, or all of them."""

    everywhere: bool = False
    ids: frozenset[UUID] = frozenset()

    def allows(self, workspace_id: UUID) -> bool:
        return self.everywhere or workspace_id in self.ids

    @property
    def empty(self) -> bool:
        return not self.everywhere and not self.ids

    def sql(self, column: str) -> tuple[str, dict[str, object]]:
        """A WHERE fragment restricting ``column`` to this scope, with its parameters.

        ``column`` is always a literal from our own code, never caller input.
        """
        if self.everywhere:
            return "TRUE", {}
        return f"{column} = ANY(%(scope_ids)s)", {"scope_ids": list(self.ids)}


@dataclass(frozen=True)
class Membership:
    workspace_id: UUID
    role: str


@dataclass(frozen=True)
class Access:
    """The caller, the permission a route requires, and where the caller holds it."""

    principal: Principal
    permission: str
    scope: WorkspaceScope
    visible: WorkspaceScope

    def require_workspace(self, workspace_id: UUID) -> None:
        """Raise unless the permission holds in ``workspace_id``: 404 when the caller cannot see the
        workspace at all (its existence is not disclosed), 403 when it can see it but lacks the right."""
        if self.scope.allows(workspace_id):
            return
        if self.visible.allows(workspace_id):
            raise PermissionDenied(f"permission {self.permission} is required in this workspace")
        raise NotFound("workspace not found")


def build_access(principal: Principal, permission: str, memberships: Iterable[Membership]) -> Access:
    """Combine global roles, token workspace roles and stored memberships into an ``Access``."""
    memberships = list(memberships)
    if any(role_grants(role, permission) for role in principal.roles):
        scope = WorkspaceScope(everywhere=True)
    else:
        ids = {ws for ws, roles in principal.workspace_roles.items() if any(role_grants(r, permission) for r in roles)}
        ids |= {m.workspace_id for m in memberships if role_grants(m.role, permission)}
        scope = WorkspaceScope(ids=frozenset(ids))
    if principal.roles:
        # A global role of any kind lets the caller see that workspaces exist (so denials are 403).
        visible = WorkspaceScope(everywhere=True)
    else:
        visible = WorkspaceScope(
            ids=frozenset(principal.workspace_roles) | frozenset(m.workspace_id for m in memberships)
        )
    return Access(principal=principal, permission=permission, scope=scope, visible=visible)


def resolve_access(uow: UnitOfWork, principal: Principal, permission: str) -> Access:
    """The caller's ``Access`` for ``permission``, using its stored workspace memberships."""
    return build_access(principal, permission, uow.workspaces.memberships(principal.identities))
