"""Compliance persistence: custom policies and versions, evaluations, violations (history, comments),
risk history, consumed events. Reads that start from a caller's request are filtered by its scope."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from core.auth.policy import WorkspaceScope
from core.db.unit_of_work import savepoint

Row = dict[str, Any]

# ``last_seen_at``: the stored value (detection, or a later event-driven run that saw it) or, when
# later, the latest full evaluation of the policy while the violation was open. A full evaluation
# closes every open violation it does not see, so each one run before ``closed_at`` saw it; the run
# that closed it has ``seen_at = closed_at`` (its transaction time) and is not counted.
_VIOLATION_SELECT = """
    SELECT v.id, v.workspace_id, v.policy_ref, v.policy_version, v.title, v.framework, v.severity, v.asset_id,
           v.status, v.assignee, v.due_at, v.detected_at, GREATEST(v.last_seen_at, seen.at) AS last_seen_at,
           v.escalated_at, v.resolution, v.resolved_by, v.resolved_at, v.reason, v.accepted_until, v.approver,
           v.closed_at, a.type AS asset_type, a.namespace || '/' || a.name AS qualified_name,
           (v.closed_at IS NULL AND v.status IN ('detected', 'investigating', 'remediating') AND v.due_at < now())
               AS overdue
      FROM compliance_violations v JOIN catalog_assets a ON a.id = v.asset_id
      LEFT JOIN LATERAL (
          SELECT max(e.seen_at) AS at FROM compliance_evaluations e
           WHERE e.workspace_id = v.workspace_id AND e.policy_ref = v.policy_ref AND NOT e.partial
             AND e.seen_at < COALESCE(v.closed_at, 'infinity')
      ) seen ON true
"""

# Reports list every open violation of a framework (no last_seen_at).
_OPEN_SELECT = """
    SELECT v.id, v.policy_ref, v.title, v.framework, v.severity, v.status, v.asset_id, v.assignee, v.detected_at,
           v.due_at, a.namespace || '/' || a.name AS qualified_name,
           (v.status IN ('detected', 'investigating', 'remediating') AND v.due_at < now()) AS overdue
      FROM compliance_violations v JOIN catalog_assets a ON a.id = v.asset_id
