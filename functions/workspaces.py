"""RBAC and workspaces: workspaces, their members and quotas (roles and assignments: functions/authz.py)."""

from __future__ import annotations

from uuid import UUID

import azure.durable_functions as df

from core.auth.model import Assignment
from core.pagination import Page, PageQuery
from core.workspaces import membership, quotas, service
from core.workspaces.membership import Member, MemberAdd
from core.workspaces.model import Workspace, WorkspaceCreate
from core.workspaces.quotas import Quotas, QuotasSet
from functions.api import Api, RequestContext

bp = df.Blueprint()
api = Api(bp, tag="workspaces")


@api.post("v1/workspaces", permission="workspaces:create", status=201)
def create_workspace(ctx: RequestContext, body: WorkspaceCreate) -> Workspace:
    """Create a workspace; the caller becomes its WorkspaceOwner."""
    return service.create_workspace(ctx.uow, ctx.access, body)


@api.get("v1/workspaces", permission="workspaces:read")
def list_workspaces(ctx: RequestContext, query: PageQuery) -> Page[Workspace]:
    """List the workspaces the caller may read, oldest first."""
    return service.list_workspaces(ctx.uow, ctx.access, query.cursor, query.limit)


@api.get("v1/workspaces/{workspace_id}", permission="workspaces:read")
def get_workspace(ctx: RequestContext, workspace_id: UUID) -> Workspace:
    """One workspace (404 when it does not exist or is not visible to the caller)."""
    return service.get_workspace(ctx.uow, ctx.access, workspace_id)


@api.get("v1/workspaces/{workspace_id}/members", permission="workspaces:read")
def list_members(ctx: RequestContext, workspace_id: UUID) -> list[Member]:
    """Principals holding a role in the workspace, with their roles."""
    return membership.list_members(ctx.uow, ctx.access, workspace_id)


@api.post("v1/workspaces/{workspace_id}/members", permission="workspaces:manage_members", status=201)
def add_member(ctx: RequestContext, workspace_id: UUID, body: MemberAdd) -> Assignment:
    """Give a user or Entra group a role in the workspace."""
    return membership.add_member(ctx.uow, ctx.access, workspace_id, body)


@api.delete("v1/workspaces/{workspace_id}/members/{principal_id}", permission="workspaces:manage_members")
def remove_member(ctx: RequestContext, workspace_id: UUID, principal_id: str) -> None:
    """Remove every role the principal holds in the workspace (never the last owner)."""
    membership.remove_member(ctx.uow, ctx.access, workspace_id, principal_id)


@api.get("v1/workspaces/{workspace_id}/quotas", permission="workspaces:read")
def get_quotas(ctx: RequestContext, workspace_id: UUID) -> Quotas:
    """The workspace's quotas (data sources, concurrent scans)."""
    return quotas.get_quotas(ctx.uow, ctx.access, workspace_id)


@api.put("v1/workspaces/{workspace_id}/quotas", permission="workspaces:manage_quotas")
def set_quotas(ctx: RequestContext, workspace_id: UUID, body: QuotasSet) -> Quotas:
    """Replace the workspace's quotas."""
    return quotas.set_quotas(ctx.uow, ctx.access, workspace_id, body)
