"""Workspace persistence. Every read is filtered by the caller's workspace scope here, not in handlers."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import errors

from core.auth.policy import WorkspaceScope
from core.db.unit_of_work import savepoint
from core.errors import Conflict
from core.workspaces.model import Workspace

_COLUMNS = "id, name, description, region, created_by, created_at, updated_at"


class WorkspaceRepository:
    def __init__(self, connection: psycopg.Connection) -> None:
        self._conn = connection

    def add(self, workspace: Workspace) -> None:
        try:
            with savepoint(self._conn):
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
        """Give ``principal_id`` (a user) ``role`` in the workspace: a workspace-scoped role assignment."""
        self._conn.execute(
            "INSERT INTO role_assignments (id, principal_id, principal_type, role, workspace_id, created_by)"
            " VALUES (gen_random_uuid(), %s, 'user', %s, %s, %s) ON CONFLICT DO NOTHING",
            (principal_id, role, workspace_id, added_by),
        )

    def exists(self, workspace_id: UUID) -> bool:
        """Whether the workspace exists at all (callers must not disclose this beyond the caller's scope)."""
        return self._conn.execute("SELECT 1 FROM workspaces WHERE id = %s", (workspace_id,)).fetchone() is not None

    # WorkspaceDirectory (core.auth.policy): regions for data-residency conditions.
    def regions(self, ids: Collection[UUID]) -> dict[UUID, str]:
        rows = self._conn.execute("SELECT id, region FROM workspaces WHERE id = ANY(%s)", (list(ids),)).fetchall()
        return {row["id"]: row["region"] for row in rows}

    def in_regions(self, regions: Collection[str]) -> set[UUID]:
        rows = self._conn.execute("SELECT id FROM workspaces WHERE region = ANY(%s)", (list(regions),)).fetchall()
        return {row["id"] for row in rows}

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
