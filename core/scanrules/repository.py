"""Scan rule-set persistence. Every read is filtered by the caller's workspace scope here."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg import errors
from psycopg.types.json import Jsonb

from core.auth.policy import WorkspaceScope
from core.classification.rule_sets import RuleSetDocument
from core.db.unit_of_work import savepoint
from core.errors import Conflict
from core.scanrules.model import RuleSet, RuleSetVersion, RuleSetVersionSummary

_HEAD = (
    "h.workspace_id, h.id, h.name, h.latest_version, h.created_by, h.created_at, h.updated_by, h.updated_at,"
    " h.retired_by, h.retired_at"
)


def _rule_set(row: dict[str, Any]) -> RuleSet:
    return RuleSet.model_validate(
        {
            **row,
            "status": "retired" if row["retired_at"] is not None else "active",
            "document": RuleSetDocument.model_validate(row["document"]),
        }
    )


class ScanRuleSetRepository:
    def __init__(self, connection: psycopg.Connection) -> None:
        self._conn = connection

    def add(self, workspace_id: UUID, document: RuleSetDocument, by: str) -> None:
        """Insert a new rule set with its version 1 (``document.version`` must be 1)."""
        try:
            with savepoint(self._conn):
                self._conn.execute(
                    "INSERT INTO scan_rule_sets (workspace_id, id, name, latest_version, created_by, updated_by)"
                    " VALUES (%s, %s, %s, %s, %s, %s)",
                    (workspace_id, document.id, document.name, document.version, by, by),
                )
        except errors.UniqueViolation:
            raise Conflict(
                f"a rule set with id {document.id!r} already exists in this workspace (retired ids stay taken)",
                code="rule_set_exists",
            ) from None
        self._insert_version(workspace_id, document, by)

    def add_version(self, workspace_id: UUID, document: RuleSetDocument, by: str) -> None:
        """Append ``document`` (latest + 1) and move the head to it."""
        self._insert_version(workspace_id, document, by)
        self._conn.execute(
            "UPDATE scan_rule_sets SET latest_version = %s, name = %s, updated_by = %s, updated_at = now()"
            " WHERE workspace_id = %s AND id = %s",
            (document.version, document.name, by, workspace_id, document.id),
        )

    def _insert_version(self, workspace_id: UUID, document: RuleSetDocument, by: str) -> None:
        self._conn.execute(
            "INSERT INTO scan_rule_set_versions (workspace_id, rule_set_id, version, document, created_by)"
            " VALUES (%s, %s, %s, %s, %s)",
            (workspace_id, document.id, document.version, Jsonb(document.model_dump(mode="json")), by),
        )

    def retire(self, workspace_id: UUID, rule_set_id: str, by: str) -> None:
        self._conn.execute(
            "UPDATE scan_rule_sets SET retired_at = now(), retired_by = %s, updated_by = %s, updated_at = now()"
            " WHERE workspace_id = %s AND id = %s AND retired_at IS NULL",
            (by, by, workspace_id, rule_set_id),
        )

    def get(
        self, scope: WorkspaceScope, workspace_id: UUID, rule_set_id: str, *, for_update: bool = False
    ) -> RuleSet | None:
        """The rule set's head and latest document; ``for_update`` locks the head until commit."""
        where, params = scope.sql("h.workspace_id")
        row = self._conn.execute(
            f"SELECT {_HEAD}, v.document FROM scan_rule_sets h"
            " JOIN scan_rule_set_versions v ON v.workspace_id = h.workspace_id AND v.rule_set_id = h.id"
            " AND v.version = h.latest_version"
            f" WHERE h.workspace_id = %(ws)s AND h.id = %(id)s AND {where}"
            + (" FOR UPDATE OF h" if for_update else ""),
            {"ws": workspace_id, "id": rule_set_id, **params},
        ).fetchone()
        return _rule_set(row) if row else None

    def list(
        self, scope: WorkspaceScope, workspace_id: UUID, after: str | None, limit: int, include_retired: bool
    ) -> list[RuleSet]:
        where, params = scope.sql("h.workspace_id")
        query = (
            f"SELECT {_HEAD}, v.document FROM scan_rule_sets h"
            " JOIN scan_rule_set_versions v ON v.workspace_id = h.workspace_id AND v.rule_set_id = h.id"
            " AND v.version = h.latest_version"
            f" WHERE h.workspace_id = %(ws)s AND {where}"
        )
        args: dict[str, Any] = {"ws": workspace_id, **params}
        if not include_retired:
            query += " AND h.retired_at IS NULL"
        if after is not None:
            query += " AND h.id > %(after)s"
            args["after"] = after
        query += " ORDER BY h.id LIMIT %(limit)s"
        args["limit"] = limit
        return [_rule_set(row) for row in self._conn.execute(query, args).fetchall()]

    def get_version(
        self, scope: WorkspaceScope, workspace_id: UUID, rule_set_id: str, version: int
    ) -> RuleSetVersion | None:
        where, params = scope.sql("workspace_id")
        row = self._conn.execute(
            "SELECT workspace_id, rule_set_id, version, document, created_by, created_at"
            " FROM scan_rule_set_versions"
            f" WHERE workspace_id = %(ws)s AND rule_set_id = %(id)s AND version = %(version)s AND {where}",
            {"ws": workspace_id, "id": rule_set_id, "version": version, **params},
        ).fetchone()
        return RuleSetVersion.model_validate(row) if row else None

    def list_versions(
        self, scope: WorkspaceScope, workspace_id: UUID, rule_set_id: str, after: int | None, limit: int
    ) -> list[RuleSetVersionSummary]:
        where, params = scope.sql("workspace_id")
        query = (
            "SELECT rule_set_id, version, document->>'name' AS name, created_by, created_at"
            " FROM scan_rule_set_versions"
            f" WHERE workspace_id = %(ws)s AND rule_set_id = %(id)s AND {where}"
        )
        args: dict[str, Any] = {"ws": workspace_id, "id": rule_set_id, **params}
        if after is not None:
            query += " AND version > %(after)s"
            args["after"] = after
        query += " ORDER BY version LIMIT %(limit)s"
        args["limit"] = limit
        return [RuleSetVersionSummary.model_validate(row) for row in self._conn.execute(query, args).fetchall()]
