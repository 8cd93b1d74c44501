"""Scan persistence; reads are filtered by the caller's workspace scope."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import errors
from psycopg.types.json import Jsonb

from core.auth.access import WorkspaceScope
from core.db.unit_of_work import savepoint
from core.errors import Conflict

Row = dict[str, Any]


def _as_is(text: str) -> str:
    return text


def _jsonb(value: dict[str, Any] | str) -> Jsonb:
    """A jsonb parameter from a dict, or from JSON text already written (a discovered asset's
    ``model_dump_json``: pydantic writes it several times faster than ``json.dumps(model_dump())``)."""
    return Jsonb(value, dumps=_as_is) if isinstance(value, str) else Jsonb(value)


class ScanRepository:
    def __init__(self, connection: psycopg.Connection) -> None:
        self._conn = connection

    def add(self, row: Row) -> None:
        columns = ", ".join(row)
        values = ", ".join(f"%({k})s" for k in row)
        try:
            with savepoint(self._conn):
                self._conn.execute(f"INSERT INTO scans ({columns}) VALUES ({values})", row)
        except errors.UniqueViolation:
            raise Conflict(
                "a scan of this data source is already queued or running", code="scan_already_running"
            ) from None

    def get(self, scope: WorkspaceScope, scan_id: UUID) -> Row | None:
        where, params = scope.sql("workspace_id")
        return self._conn.execute(
            f"SELECT * FROM scans WHERE id = %(id)s AND {where}", {"id": scan_id, **params}
        ).fetchone()

    def get_for_update(self, scan_id: UUID) -> Row | None:
        """Unscoped: for the scan's own activities, which act on the scan they were started for."""
        return self._conn.execute("SELECT * FROM scans WHERE id = %s FOR UPDATE", (scan_id,)).fetchone()

    def active_for_source_for_update(self, data_source_id: UUID) -> Row | None:
        """The source's queued, running or paused scan, locked (unscoped: for background triggers)."""
        return self._conn.execute(
            "SELECT * FROM scans WHERE data_source_id = %s AND status IN ('queued', 'running', 'paused') FOR UPDATE",
            (data_source_id,),
        ).fetchone()

    def update(self, scan_id: UUID, **fields: Any) -> None:
        if not fields:
            return
        sets = ", ".join(f"{k} = %({k})s" for k in fields)
        values = {k: Jsonb(v) if k == "summary" else v for k, v in fields.items()}
        self._conn.execute(f"UPDATE scans SET {sets} WHERE id = %(scan_id)s", {**values, "scan_id": scan_id})

    def list(
        self,
        scope: WorkspaceScope,
        workspace_id: UUID,
        data_source_id: UUID | None,
        status: str | None,
        before: tuple[datetime, UUID] | None,
        limit: int,
    ) -> list[Row]:
        where, params = scope.sql("workspace_id")
        query = f"SELECT * FROM scans WHERE workspace_id = %(ws)s AND {where}"
        args: dict[str, Any] = {"ws": workspace_id, **params, "limit": limit}
        if data_source_id:
            query += " AND data_source_id = %(ds)s"
            args["ds"] = data_source_id
        if status:
            query += " AND status = %(status)s"
            args["status"] = status
        if before:
            query += " AND (created_at, id) < (%(bt)s, %(bid)s)"
            args.update(bt=before[0], bid=before[1])
        return self._conn.execute(query + " ORDER BY created_at DESC, id DESC LIMIT %(limit)s", args).fetchall()

    def count_active(self, workspace_id: UUID) -> int:
        row = self._conn.execute(
            "SELECT count(*) AS n FROM scans WHERE workspace_id = %s AND status IN ('queued', 'running', 'paused')",
            (workspace_id,),
        ).fetchone()
        return int(row["n"])

    def previous_completed(self, data_source_id: UUID, before: datetime) -> Row | None:
        return self._conn.execute(
            "SELECT * FROM scans WHERE data_source_id = %s AND status = 'completed' AND created_at < %s"
            " ORDER BY created_at DESC LIMIT 1",
            (data_source_id, before),
        ).fetchone()

    # -- per-asset results ----------------------------------------------------------------------
    def add_assets(
        self, scan_id: UUID, workspace_id: UUID, assets: list[tuple[str, str, str | None, str, dict[str, Any] | str]]
    ) -> None:
        """(qualified name, type, fingerprint, status, descriptor: a dict or its JSON text); re-running
        discovery adds nothing twice.
        An asset this scan already recorded whose fingerprint has changed since (a file rewritten while the
        scan ran, found by a later discovery round) is recorded again with the new status and descriptor."""
        with self._conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO scan_assets (scan_id, workspace_id, qualified_name, asset_type, fingerprint, status,"
                " descriptor) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (scan_id, qualified_name) DO UPDATE"
                " SET asset_type = EXCLUDED.asset_type, fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status,"
                " descriptor = EXCLUDED.descriptor, error = NULL, updated_at = now()"
                " WHERE scan_assets.fingerprint IS DISTINCT FROM EXCLUDED.fingerprint",
                [(scan_id, workspace_id, qn, kind, fp, status, _jsonb(d)) for qn, kind, fp, status, d in assets],
            )

    def copy_results(self, scan_id: UUID, previous_scan_id: UUID, names: list[str]) -> None:
        """Skipped (unchanged) assets keep the previous scan's findings, so diffs stay meaningful."""
        self._conn.execute(
            "UPDATE scan_assets s SET classifications = p.classifications, columns = p.columns,"
            " catalog_asset_id = p.catalog_asset_id FROM scan_assets p WHERE s.scan_id = %s AND p.scan_id = %s"
            " AND p.qualified_name = s.qualified_name AND s.qualified_name = ANY(%s)",
            (scan_id, previous_scan_id, names),
        )

    def assets(self, scan_id: UUID, status: str | None = None, names: list[str] | None = None) -> list[Row]:
        """The scan's assets (optionally only those with ``status``, or only the named ones)."""
        query = "SELECT * FROM scan_assets WHERE scan_id = %s"
        args: list[Any] = [scan_id]
        if status:
            query += " AND status = %s"
            args.append(status)
        if names is not None:
            query += " AND qualified_name = ANY(%s)"
            args.append(names)
        return self._conn.execute(query + " ORDER BY qualified_name", args).fetchall()

    def names(self, scan_id: UUID, status: str) -> list[str]:
        """The qualified names of the scan's assets with ``status``, in order (no descriptors read)."""
        rows = self._conn.execute(
            "SELECT qualified_name FROM scan_assets WHERE scan_id = %s AND status = %s ORDER BY qualified_name",
            (scan_id, status),
        ).fetchall()
        return [row["qualified_name"] for row in rows]

    def count_classified(self, scan_id: UUID) -> int:
        """How many of the scan's assets have a column with at least one classification."""
        row = self._conn.execute(
            "SELECT count(*) AS n FROM scan_assets s WHERE scan_id = %s AND EXISTS (SELECT 1 FROM"
            " jsonb_each(s.classifications) c WHERE jsonb_typeof(c.value) = 'array' AND c.value <> '[]'::jsonb)",
            (scan_id,),
        ).fetchone()
        return int(row["n"])

    def record_assets(
        self, scan_id: UUID, done: list[tuple[str, int, dict[str, list[str]], UUID]], failed: dict[str, str]
    ) -> None:
        """Per-asset results in one statement: done (name, columns, classifications, catalog asset id)
        and failed (name → error)."""
        names = [d[0] for d in done] + list(failed)
        if not names:
            return
        self._conn.execute(
            "UPDATE scan_assets s SET status = v.status, error = v.error, columns = coalesce(v.columns, s.columns),"
            " classifications = coalesce(v.classifications, s.classifications),"
            " catalog_asset_id = coalesce(v.catalog_asset_id, s.catalog_asset_id), updated_at = now()"
            " FROM unnest(%s::text[], %s::text[], %s::text[], %s::int[], %s::jsonb[], %s::uuid[])"
            " AS v(qualified_name, status, error, columns, classifications, catalog_asset_id)"
            " WHERE s.scan_id = %s AND s.qualified_name = v.qualified_name",
            (
                names,
                ["done"] * len(done) + ["failed"] * len(failed),
                [None] * len(done) + list(failed.values()),
                [d[1] for d in done] + [None] * len(failed),
                [Jsonb(d[2]) for d in done] + [None] * len(failed),
                [d[3] for d in done] + [None] * len(failed),
                scan_id,
            ),
        )

    def progress(self, scan_id: UUID) -> dict[str, int]:
        rows = self._conn.execute(
            "SELECT status, count(*) AS n FROM scan_assets WHERE scan_id = %s GROUP BY status", (scan_id,)
        ).fetchall()
        counts = {row["status"]: int(row["n"]) for row in rows}
        return {
            "assets_total": sum(counts.values()),
            "assets_done": counts.get("done", 0),
            "assets_failed": counts.get("failed", 0),
            "assets_skipped": counts.get("skipped", 0),
        }
