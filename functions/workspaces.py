"""RBAC and workspaces: the workspace endpoints."""

from __future__ import annotations

from uuid import UUID

import azure.durable_functions as df

from core.pagination import Page, PageQuery
from core.workspaces import service
from core.workspaces.model import Workspace, WorkspaceCreate
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
