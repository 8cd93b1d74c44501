"""Workspace persistence. Every read is filtered by the caller's workspace scope here, not in handlers."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import errors

from core.auth.access import Membership, WorkspaceScope
from core.errors import Conflict
from core.workspaces.model import Workspace

_COLUMNS = "id, name, description, region, created_by, created_at, updated_at"


class WorkspaceRepository:
    def __init__(self, connection: psycopg.Connection) -> None:
        self._conn = connection

    def add(self, workspace: Workspace) -> None:
        try:
            with self._conn.transaction():  # savepoint: a conflict leaves the outer transaction usable
                self._conn.execute(
                    f"INSERT INTO workspaces ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (
                        workspace.id,
                        workspace.name,
                        workspace.description,
                        workspace.region,
                        workspace.created_by,
                        workspace.created_at,
                        workspace.updated_at,
                    ),
                )
        except errors.UniqueViolation:
            raise Conflict(
                f"a workspace named {workspace.name!r} already exists", code="workspace_name_taken"
            ) from None

    def add_member(self, workspace_id: UUID, principal_id: str, role: str, added_by: str) -> None:
        self._conn.execute(
            "INSERT INTO workspace_members (workspace_id, principal_id, role, added_by)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (workspace_id, principal_id, role, added_by),
        )

    def get(self, scope: WorkspaceScope, workspace_id: UUID) -> Workspace | None:
        where, params = scope.sql("id")
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM workspaces WHERE id = %(id)s AND {where}",
            {"id": workspace_id, **params},
        ).fetchone()
        return Workspace.model_validate(row) if row else None

    def list(self, scope: WorkspaceScope, after: tuple[datetime, UUID] | None, limit: int) -> list[Workspace]:
        where, params = scope.sql("id")
        query = f"SELECT {_COLUMNS} FROM workspaces WHERE {where}"
        args: dict[str, Any] = dict(params)
        if after is not None:
            query += " AND (created_at, id) > (%(after_ts)s, %(after_id)s)"
            args.update(after_ts=after[0], after_id=after[1])
        query += " ORDER BY created_at, id LIMIT %(limit)s"
        args["limit"] = limit
        return [Workspace.model_validate(row) for row in self._conn.execute(query, args).fetchall()]

    def memberships(self, identities: list[str]) -> list[Membership]:
        rows = self._conn.execute(
            "SELECT workspace_id, role FROM workspace_members WHERE principal_id = ANY(%s)", (identities,)
        ).fetchall()
        return [Membership(workspace_id=row["workspace_id"], role=row["role"]) for row in rows]
