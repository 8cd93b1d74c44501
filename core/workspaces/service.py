"""Workspace services: create, read and list, always within the caller's access."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from core.auth.access import Access
from core.errors import NotFound
from core.pagination import Page, decode_time_cursor, encode_time_cursor, page_of
from core.workspaces.model import Workspace, WorkspaceCreate

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

# The creator of a workspace owns it.
CREATOR_ROLE = "WorkspaceOwner"


def create_workspace(uow: UnitOfWork, access: Access, command: WorkspaceCreate) -> Workspace:
    """Create a workspace and make its creator a WorkspaceOwner member."""
    now = datetime.now(UTC)
    workspace = Workspace(
        id=uuid.uuid4(),
        name=command.name,
        description=command.description,
        region=command.region,
        created_by=access.principal.subject,
        created_at=now,
        updated_at=now,
    )
    uow.workspaces.add(workspace)
    uow.workspaces.add_member(workspace.id, access.principal.subject, CREATOR_ROLE, access.principal.subject)
    uow.audit_note.workspace_id = workspace.id
    uow.audit_note.target = f"workspaces/{workspace.id}"
    uow.commit()
    return workspace


def get_workspace(uow: UnitOfWork, access: Access, workspace_id: UUID) -> Workspace:
    workspace = uow.workspaces.get(access.scope, workspace_id)
    if workspace is None:
        access.require_workspace(workspace_id)  # 403 when visible but not readable
        raise NotFound("workspace not found")
    return workspace


def list_workspaces(uow: UnitOfWork, access: Access, cursor: str | None, limit: int) -> Page[Workspace]:
    after = decode_time_cursor(cursor)
    items = uow.workspaces.list(access.scope, after, limit + 1)
    items, next_cursor = page_of(items, limit, lambda w: encode_time_cursor(w.created_at, w.id))
    return Page[Workspace](items=items, next_cursor=next_cursor)
