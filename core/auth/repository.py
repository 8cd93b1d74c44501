"""RBAC persistence: custom roles, role assignments, app-role mappings and elevation requests.

Reads of workspace-owned rows (assignments, elevations) are filtered by the caller's scope here;
global rows (workspace_id NULL) are visible only to callers whose scope is everywhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import errors
from psycopg.types.json import Jsonb

from core.auth.catalog import RoleCatalog, RoleDefinition
from core.auth.conditions import GrantConditions
from core.auth.model import AppRoleMapping, Assignment, Elevation, ElevationStatus
from core.auth.policy import Grant, GrantSource, WorkspaceScope
from core.db.unit_of_work import savepoint
from core.errors import Conflict

_ASSIGNMENT = "id, principal_id, principal_type, role, workspace_id, conditions, created_by, created_at"
_ELEVATION = (
    "id, principal_id, role, workspace_id, duration_minutes, reason, status, requested_at, decided_by,"
    " decided_at, decision_reason, expires_at"
)


def _scoped(scope: WorkspaceScope, column: str = "workspace_id") -> tuple[str, dict[str, object]]:
    """Scope filter for tables where NULL means global: global rows only for callers scoped everywhere."""
    return scope.sql(column)  # ``col = ANY(...)`` never matches NULL; TRUE (everywhere) does


def _assignment(row: dict[str, Any]) -> Assignment:
    return Assignment.model_validate({**row, "conditions": GrantConditions.model_validate(row["conditions"] or {})})


def _elevation(row: dict[str, Any], now: datetime) -> Elevation:
    active = row["status"] == ElevationStatus.APPROVED and row["expires_at"] is not None and row["expires_at"] > now
    return Elevation.model_validate({**row, "active": active})


class AuthzRepository:
    def __init__(self, connection: psycopg.Connection) -> None:
        self._conn = connection

    # -- custom roles -------------------------------------------------------------------------
    def custom_roles(self) -> list[dict[str, Any]]:
        return self._conn.execute(
            "SELECT name, description, permissions, inherits, created_by, created_at, updated_at"
            " FROM custom_roles ORDER BY name"
        ).fetchall()

    def role_catalog(self) -> RoleCatalog:
        return RoleCatalog(
            {
                row["name"]: RoleDefinition(frozenset(row["permissions"]), tuple(row["inherits"]))
                for row in self.custom_roles()
            }
        )

    def add_role(self, name: str, description: str, permissions: list[str], inherits: list[str], by: str) -> None:
        try:
            with savepoint(self._conn):
                self._conn.execute(
                    "INSERT INTO custom_roles (name, description, permissions, inherits, created_by)"
                    " VALUES (%s, %s, %s, %s, %s)",
                    (name, description, permissions, inherits, by),
                )
        except errors.UniqueViolation:
            raise Conflict(f"a role named {name!r} already exists", code="role_exists") from None

    def update_role(self, name: str, description: str, permissions: list[str], inherits: list[str]) -> None:
        self._conn.execute(
            "UPDATE custom_roles SET description = %s, permissions = %s, inherits = %s, updated_at = now()"
            " WHERE name = %s",
            (description, permissions, inherits, name),
        )

    def delete_role(self, name: str) -> None:
        self._conn.execute("DELETE FROM custom_roles WHERE name = %s", (name,))

    def lock_roles(self) -> None:
        """Serialise role-definition changes so two concurrent edits cannot close a cycle together."""
        self._conn.execute("LOCK TABLE custom_roles IN SHARE ROW EXCLUSIVE MODE")

    def role_usage(self, name: str) -> list[str]:
        """What still refers to role ``name`` (assignments, elevations, app-role mappings)."""
        row = self._conn.execute(
            "SELECT (SELECT count(*) FROM role_assignments WHERE lower(role) = lower(%(n)s)) AS assignments,"
            " (SELECT count(*) FROM elevation_requests WHERE lower(role) = lower(%(n)s)"
            "   AND (status = 'pending' OR (status = 'approved' AND expires_at > now()))) AS elevations,"
            " (SELECT count(*) FROM app_role_mappings WHERE lower(role) = lower(%(n)s)) AS mappings",
            {"n": name},
        ).fetchone()
        assert row is not None
        return [f"{row[k]} {k}" for k in ("assignments", "elevations", "mappings") if row[k]]

    # -- assignments --------------------------------------------------------------------------
    def add_assignment(self, assignment: Assignment) -> None:
        try:
            with savepoint(self._conn):
                self._conn.execute(
                    f"INSERT INTO role_assignments ({_ASSIGNMENT}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        assignment.id,
                        assignment.principal_id,
                        assignment.principal_type.value,
                        assignment.role,
                        assignment.workspace_id,
                        Jsonb(assignment.conditions.model_dump(mode="json", exclude_none=True)),
                        assignment.created_by,
                        assignment.created_at,
                    ),
                )
        except errors.UniqueViolation:
            raise Conflict(
                f"{assignment.principal_id} already holds {assignment.role} in this scope", code="assignment_exists"
            ) from None

    def get_assignment(self, scope: WorkspaceScope, assignment_id: UUID) -> Assignment | None:
        where, params = _scoped(scope)
        row = self._conn.execute(
            f"SELECT {_ASSIGNMENT} FROM role_assignments WHERE id = %(id)s AND {where}", {"id": assignment_id, **params}
        ).fetchone()
        return _assignment(row) if row else None

    def list_assignments(
        self,
        scope: WorkspaceScope,
        *,
        workspace_id: UUID | None = None,
        principal_id: str | None = None,
        role: str | None = None,
        after: tuple[datetime, UUID] | None = None,
        limit: int = 50,
    ) -> list[Assignment]:
        where, args = _scoped(scope)
        query = f"SELECT {_ASSIGNMENT} FROM role_assignments WHERE {where}"
        args = dict(args)
        if workspace_id is not None:
            query += " AND workspace_id = %(ws)s"
            args["ws"] = workspace_id
        if principal_id is not None:
            query += " AND principal_id = %(pid)s"
            args["pid"] = principal_id
        if role is not None:
            query += " AND lower(role) = lower(%(role)s)"
            args["role"] = role
        if after is not None:
            query += " AND (created_at, id) > (%(after_ts)s, %(after_id)s)"
            args.update(after_ts=after[0], after_id=after[1])
        query += " ORDER BY created_at, id LIMIT %(limit)s"
        args["limit"] = limit
        return [_assignment(row) for row in self._conn.execute(query, args).fetchall()]

    def delete_assignment(self, assignment_id: UUID) -> None:
        self._conn.execute("DELETE FROM role_assignments WHERE id = %s", (assignment_id,))

    def delete_workspace_assignments(self, workspace_id: UUID, principal_id: str) -> list[Assignment]:
        rows = self._conn.execute(
            f"DELETE FROM role_assignments WHERE workspace_id = %s AND principal_id = %s RETURNING {_ASSIGNMENT}",
            (workspace_id, principal_id),
        ).fetchall()
        return [_assignment(row) for row in rows]

    def count_role_holders(self, workspace_id: UUID, role: str) -> int:
        row = self._conn.execute(
            "SELECT count(DISTINCT principal_id) AS n FROM role_assignments WHERE workspace_id = %s AND role = %s",
            (workspace_id, role),
        ).fetchone()
        return int(row["n"]) if row else 0

    def assignment_grants(self, identities: list[str]) -> list[Grant]:
        rows = self._conn.execute(
            f"SELECT {_ASSIGNMENT} FROM role_assignments WHERE principal_id = ANY(%s) ORDER BY created_at, id",
            (identities,),
        ).fetchall()
        return [
            Grant(
                role=row["role"],
                workspace_id=row["workspace_id"],
                source=GrantSource.ASSIGNMENT,
                principal_id=row["principal_id"],
                id=str(row["id"]),
                conditions=GrantConditions.model_validate(row["conditions"] or {}),
            )
            for row in rows
        ]

    # -- app-role mappings --------------------------------------------------------------------
    def app_role_map(self) -> dict[str, str]:
        return {
            row["app_role"]: row["role"] for row in self._conn.execute("SELECT app_role, role FROM app_role_mappings")
        }

    def list_app_roles(self) -> list[AppRoleMapping]:
        rows = self._conn.execute(
            "SELECT app_role, role, created_by, created_at FROM app_role_mappings ORDER BY app_role"
        ).fetchall()
        return [AppRoleMapping.model_validate(row) for row in rows]

    def set_app_role(self, app_role: str, role: str, by: str) -> AppRoleMapping:
        row = self._conn.execute(
            "INSERT INTO app_role_mappings (app_role, role, created_by) VALUES (%s, %s, %s)"
            " ON CONFLICT (app_role) DO UPDATE SET role = EXCLUDED.role, created_by = EXCLUDED.created_by,"
            " created_at = now() RETURNING app_role, role, created_by, created_at",
            (app_role, role, by),
        ).fetchone()
        return AppRoleMapping.model_validate(row)

    def delete_app_role(self, app_role: str) -> bool:
        return self._conn.execute("DELETE FROM app_role_mappings WHERE app_role = %s", (app_role,)).rowcount > 0

    # -- elevation requests -------------------------------------------------------------------
    def add_elevation(self, elevation: Elevation) -> None:
        self._conn.execute(
            f"INSERT INTO elevation_requests ({_ELEVATION}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                elevation.id,
                elevation.principal_id,
                elevation.role,
                elevation.workspace_id,
                elevation.duration_minutes,
                elevation.reason,
                elevation.status.value,
                elevation.requested_at,
                elevation.decided_by,
                elevation.decided_at,
                elevation.decision_reason,
                elevation.expires_at,
            ),
        )

    def get_elevation(
        self,
        scope: WorkspaceScope,
        elevation_id: UUID,
        now: datetime,
        *,
        requester: str | None = None,
        for_update: bool = False,
    ) -> Elevation | None:
        """A request inside ``scope``, or (when ``requester`` is given) one of that principal's own."""
        where, params = _scoped(scope)
        if requester is not None:
            where = f"({where} OR principal_id = %(requester)s)"
            params = {**params, "requester": requester}
        row = self._conn.execute(
            f"SELECT {_ELEVATION} FROM elevation_requests WHERE id = %(id)s AND {where}"
            + (" FOR UPDATE" if for_update else ""),
            {"id": elevation_id, **params},
        ).fetchone()
        return _elevation(row, now) if row else None

    def list_elevations(
        self,
        scope: WorkspaceScope,
        requester: str,
        now: datetime,
        *,
        status: str | None,
        workspace_id: UUID | None,
        after: tuple[datetime, UUID] | None,
        limit: int,
    ) -> list[Elevation]:
        where, args = _scoped(scope)
        query = f"SELECT {_ELEVATION} FROM elevation_requests WHERE ({where} OR principal_id = %(requester)s)"
        args = {**args, "requester": requester}
        if status is not None:
            query += " AND status = %(status)s"
            args["status"] = status
        if workspace_id is not None:
            query += " AND workspace_id = %(ws)s"
            args["ws"] = workspace_id
        if after is not None:
            query += " AND (requested_at, id) > (%(after_ts)s, %(after_id)s)"
            args.update(after_ts=after[0], after_id=after[1])
        query += " ORDER BY requested_at, id LIMIT %(limit)s"
        args["limit"] = limit
        return [_elevation(row, now) for row in self._conn.execute(query, args).fetchall()]

    def decide_elevation(
        self,
        elevation_id: UUID,
        status: ElevationStatus,
        by: str,
        at: datetime,
        reason: str,
        expires_at: datetime | None,
    ) -> None:
        self._conn.execute(
            "UPDATE elevation_requests SET status = %s, decided_by = %s, decided_at = %s, decision_reason = %s,"
            " expires_at = %s WHERE id = %s AND status = 'pending'",
            (status.value, by, at, reason, expires_at, elevation_id),
        )

    def elevation_grants(self, principal_id: str, now: datetime) -> list[Grant]:
        """Approved elevations that have not expired: grants like any other, until ``expires_at``."""
        rows = self._conn.execute(
            "SELECT id, principal_id, role, workspace_id, expires_at FROM elevation_requests"
            " WHERE principal_id = %s AND status = 'approved' AND expires_at > %s",
            (principal_id, now),
        ).fetchall()
        return [
            Grant(
                role=row["role"],
                workspace_id=row["workspace_id"],
                source=GrantSource.ELEVATION,
                principal_id=row["principal_id"],
                id=str(row["id"]),
                expires_at=row["expires_at"],
            )
            for row in rows
        ]
