"""Lineage persistence and graph walks (recursive CTEs over the edge indexes)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg

from core.auth.policy import WorkspaceScope

Row = dict[str, Any]

# Walks deduplicate on (asset, depth) and stop at the depth limit, so cycles end.
_WALK = """
WITH RECURSIVE walk(id, depth) AS (
    SELECT %(root)s::uuid, 0
    UNION
    SELECT e.{next}, w.depth + 1
    FROM walk w JOIN lineage_edges e ON e.{this} = w.id AND e.level = %(level)s
    WHERE w.depth < %(depth)s
)
SELECT id, min(depth) AS depth FROM walk WHERE id <> %(root)s GROUP BY id ORDER BY min(depth), id LIMIT %(limit)s
"""


class LineageRepository:
    def __init__(self, connection: psycopg.Connection) -> None:
        self._conn = connection

    def add_edge(
        self,
        workspace_id: UUID,
        source_id: UUID,
        target_id: UUID,
        level: str,
        *,
        origin: str,
        actor: str,
        blocks_propagation: bool = False,
        job_namespace: str | None = None,
        job_name: str | None = None,
        run_id: str | None = None,
        transformation: str | None = None,
    ) -> tuple[Row, bool]:
        """Insert the edge, or refresh the job/run that last reported it; (row, created)."""
        row = self._conn.execute(
            "INSERT INTO lineage_edges (id, workspace_id, source_id, target_id, level, blocks_propagation, origin,"
            " job_namespace, job_name, run_id, transformation, created_by)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (workspace_id, source_id, target_id) DO UPDATE SET"
            " job_namespace = coalesce(EXCLUDED.job_namespace, lineage_edges.job_namespace),"
            " job_name = coalesce(EXCLUDED.job_name, lineage_edges.job_name),"
            " run_id = coalesce(EXCLUDED.run_id, lineage_edges.run_id),"
            " transformation = coalesce(EXCLUDED.transformation, lineage_edges.transformation)"
            " RETURNING *, (xmax = 0) AS inserted",
            (
                uuid.uuid4(),
                workspace_id,
                source_id,
                target_id,
                level,
                blocks_propagation,
                origin,
                job_namespace,
                job_name,
                run_id,
                transformation,
                actor,
            ),
        ).fetchone()
        assert row is not None
        created = bool(row.pop("inserted"))
        return row, created

    def get_edge(self, scope: WorkspaceScope, edge_id: UUID) -> Row | None:
        where, params = scope.sql("workspace_id")
        return self._conn.execute(
            f"SELECT * FROM lineage_edges WHERE id = %(id)s AND {where} FOR UPDATE", {"id": edge_id, **params}
        ).fetchone()

    def set_blocking(self, edge_id: UUID, blocks: bool) -> Row:
        return self._conn.execute(
            "UPDATE lineage_edges SET blocks_propagation = %s WHERE id = %s RETURNING *", (blocks, edge_id)
        ).fetchone()

    def delete_edge(self, edge_id: UUID) -> None:
        self._conn.execute("DELETE FROM lineage_edges WHERE id = %s", (edge_id,))

    def walk(self, root: UUID, level: str, direction: str, depth: int, limit: int) -> list[Row]:
        """Assets reachable from ``root`` (not included) within ``depth`` hops, nearest first."""
        this, nxt = ("source_id", "target_id") if direction == "downstream" else ("target_id", "source_id")
        return self._conn.execute(
            _WALK.format(this=this, next=nxt),
            {"root": root, "level": level, "depth": depth, "limit": limit},
        ).fetchall()

    def edges_among(self, ids: Sequence[UUID], level: str) -> list[Row]:
        return self._conn.execute(
            "SELECT * FROM lineage_edges WHERE source_id = ANY(%(ids)s) AND target_id = ANY(%(ids)s)"
            " AND level = %(level)s ORDER BY created_at, id",
            {"ids": list(ids), "level": level},
        ).fetchall()

    def origins_upstream_of(self, asset_ids: Sequence[UUID]) -> list[UUID]:
        """Accepted origin classifications on these assets or anywhere upstream of them: the ones
        whose propagation a change at these assets may alter."""
        rows = self._conn.execute(
            """
            WITH RECURSIVE up(id) AS (
                SELECT unnest(%s::uuid[])
                UNION
                SELECT e.source_id FROM up JOIN lineage_edges e ON e.target_id = up.id
            )
            SELECT c.id FROM up JOIN catalog_classifications c ON c.asset_id = up.id
            WHERE c.origin_id IS NULL AND c.status = 'accepted'
            """,
            (list(asset_ids),),
        ).fetchall()
        return [r["id"] for r in rows]
