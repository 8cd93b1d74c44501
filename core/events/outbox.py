"""The transactional outbox: domain events written in the same PostgreSQL transaction as the change.

A service calls ``uow.outbox.add(...)`` next to its change; the event commits or rolls back with it.
The relay (scans issue) reads pending rows in ``created_at`` order, publishes ``envelope(row)`` to
Service Bus and sets ``published_at``; consumers deduplicate by the event ``id``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

SPEC_VERSION = "1.0"


def envelope(row: dict[str, Any]) -> dict[str, Any]:
    """The CloudEvents 1.0 JSON envelope of an outbox row."""
    time: datetime = row["created_at"]
    event = {
        "specversion": SPEC_VERSION,
        "id": str(row["id"]),
        "type": row["type"],
        "source": row["source"],
        "time": time.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "data": row["data"],
    }
    if row.get("subject"):
        event["subject"] = row["subject"]
    if row.get("workspace_id"):
        event["workspaceid"] = str(row["workspace_id"])  # CloudEvents extension attribute
    return event


def _dumps_records(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


def _source(event_type: str, workspace_id: UUID | None) -> str:
    group = event_type.split(".")[1] if event_type.count(".") >= 2 else "platform"
    return f"/datawave/workspaces/{workspace_id}/{group}" if workspace_id else f"/datawave/{group}"


class OutboxRepository:
    def __init__(self, connection: psycopg.Connection) -> None:
        self._conn = connection

    def add(self, event_type: str, *, workspace_id: UUID | None, subject: str | None, data: dict[str, Any]) -> UUID:
        """Record one event of ``event_type`` (``datawave.<group>.<event>``) inside the current transaction."""
        event_id = uuid.uuid4()
        self._conn.execute(
            "INSERT INTO outbox_events (id, type, source, subject, workspace_id, data) VALUES (%s, %s, %s, %s, %s, %s)",
            (event_id, event_type, _source(event_type, workspace_id), subject, workspace_id, Jsonb(data)),
        )
        return event_id

    def add_many(self, events: Sequence[tuple[str, UUID | None, str | None, dict[str, Any]]]) -> list[UUID]:
        """``add`` for many (type, workspace id, subject, data) events in one statement, in this order."""
        if not events:
            return []
        ids = [uuid.uuid4() for _ in events]
        records = [
            {
                "id": event_id,
                "type": e[0],
                "source": _source(e[0], e[1]),
                "subject": e[2],
                "workspace_id": e[1],
                "data": e[3],
                "n": n,
            }
            for n, (event_id, e) in enumerate(zip(ids, events, strict=True))
        ]
        self._conn.execute(
            "INSERT INTO outbox_events (id, type, source, subject, workspace_id, data)"
            " SELECT v.id, v.type, v.source, v.subject, v.workspace_id, v.data FROM jsonb_to_recordset(%s)"
            " AS v(id uuid, type text, source text, subject text, workspace_id uuid, data jsonb, n int) ORDER BY v.n",
            (Jsonb(records, dumps=_dumps_records),),
        )
        return ids

    def pending(self, limit: int = 100) -> list[dict[str, Any]]:
        """The oldest unpublished events as CloudEvents envelopes (for the relay and for tests)."""
        rows = self._conn.execute(
            "SELECT * FROM outbox_events WHERE published_at IS NULL ORDER BY created_at, id LIMIT %s", (limit,)
        ).fetchall()
        return [envelope(row) for row in rows]

    def mark_published(self, ids: list[UUID]) -> None:
        self._conn.execute("UPDATE outbox_events SET published_at = now() WHERE id = ANY(%s)", (ids,))
