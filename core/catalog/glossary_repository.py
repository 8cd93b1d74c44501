"""Glossary persistence: terms and their links to assets."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import psycopg
from psycopg import errors
from psycopg.types.json import Jsonb

from core.auth.policy import WorkspaceScope
from core.db.unit_of_work import savepoint
from core.errors import Conflict

Row = dict[str, Any]


class GlossaryRepository:
    def __init__(self, connection: psycopg.Connection) -> None:
        self._conn = connection

    def add(self, workspace_id: UUID, values: dict[str, Any], actor: str) -> Row:
        try:
            with savepoint(self._conn):
                return self._conn.execute(
                    "INSERT INTO glossary_terms (id, workspace_id, name, definition, parent_id, synonyms, owners,"
                    " status, created_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING *",
                    (
                        uuid.uuid4(),
                        workspace_id,
                        values["name"],
                        values["definition"],
                        values["parent_id"],
                        values["synonyms"],
                        Jsonb(values["owners"]),
                        values["status"],
                        actor,
                    ),
                ).fetchone()
        except errors.UniqueViolation:
            raise Conflict(f"a term named {values['name']!r} already exists", code="term_name_taken") from None

    def update(self, term_id: UUID, values: dict[str, Any]) -> Row:
        if "owners" in values:
            values = {**values, "owners": Jsonb(values["owners"])}
        sets = ", ".join(f"{k} = %({k})s" for k in values)
        try:
            with savepoint(self._conn):
                return self._conn.execute(
                    f"UPDATE glossary_terms SET {sets}, updated_at = now() WHERE id = %(term_id)s RETURNING *",
                    {**values, "term_id": term_id},
                ).fetchone()
        except errors.UniqueViolation:
            raise Conflict(f"a term named {values.get('name')!r} already exists", code="term_name_taken") from None

    def get(self, scope: WorkspaceScope, term_id: UUID) -> Row | None:
        where, params = scope.sql("workspace_id")
        return self._conn.execute(
            f"SELECT * FROM glossary_terms WHERE id = %(id)s AND {where}", {"id": term_id, **params}
        ).fetchone()

    def ancestors(self, term_id: UUID) -> list[UUID]:
        rows = self._conn.execute(
            "WITH RECURSIVE up(id, parent_id, n) AS (SELECT id, parent_id, 0 FROM glossary_terms WHERE id = %s"
            " UNION ALL SELECT t.id, t.parent_id, up.n + 1 FROM glossary_terms t JOIN up ON t.id = up.parent_id"
            " WHERE up.n < 100) SELECT id FROM up",
            (term_id,),
        ).fetchall()
        return [r["id"] for r in rows]

    def list(self, workspace_id: UUID, after: str | None, limit: int) -> list[Row]:
        return self._conn.execute(
            "SELECT * FROM glossary_terms WHERE workspace_id = %s AND lower(name) > %s ORDER BY lower(name) LIMIT %s",
            (workspace_id, after or "", limit),
        ).fetchall()

    def link(self, asset_id: UUID, term_id: UUID, workspace_id: UUID, actor: str) -> bool:
        cur = self._conn.execute(
            "INSERT INTO catalog_asset_terms (asset_id, term_id, workspace_id, linked_by) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            (asset_id, term_id, workspace_id, actor),
        )
        return cur.rowcount == 1

    def unlink(self, asset_id: UUID, term_id: UUID) -> bool:
        cur = self._conn.execute(
            "DELETE FROM catalog_asset_terms WHERE asset_id = %s AND term_id = %s", (asset_id, term_id)
        )
        return cur.rowcount == 1

    def linked_assets(self, term_id: UUID) -> list[UUID]:
        rows = self._conn.execute("SELECT asset_id FROM catalog_asset_terms WHERE term_id = %s", (term_id,))
        return [r["asset_id"] for r in rows]
