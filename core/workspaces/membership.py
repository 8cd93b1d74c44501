"""Workspace membership: a principal is a member of a workspace while it holds a role assignment
there. These services are the workspace-centred view of ``core.auth`` role assignments."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from core.auth import service as authz
from core.auth.conditions import GrantConditions
from core.auth.model import ROLE_NAME, Assignment, AssignmentCreate, PrincipalType
from core.auth.policy import Access
from core.errors import Conflict, NotFound

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

OWNER_ROLE = "WorkspaceOwner"


class MemberAdd(BaseModel):
    """Add a user or an Entra group to the workspace with a role."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"principal_id": "bob", "principal_type": "user", "role": "DataSteward"}]},
    )

    principal_id: str = Field(min_length=1, max_length=200)
    principal_type: PrincipalType = PrincipalType.USER
    role: str = Field(pattern=ROLE_NAME)
    conditions: GrantConditions = Field(default_factory=GrantConditions)


class Member(BaseModel):
    principal_id: str
    principal_type: PrincipalType
    roles: list[str]
    assignment_ids: list[UUID]


def _visible_workspace(uow: UnitOfWork, access: Access, workspace_id: UUID) -> None:
    if uow.workspaces.get(access.visible, workspace_id) is None:
        raise NotFound("workspace not found", code="workspace_not_found")
    access.require_workspace(workspace_id)


def list_members(uow: UnitOfWork, access: Access, workspace_id: UUID) -> list[Member]:
    """Every principal holding a role in the workspace, with its roles."""
    _visible_workspace(uow, access, workspace_id)
    grouped: dict[tuple[str, PrincipalType], list[Assignment]] = defaultdict(list)
    after = None
    while True:
        page = uow.authz.list_assignments(access.scope, workspace_id=workspace_id, after=after, limit=500)
        for assignment in page:
            grouped[(assignment.principal_id, assignment.principal_type)].append(assignment)
        if len(page) < 500:
            break
        after = (page[-1].created_at, page[-1].id)
    return [
        Member(
            principal_id=pid,
            principal_type=ptype,
            roles=sorted(a.role for a in items),
            assignment_ids=[a.id for a in items],
        )
        for (pid, ptype), items in sorted(grouped.items())
    ]


def add_member(uow: UnitOfWork, access: Access, workspace_id: UUID, command: MemberAdd) -> Assignment:
    """Give a principal a role in the workspace (a workspace-scoped role assignment)."""
    _visible_workspace(uow, access, workspace_id)
    return authz.create_assignment(
        uow,
        access,
        AssignmentCreate(
            principal_id=command.principal_id,
            principal_type=command.principal_type,
            role=command.role,
            workspace_id=workspace_id,
            conditions=command.conditions,
        ),
    )


def remove_member(uow: UnitOfWork, access: Access, workspace_id: UUID, principal_id: str) -> None:
    """Remove every role the principal holds in the workspace; the last owner cannot be removed."""
    _visible_workspace(uow, access, workspace_id)
    owners_before = uow.authz.count_role_holders(workspace_id, OWNER_ROLE)
    removed = uow.authz.delete_workspace_assignments(workspace_id, principal_id)
    if not removed:
        raise NotFound(f"{principal_id} is not a member of this workspace", code="member_not_found")
    if owners_before and not uow.authz.count_role_holders(workspace_id, OWNER_ROLE):
        raise Conflict("a workspace needs at least one WorkspaceOwner", code="last_owner")
    uow.audit_note.workspace_id = workspace_id
    uow.audit_note.target = f"workspaces/{workspace_id}/members/{principal_id}"
    uow.audit_note.change = {"removed": [a.model_dump(mode="json") for a in removed]}
    uow.commit()
