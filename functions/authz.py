"""RBAC and workspaces: roles, role assignments, app-role mappings, JIT elevation and explain."""

from __future__ import annotations

from uuid import UUID

import azure.durable_functions as df

from core.auth import elevation, service
from core.auth.model import (
    AppRoleMapping,
    AppRoleMappingSet,
    Assignment,
    AssignmentCreate,
    AssignmentQuery,
    Elevation,
    ElevationCreate,
    ElevationDecision,
    ElevationQuery,
    ExplainRequest,
    Explanation,
    Role,
    RoleCreate,
    RoleUpdate,
)
from core.pagination import Page
from functions.api import Api, RequestContext

bp = df.Blueprint()
api = Api(bp, tag="authz")


@api.get("v1/authz/roles", permission="authz:read")
def list_roles(ctx: RequestContext) -> list[Role]:
    """Every role: built-in roles and custom roles, with effective (inherited) permissions."""
    return service.list_roles(ctx.uow, ctx.access)


@api.get("v1/authz/roles/{role_name}", permission="authz:read")
def get_role(ctx: RequestContext, role_name: str) -> Role:
    """One role (404 role_not_found)."""
    return service.get_role(ctx.uow, ctx.access, role_name)


@api.post("v1/authz/roles", permission="authz:manage_roles", status=201)
def create_role(ctx: RequestContext, body: RoleCreate) -> Role:
    """Create a custom role (unknown permissions, unknown parents and cycles are 422)."""
    return service.create_role(ctx.uow, ctx.access, body)


@api.put("v1/authz/roles/{role_name}", permission="authz:manage_roles")
def update_role(ctx: RequestContext, role_name: str, body: RoleUpdate) -> Role:
    """Replace a custom role's permissions and parents."""
    return service.update_role(ctx.uow, ctx.access, role_name, body)


@api.delete("v1/authz/roles/{role_name}", permission="authz:manage_roles")
def delete_role(ctx: RequestContext, role_name: str) -> None:
    """Delete a custom role that nothing refers to (409 role_in_use otherwise)."""
    service.delete_role(ctx.uow, ctx.access, role_name)


@api.get("v1/authz/assignments", permission="authz:read")
def list_assignments(ctx: RequestContext, query: AssignmentQuery) -> Page[Assignment]:
    """Role assignments in the caller's scope (global ones only for global readers)."""
    return service.list_assignments(ctx.uow, ctx.access, query)


@api.post("v1/authz/assignments", permission="authz:assign", status=201)
def create_assignment(ctx: RequestContext, body: AssignmentCreate) -> Assignment:
    """Assign a role to a user or Entra group in a workspace or globally, with optional conditions."""
    return service.create_assignment(ctx.uow, ctx.access, body)


@api.get("v1/authz/assignments/{assignment_id}", permission="authz:read")
def get_assignment(ctx: RequestContext, assignment_id: UUID) -> Assignment:
    """One role assignment."""
    return service.get_assignment(ctx.uow, ctx.access, assignment_id)


@api.delete("v1/authz/assignments/{assignment_id}", permission="authz:assign")
def delete_assignment(ctx: RequestContext, assignment_id: UUID) -> None:
    """Remove a role assignment."""
    service.delete_assignment(ctx.uow, ctx.access, assignment_id)


@api.get("v1/authz/app-roles", permission="authz:read")
def list_app_roles(ctx: RequestContext) -> list[AppRoleMapping]:
    """Entra app-role values and the roles they map to."""
    return service.list_app_roles(ctx.uow, ctx.access)


@api.put("v1/authz/app-roles/{app_role}", permission="authz:manage_roles")
def set_app_role(ctx: RequestContext, app_role: str, body: AppRoleMappingSet) -> AppRoleMapping:
    """Map an Entra app-role value (token `roles` claim) to a role."""
    return service.set_app_role(ctx.uow, ctx.access, app_role, body)


@api.delete("v1/authz/app-roles/{app_role}", permission="authz:manage_roles")
def delete_app_role(ctx: RequestContext, app_role: str) -> None:
    """Remove an app-role mapping."""
    service.delete_app_role(ctx.uow, ctx.access, app_role)


@api.post("v1/authz/explain", permission="authz:explain", audit=False)
def explain(ctx: RequestContext, body: ExplainRequest) -> Explanation:
    """Which grant allows a request, or which rule denies it."""
    return service.explain(ctx.uow, ctx.access, body)


@api.post("v1/authz/elevations", permission="authz:elevate", status=201)
def request_elevation(ctx: RequestContext, body: ElevationCreate) -> Elevation:
    """Request a role for a limited time (just-in-time elevation)."""
    return elevation.request_elevation(ctx.uow, ctx.access, body)


@api.get("v1/authz/elevations", permission="authz:elevate")
def list_elevations(ctx: RequestContext, query: ElevationQuery) -> Page[Elevation]:
    """The caller's own elevation requests and those it may decide."""
    return elevation.list_elevations(ctx.uow, ctx.access, query)


@api.get("v1/authz/elevations/{elevation_id}", permission="authz:elevate")
def get_elevation(ctx: RequestContext, elevation_id: UUID) -> Elevation:
    """One elevation request (own, or one the caller may decide)."""
    return elevation.get_elevation(ctx.uow, ctx.access, elevation_id)


@api.post("v1/authz/elevations/{elevation_id}/approve", permission="authz:approve")
def approve_elevation(ctx: RequestContext, elevation_id: UUID, body: ElevationDecision) -> Elevation:
    """Approve a pending request: the role holds from now for the requested duration."""
    return elevation.decide_elevation(ctx.uow, ctx.access, elevation_id, body, approve=True)


@api.post("v1/authz/elevations/{elevation_id}/deny", permission="authz:approve")
def deny_elevation(ctx: RequestContext, elevation_id: UUID, body: ElevationDecision) -> Elevation:
    """Deny a pending request."""
    return elevation.decide_elevation(ctx.uow, ctx.access, elevation_id, body, approve=False)