"""


class PolicyNameTaken(Exception):
    pass


class ComplianceRepository:
    def __init__(self, connection: psycopg.Connection) -> None:
        self._conn = connection

    # -- policies -------------------------------------------------------------------------------
    def add_policy(
        self,
        workspace_id: UUID,
        name: str,
        framework: str | None,
        control_id: str | None,
        enabled: bool,
        definition: dict[str, Any],
        actor: str,
    ) -> UUID:
        policy_id = uuid.uuid4()
        try:
            with savepoint(self._conn):
                self._conn.execute(
                    "INSERT INTO compliance_policies (id, workspace_id, name, enabled, framework, control_id,"
                    " created_by) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (policy_id, workspace_id, name, enabled, framework, control_id, actor),
                )
        except psycopg.errors.UniqueViolation:
            raise PolicyNameTaken(name) from None
        self.add_version(policy_id, workspace_id, 1, definition, actor)
        return policy_id

    def add_version(
        self, policy_id: UUID, workspace_id: UUID, version: int, definition: dict[str, Any], actor: str
    ) -> None:
        self._conn.execute(
            "INSERT INTO compliance_policy_versions (policy_id, version, workspace_id, definition, created_by)"
            " VALUES (%s, %s, %s, %s, %s)",
            (policy_id, version, workspace_id, Jsonb(definition), actor),
        )
        self._conn.execute(
            "UPDATE compliance_policies SET latest_version = %s, updated_at = now() WHERE id = %s", (version, policy_id)
        )

    def set_enabled(self, policy_id: UUID, enabled: bool) -> None:
        self._conn.execute(
            "UPDATE compliance_policies SET enabled = %s, updated_at = now() WHERE id = %s", (enabled, policy_id)
        )

    def get_policy(self, scope: WorkspaceScope, policy_id: UUID, *, lock: bool = False) -> Row | None:
        where, params = scope.sql("p.workspace_id")
        return self._conn.execute(
            "SELECT p.*, v.definition FROM compliance_policies p JOIN compliance_policy_versions v"
            " ON v.policy_id = p.id AND v.version = p.latest_version"
            f" WHERE p.id = %(id)s AND {where}" + (" FOR UPDATE OF p" if lock else ""),
            {"id": policy_id, **params},
        ).fetchone()

    def list_policies(self, workspace_id: UUID, *, enabled_only: bool = False) -> list[Row]:
        return self._conn.execute(
            "SELECT p.*, v.definition FROM compliance_policies p JOIN compliance_policy_versions v"
            " ON v.policy_id = p.id AND v.version = p.latest_version"
            " WHERE p.workspace_id = %s AND (NOT %s OR p.enabled) ORDER BY lower(p.name)",
            (workspace_id, enabled_only),
        ).fetchall()

    def versions(self, policy_id: UUID) -> list[Row]:
        return self._conn.execute(
            "SELECT version, definition, created_by, created_at FROM compliance_policy_versions"
            " WHERE policy_id = %s ORDER BY version",
            (policy_id,),
        ).fetchall()

    # -- evaluations ----------------------------------------------------------------------------
    def add_evaluations(
        self,
        workspace_id: UUID,
        run_id: UUID,
        trigger: str,
        partial: bool,
        rows: Sequence[tuple[str, int, int, int, int, int]],
    ) -> None:
        """One evaluation per policy of a run: (policy ref, version, assets evaluated, violating, opened,
        resolved). ``seen_at`` is the run's transaction time."""
        columns = list(zip(*rows, strict=True)) if rows else [[]] * 6
        self._conn.execute(
            "INSERT INTO compliance_evaluations (workspace_id, run_id, trigger, policy_ref, policy_version, partial,"
            " assets_evaluated, violating, opened, resolved)"
            " SELECT %s, %s, %s, ref, version, %s, assets, violating, opened, resolved"
            " FROM unnest(%s::text[], %s::int[], %s::int[], %s::int[], %s::int[], %s::int[])"
            " AS e(ref, version, assets, violating, opened, resolved)",
            (workspace_id, run_id, trigger, partial, *(list(c) for c in columns)),
        )

    def latest_evaluations(self, workspace_id: UUID) -> dict[str, Row]:
        """The latest full (not event-driven partial) evaluation of each policy in the workspace."""
        rows = self._conn.execute(
            "SELECT DISTINCT ON (policy_ref) * FROM compliance_evaluations WHERE workspace_id = %s AND NOT partial"
            " ORDER BY policy_ref, evaluated_at DESC",
            (workspace_id,),
        ).fetchall()
        return {r["policy_ref"]: r for r in rows}

    # -- violations -----------------------------------------------------------------------------
    def get_violation(self, scope: WorkspaceScope, violation_id: UUID, *, lock: bool = False) -> Row | None:
        where, params = scope.sql("v.workspace_id")
        if lock:
            self._conn.execute("SELECT 1 FROM compliance_violations WHERE id = %s FOR UPDATE", (violation_id,))
        return self._conn.execute(
            f"{_VIOLATION_SELECT} WHERE v.id = %(id)s AND {where}", {"id": violation_id, **params}
        ).fetchone()

    def list_violations(
        self, workspace_id: UUID, filters: dict[str, Any], after: list[Any] | None, limit: int
    ) -> list[Row]:
        clauses = ["v.workspace_id = %(ws)s"]
        params: dict[str, Any] = {"ws": workspace_id, "limit": limit}
        for column in ("status", "severity", "policy_ref", "asset_id"):
            if filters.get(column) is not None:
                clauses.append(f"v.{column} = %({column})s")
                params[column] = filters[column]
        if filters.get("open") is not None:
            clauses.append("(v.closed_at IS NULL) = %(open)s")
            params["open"] = filters["open"]
        if after:
            clauses.append("(v.detected_at, v.id) < (%(after_at)s, %(after_id)s)")
            params.update(after_at=after[0], after_id=after[1])
        return self._conn.execute(
            f"{_VIOLATION_SELECT} WHERE {' AND '.join(clauses)} ORDER BY v.detected_at DESC, v.id DESC LIMIT %(limit)s",
            params,
        ).fetchall()

    def open_violations(self, workspace_id: UUID, framework: str | None = None) -> list[Row]:
        return self._conn.execute(
            f"{_OPEN_SELECT} WHERE v.workspace_id = %s AND v.closed_at IS NULL"
            " AND v.status IN ('detected', 'investigating', 'remediating', 'accepted_risk')"
            " AND (%s::text IS NULL OR v.framework = %s) ORDER BY v.severity, v.detected_at",
            (workspace_id, framework, framework),
        ).fetchall()

    def update_violation(self, violation_id: UUID, **fields: Any) -> None:
        sets = ", ".join(f"{name} = %({name})s" for name in fields)
        self._conn.execute(
            f"UPDATE compliance_violations SET {sets} WHERE id = %(violation_id)s",
            {**fields, "violation_id": violation_id},
        )

    def add_event(
        self,
        violation_id: UUID,
        workspace_id: UUID,
        actor: str,
        action: str,
        from_status: str | None,
        to_status: str | None,
        note: str | None,
    ) -> None:
        self._conn.execute(
            "INSERT INTO compliance_violation_events (violation_id, workspace_id, actor, action, from_status,"
            " to_status, note) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (violation_id, workspace_id, actor, action, from_status, to_status, note),
        )

    def events(self, violation_id: UUID) -> list[Row]:
        return self._conn.execute(
            "SELECT at, actor, action, from_status, to_status, note FROM compliance_violation_events"
            " WHERE violation_id = %s ORDER BY id",
            (violation_id,),
        ).fetchall()

    def add_comment(self, violation_id: UUID, workspace_id: UUID, author: str, body: str) -> Row:
        return self._conn.execute(
            "INSERT INTO compliance_violation_comments (id, violation_id, workspace_id, author, body)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING id, author, body, created_at",
            (uuid.uuid4(), violation_id, workspace_id, author, body),
        ).fetchone()

    def comments(self, violation_id: UUID) -> list[Row]:
        return self._conn.execute(
            "SELECT id, author, body, created_at FROM compliance_violation_comments WHERE violation_id = %s"
            " ORDER BY created_at, id",
            (violation_id,),
        ).fetchall()

    # -- risk -----------------------------------------------------------------------------------
    def add_risk(self, workspace_id: UUID, rows: Sequence[tuple[str, UUID, int, dict[str, Any]]], at: datetime) -> None:
        with self._conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO compliance_risk_history (workspace_id, scope, scope_id, score, details, computed_at)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (workspace_id, scope, scope_id, score, Jsonb(details), at)
                    for scope, scope_id, score, details in rows
                ],
            )

    def risk_history(self, workspace_id: UUID, scope: str, scope_id: UUID, limit: int) -> list[Row]:
        return self._conn.execute(
            "SELECT score, details, computed_at FROM compliance_risk_history"
            " WHERE workspace_id = %s AND scope = %s AND scope_id = %s ORDER BY computed_at DESC LIMIT %s",
            (workspace_id, scope, scope_id, limit),
        ).fetchall()
