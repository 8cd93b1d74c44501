"""The audit storage port and its PostgreSQL adapter (the default).

A store appends entries to the hash chain of their workspace, serialising appends per chain, and
reads records back. The PostgreSQL store works on the unit of work's connection, so an append joins
the transaction of the change it describes (``transactional``); the Cosmos DB adapter
(``core.audit.cosmos``) cannot, and is written right after the PostgreSQL commit instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import psycopg

from core.audit.chain import GENESIS_HASH, chain_key, seal
from core.audit.model import GLOBAL_CHAIN, AuditEntry, AuditQuery, AuditRecord

_COLUMNS = (
    "id, chain, seq, recorded_at, actor, actor_name, action, target, outcome, status, reason, correlation_id,"
    " client_ip, change_hash, prev_hash, hash"
)


class AuditStore(Protocol):
    transactional: bool

    def append(self, entry: AuditEntry) -> AuditRecord:
        """Add ``entry`` at the end of its workspace's chain."""
        ...

    def search(
        self, chains: list[str] | None, query: AuditQuery, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[AuditRecord]:
        """Records of ``chains`` (None: every chain) matching ``query``, newest first, after the cursor key."""
        ...

    def walk(self, chain: str) -> Iterator[AuditRecord]:
        """Every record of one chain in sequence order."""
        ...

    def head(self, chain: str) -> tuple[int, str] | None:
        """The chain head (last seq and hash), None for a chain never written."""
        ...


def _record(row: dict[str, Any]) -> AuditRecord:
    chain = row.pop("chain")
    return AuditRecord.model_validate({**row, "workspace_id": None if chain == GLOBAL_CHAIN else UUID(chain)})


class PostgresAuditStore:
    transactional = True

    def __init__(self, connection: psycopg.Connection) -> None:
        self._conn = connection

    def append(self, entry: AuditEntry) -> AuditRecord:
        chain = chain_key(entry.workspace_id)
        self._conn.execute(
            "INSERT INTO audit_chain_heads (chain, seq, hash) VALUES (%s, 0, %s) ON CONFLICT DO NOTHING",
            (chain, GENESIS_HASH),
        )
        # The row lock serialises appends to this chain until the surrounding transaction ends.
        head = self._conn.execute(
            "SELECT seq, hash FROM audit_chain_heads WHERE chain = %s FOR UPDATE", (chain,)
        ).fetchone()
        assert head is not None
        record = seal(entry, uuid.uuid4(), head["seq"] + 1, head["hash"])
        self._conn.execute(
            f"INSERT INTO audit_records ({_COLUMNS}) VALUES"
            " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                record.id,
                chain,
                record.seq,
                record.recorded_at,
                record.actor,
                record.actor_name,
                record.action,
                record.target,
                record.outcome.value,
                record.status,
                record.reason,
                record.correlation_id,
                record.client_ip,
                record.change_hash,
                record.prev_hash,
                record.hash,
            ),
        )
        self._conn.execute(
            "UPDATE audit_chain_heads SET seq = %s, hash = %s WHERE chain = %s", (record.seq, record.hash, chain)
        )
        return record

    def search(
        self, chains: list[str] | None, query: AuditQuery, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[AuditRecord]:
        sql = f"SELECT {_COLUMNS} FROM audit_records WHERE TRUE"
        args: dict[str, Any] = {}
        if chains is not None:
            sql += " AND chain = ANY(%(chains)s)"
            args["chains"] = chains
        for name in ("actor", "action", "outcome"):
            value = getattr(query, name)
            if value is not None:
                sql += f" AND {name} = %({name})s"
                args[name] = str(value)
        if query.since is not None:
            sql += " AND recorded_at >= %(since)s"
            args["since"] = query.since
        if query.until is not None:
            sql += " AND recorded_at < %(until)s"
            args["until"] = query.until
        if after is not None:
            sql += " AND (recorded_at, id) < (%(after_ts)s, %(after_id)s)"
            args.update(after_ts=after[0], after_id=after[1])
        sql += " ORDER BY recorded_at DESC, id DESC LIMIT %(limit)s"
        args["limit"] = limit
        return [_record(row) for row in self._conn.execute(sql, args).fetchall()]

    def walk(self, chain: str) -> Iterator[AuditRecord]:
        last = 0
        while True:  # in batches, so a long chain never sits in memory at once
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM audit_records WHERE chain = %s AND seq > %s ORDER BY seq LIMIT 1000",
                (chain, last),
            ).fetchall()
            if not rows:
                return
            for row in rows:
                last = row["seq"]
                yield _record(row)

    def head(self, chain: str) -> tuple[int, str] | None:
        row = self._conn.execute("SELECT seq, hash FROM audit_chain_heads WHERE chain = %s", (chain,)).fetchone()
        return (row["seq"], row["hash"]) if row and row["seq"] > 0 else None
