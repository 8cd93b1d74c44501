"""Data-source persistence. Every read is filtered by the caller's workspace scope here."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import errors
from psycopg.types.json import Jsonb
from pydantic import TypeAdapter

from core.auth.policy import WorkspaceScope
from core.datasources.model import Connection, ConnectionTest, DataSource, DataSourceState, Transition
from core.db.unit_of_work import savepoint
from core.errors import Conflict

_CONNECTION: TypeAdapter[Any] = TypeAdapter(Connection)
_COLUMNS = (
    "workspace_id, id, name, description, kind, connection, secret_ref, state, last_test_at, last_test_ok,"
    " last_test_error, last_test_latency_ms, created_by, created_at, updated_by, updated_at, retired_at"
)


class NameTaken(Conflict):
    code = "data_source_name_taken"


def _source(row: dict[str, Any]) -> DataSource:
    last_test = None
    if row["last_test_at"] is not None:
        last_test = ConnectionTest(
            ok=bool(row["last_test_ok"]),
            latency_ms=row["last_test_latency_ms"] or 0.0,
            error=row["last_test_error"],
            message=None,
            tested_at=row["last_test_at"],
        )
    return DataSource(
        id=row["id"],
        workspace_id=row["workspace_id"],
        name=row["name"],
        description=row["description"],
        kind=row["kind"],
        connection=_CONNECTION.validate_python(row["connection"]),
        state=DataSourceState(row["state"]),
        secret_ref=row["secret_ref"],
        has_credentials=row["secret_ref"] is not None,
        last_test=last_test,
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_by=row["updated_by"],
        updated_at=row["updated_at"],
        retired_at=row["retired_at"],
    )


class DataSourceRepository:
    def __init__(self, connection: psycopg.Connection) -> None:
        self._conn = connection

    def add(
        self,
        workspace_id: UUID,
        source_id: UUID,
        name: str,
        description: str,
        connection: Any,
        secret_ref: str | None,
        by: str,
    ) -> None:
        try:
            with savepoint(self._conn):
                self._conn.execute(
                    "INSERT INTO data_sources (workspace_id, id, name, description, kind, connection, secret_ref,"
                    " state, created_by, updated_by) VALUES (%s, %s, %s, %s, %s, %s, %s, 'discovered', %s, %s)",
                    (
                        workspace_id,
                        source_id,
                        name,
                        description,
                        connection.kind,
                        Jsonb(connection.model_dump(mode="json")),
                        secret_ref,
                        by,
                        by,
                    ),
                )
        except errors.UniqueViolation:
            raise NameTaken(f"a data source named {name!r} already exists in this workspace") from None
        self.record_transition(workspace_id, source_id, None, DataSourceState.DISCOVERED, "registered", by)

    def update(
        self, workspace_id: UUID, source_id: UUID, *, name: str, description: str, connection: Any, by: str
    ) -> None:
        try:
            with savepoint(self._conn):
                self._conn.execute(
                    "UPDATE data_sources SET name = %s, description = %s, connection = %s, updated_by = %s,"
                    " updated_at = now() WHERE workspace_id = %s AND id = %s",
                    (name, description, Jsonb(connection.model_dump(mode="json")), by, workspace_id, source_id),
                )
        except errors.UniqueViolation:
            raise NameTaken(f"a data source named {name!r} already exists in this workspace") from None

    def set_secret_ref(self, workspace_id: UUID, source_id: UUID, secret_ref: str | None, by: str) -> None:
        self._conn.execute(
            "UPDATE data_sources SET secret_ref = %s, updated_by = %s, updated_at = now()"
            " WHERE workspace_id = %s AND id = %s",
            (secret_ref, by, workspace_id, source_id),
        )

    def record_test(self, workspace_id: UUID, source_id: UUID, result: ConnectionTest, at: datetime) -> None:
        self._conn.execute(
            "UPDATE data_sources SET last_test_at = %s, last_test_ok = %s, last_test_error = %s,"
            " last_test_latency_ms = %s WHERE workspace_id = %s AND id = %s",
            (at, result.ok, result.error, result.latency_ms, workspace_id, source_id),
        )

    def set_state(
        self,
        workspace_id: UUID,
        source_id: UUID,
        from_state: DataSourceState,
        to_state: DataSourceState,
        reason: str | None,
        by: str,
    ) -> None:
        self._conn.execute(
            "UPDATE data_sources SET state = %s, updated_by = %s, updated_at = now(),"
            " retired_at = CASE WHEN %s = 'retired' THEN now() ELSE NULL END"
            " WHERE workspace_id = %s AND id = %s",
            (to_state.value, by, to_state.value, workspace_id, source_id),
        )
        self.record_transition(workspace_id, source_id, from_state, to_state, reason, by)

    def record_transition(
        self,
        workspace_id: UUID,
        source_id: UUID,
        from_state: DataSourceState | None,
        to_state: DataSourceState,
        reason: str | None,
        by: str,
    ) -> None:
        self._conn.execute(
            "INSERT INTO data_source_transitions (workspace_id, data_source_id, from_state, to_state, reason,"
            " by_principal) VALUES (%s, %s, %s, %s, %s, %s)",
            (workspace_id, source_id, from_state.value if from_state else None, to_state.value, reason, by),
        )

    def get(
        self, scope: WorkspaceScope, workspace_id: UUID, source_id: UUID, *, for_update: bool = False
    ) -> DataSource | None:
        """The source; ``for_update`` locks its row until commit (state changes serialise)."""
        where, params = scope.sql("workspace_id")
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM data_sources WHERE workspace_id = %(ws)s AND id = %(id)s AND {where}"
            + (" FOR UPDATE" if for_update else ""),
            {"ws": workspace_id, "id": source_id, **params},
        ).fetchone()
        return _source(row) if row else None

    def list(
        self,
        scope: WorkspaceScope,
        workspace_id: UUID,
        after: tuple[datetime, UUID] | None,
        limit: int,
        state: str | None = None,
        kind: str | None = None,
    ) -> list[DataSource]:
        where, params = scope.sql("workspace_id")
        query = f"SELECT {_COLUMNS} FROM data_sources WHERE workspace_id = %(ws)s AND {where}"
        args: dict[str, Any] = {"ws": workspace_id, **params, "limit": limit}
        if state is not None:
            query += " AND state = %(state)s"
            args["state"] = state
        if kind is not None:
            query += " AND kind = %(kind)s"
            args["kind"] = kind
        if after is not None:
            query += " AND (created_at, id) > (%(after_at)s, %(after_id)s)"
            args.update(after_at=after[0], after_id=after[1])
        query += " ORDER BY created_at, id LIMIT %(limit)s"
        return [_source(row) for row in self._conn.execute(query, args).fetchall()]

    def storage_sources_for_container(self, container: str) -> list[tuple[UUID, UUID, str]]:
        """(workspace id, source id, prefix) of every live Blob/ADLS source reading ``container``, in
        any workspace: a blob landing there is news for each of them (background use only)."""
        rows = self._conn.execute(
            "SELECT workspace_id, id, COALESCE(connection->>'prefix', '') AS prefix FROM data_sources"
            " WHERE kind IN ('azure_blob', 'adls_gen2') AND connection->>'container' = %s"
            " AND state IN ('validated', 'registered', 'active') ORDER BY created_at",
            (container,),
        ).fetchall()
        return [(row["workspace_id"], row["id"], row["prefix"]) for row in rows]

    def count_live(self, workspace_id: UUID) -> int:
        """Sources that count against the workspace quota (every one not retired)."""
        row = self._conn.execute(
            "SELECT count(*) AS n FROM data_sources WHERE workspace_id = %s AND state <> 'retired'", (workspace_id,)
        ).fetchone()
        return int(row["n"]) if row else 0

    def transitions(self, scope: WorkspaceScope, workspace_id: UUID, source_id: UUID) -> list[Transition]:
        where, params = scope.sql("workspace_id")
        rows = self._conn.execute(
            "SELECT from_state, to_state, reason, by_principal AS by, at FROM data_source_transitions"
            f" WHERE workspace_id = %(ws)s AND data_source_id = %(id)s AND {where} ORDER BY seq",
            {"ws": workspace_id, "id": source_id, **params},
        ).fetchall()
        return [Transition.model_validate(row) for row in rows]
