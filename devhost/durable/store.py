"""PostgreSQL persistence of durable instances, history, inbox and activity work.

Every state change of an orchestration episode happens in one transaction (see ``engine``), so a
killed devhost resumes from the last committed episode: events not yet delivered are still in the
inbox, activities not yet completed are still in the work table.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

TERMINAL = frozenset({"Completed", "Failed", "Terminated"})
ACTIVE = ("Pending", "Running")


class InstanceExists(Exception):
    """An instance with that id exists and is not in a terminal state."""


class DurableStore:
    def __init__(self, hub: str) -> None:
        self.hub = hub

    # -- instances ----------------------------------------------------------------------------
    def create_instance(
        self,
        conn: psycopg.Connection,
        instance_id: str,
        name: str,
        input_json: str | None,
        *,
        execution_id: str,
        parent: tuple[str, int] | None = None,
        start_event: dict[str, Any],
    ) -> None:
        existing = conn.execute(
            "SELECT status FROM devhost_durable_instances WHERE hub=%s AND instance_id=%s FOR UPDATE",
            (self.hub, instance_id),
        ).fetchone()
        if existing is not None:
            if existing["status"] not in TERMINAL:
                raise InstanceExists(instance_id)
            self.delete_instance(conn, instance_id)
        conn.execute(
            "INSERT INTO devhost_durable_instances (hub, instance_id, name, status, input, parent_instance_id,"
            " parent_task_id, execution_id) VALUES (%s, %s, %s, 'Pending', %s, %s, %s, %s)",
            (
                self.hub,
                instance_id,
                name,
                input_json,
                parent[0] if parent else None,
                parent[1] if parent else None,
                execution_id,
            ),
        )
        self.enqueue(conn, instance_id, start_event)

    def get(self, conn: psycopg.Connection, instance_id: str, *, lock: bool = False, skip_locked: bool = False):
        suffix = " FOR UPDATE SKIP LOCKED" if skip_locked else " FOR UPDATE" if lock else ""
        return conn.execute(
            "SELECT * FROM devhost_durable_instances WHERE hub=%s AND instance_id=%s" + suffix,
            (self.hub, instance_id),
        ).fetchone()

    def update(self, conn: psycopg.Connection, instance_id: str, **fields: Any) -> None:
        fields["updated_at"] = datetime.now().astimezone()
        assignments = ", ".join(f"{key} = %({key})s" for key in fields)
        values = {k: Jsonb(v) if k == "engine_state" else v for k, v in fields.items()}
        conn.execute(
            f"UPDATE devhost_durable_instances SET {assignments} WHERE hub=%(hub)s AND instance_id=%(iid)s",
            {**values, "hub": self.hub, "iid": instance_id},
        )

    def list(
        self,
        conn: psycopg.Connection,
        *,
        statuses: list[str] | None,
        created_from: datetime | None,
        created_to: datetime | None,
        prefix: str | None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        query = "SELECT * FROM devhost_durable_instances WHERE hub=%(hub)s"
        args: dict[str, Any] = {"hub": self.hub, "limit": limit}
        if statuses:
            query += " AND status = ANY(%(statuses)s)"
            args["statuses"] = statuses
        if created_from:
            query += " AND created_at >= %(from)s"
            args["from"] = created_from
        if created_to:
            query += " AND created_at <= %(to)s"
            args["to"] = created_to
        if prefix:
            query += " AND instance_id LIKE %(prefix)s"
            args["prefix"] = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query += " ORDER BY created_at, instance_id LIMIT %(limit)s"
        return conn.execute(query, args).fetchall()

    def delete_instance(self, conn: psycopg.Connection, instance_id: str) -> int:
        for table in ("devhost_durable_history", "devhost_durable_inbox", "devhost_durable_work"):
            conn.execute(f"DELETE FROM {table} WHERE hub=%s AND instance_id=%s", (self.hub, instance_id))
        return conn.execute(
            "DELETE FROM devhost_durable_instances WHERE hub=%s AND instance_id=%s", (self.hub, instance_id)
        ).rowcount

    # -- history --------------------------------------------------------------------------------
    def history(self, conn: psycopg.Connection, instance_id: str) -> list[dict[str, Any]]:
        rows = conn.execute(
            "SELECT event FROM devhost_durable_history WHERE hub=%s AND instance_id=%s ORDER BY seq",
            (self.hub, instance_id),
        ).fetchall()
        return [row["event"] for row in rows]

    def append_history(self, conn: psycopg.Connection, instance_id: str, start_seq: int, events: list[dict]) -> None:
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO devhost_durable_history (hub, instance_id, seq, event) VALUES (%s, %s, %s, %s)",
                [(self.hub, instance_id, start_seq + i, Jsonb(e)) for i, e in enumerate(events)],
            )

    def clear_history(self, conn: psycopg.Connection, instance_id: str) -> None:
        conn.execute("DELETE FROM devhost_durable_history WHERE hub=%s AND instance_id=%s", (self.hub, instance_id))

    # -- inbox ----------------------------------------------------------------------------------
    def enqueue(
        self,
        conn: psycopg.Connection,
        instance_id: str,
        event: dict[str, Any],
        *,
        visible_at: datetime | None = None,
        dedupe_key: str | None = None,
    ) -> bool:
        """Queue an event for the instance; False when ``dedupe_key`` was already queued."""
        cursor = conn.execute(
            "INSERT INTO devhost_durable_inbox (hub, instance_id, event, visible_at, dedupe_key)"
            " VALUES (%s, %s, %s, COALESCE(%s, now()), %s) ON CONFLICT DO NOTHING",
            (self.hub, instance_id, Jsonb(event), visible_at, dedupe_key),
        )
        return cursor.rowcount == 1

    def ready_inbox(self, conn: psycopg.Connection, instance_id: str, limit: int) -> list[dict[str, Any]]:
        return conn.execute(
            "SELECT id, event FROM devhost_durable_inbox WHERE hub=%s AND instance_id=%s AND visible_at <= now()"
            " ORDER BY id LIMIT %s",
            (self.hub, instance_id, limit),
        ).fetchall()

    def consume(self, conn: psycopg.Connection, inbox_ids: list[int]) -> None:
        if inbox_ids:
            conn.execute("DELETE FROM devhost_durable_inbox WHERE id = ANY(%s)", (inbox_ids,))

    def ready_instances(self, conn: psycopg.Connection, limit: int) -> list[str]:
        rows = conn.execute(
            "SELECT i.instance_id, min(x.id) AS first FROM devhost_durable_inbox x"
            " JOIN devhost_durable_instances i ON i.hub = x.hub AND i.instance_id = x.instance_id"
            " WHERE x.hub=%s AND x.visible_at <= now() AND i.status = ANY(%s)"
            " GROUP BY i.instance_id ORDER BY first LIMIT %s",
            (self.hub, list(ACTIVE), limit),
        ).fetchall()
        return [row["instance_id"] for row in rows]

    def still_waiting(self, conn: psycopg.Connection, instance_ids: list[str]) -> set[str]:
        """Those of ``instance_ids`` with an activity not yet finished or a sub-orchestration still active."""
        rows = conn.execute(
            "SELECT instance_id FROM devhost_durable_work WHERE hub=%(hub)s AND instance_id = ANY(%(ids)s)"
            " UNION SELECT parent_instance_id FROM devhost_durable_instances WHERE hub=%(hub)s"
            " AND parent_instance_id = ANY(%(ids)s) AND status <> ALL(%(terminal)s)",
            {"hub": self.hub, "ids": instance_ids, "terminal": list(TERMINAL)},
        ).fetchall()
        return {row["instance_id"] for row in rows}

    def next_visible_at(self, conn: psycopg.Connection, exclude: list[str] | None = None) -> datetime | None:
        """When the next inbox event of an active instance (other than those in ``exclude``) is visible."""
        row = conn.execute(
            "SELECT min(x.visible_at) AS at FROM devhost_durable_inbox x JOIN devhost_durable_instances i"
            " ON i.hub = x.hub AND i.instance_id = x.instance_id WHERE x.hub=%s AND i.status = ANY(%s)"
            " AND i.instance_id <> ALL(%s)",
            (self.hub, list(ACTIVE), exclude or []),
        ).fetchone()
        return row["at"] if row else None

    # -- activity work --------------------------------------------------------------------------
    def add_work(self, conn: psycopg.Connection, rows: list[tuple[str, int, str, str | None]]) -> None:
        """Queue activities (instance id, task id, name, input JSON) in one statement."""
        if not rows:
            return
        instance_ids, task_ids, names, inputs = (list(column) for column in zip(*rows, strict=True))
        conn.execute(
            "INSERT INTO devhost_durable_work (hub, instance_id, task_id, name, input)"
            " SELECT %s, * FROM unnest(%s::text[], %s::int[], %s::text[], %s::text[]) ON CONFLICT DO NOTHING",
            (self.hub, instance_ids, task_ids, names, inputs),
        )

    def claim_work(self, conn: psycopg.Connection, owner: str, limit: int) -> list[dict[str, Any]]:
        return conn.execute(
            "UPDATE devhost_durable_work SET claimed_by=%s, claimed_at=now() WHERE id IN ("
            " SELECT id FROM devhost_durable_work WHERE hub=%s AND claimed_by IS NULL ORDER BY id LIMIT %s"
            " FOR UPDATE SKIP LOCKED) RETURNING id, instance_id, task_id, name, input",
            (owner, self.hub, limit),
        ).fetchall()

    def finish_work(self, conn: psycopg.Connection, results: list[tuple[dict[str, Any], dict[str, Any]]]) -> int:
        """Record activity outcomes exactly once: each work row goes and its completion is queued in the
        same transaction; work that is already gone (a second run, a terminated instance) records
        nothing. Returns how many completions were queued."""
        if not results:
            return 0
        rows = conn.execute(
            "DELETE FROM devhost_durable_work WHERE id = ANY(%s) RETURNING id", ([w["id"] for w, _ in results],)
        ).fetchall()
        still_wanted = {row["id"] for row in rows}
        pending = [(w, c) for w, c in results if w["id"] in still_wanted]
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO devhost_durable_inbox (hub, instance_id, event, dedupe_key)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [(self.hub, w["instance_id"], Jsonb(c), f"task:{w['task_id']}") for w, c in pending],
            )
        return len(pending)

    def release_claims(self, conn: psycopg.Connection) -> int:
        """Give back work claimed by a previous (dead) devhost process: it runs again (at least once)."""
        return conn.execute(
            "UPDATE devhost_durable_work SET claimed_by=NULL, claimed_at=NULL WHERE hub=%s AND claimed_by IS NOT NULL",
            (self.hub,),
        ).rowcount

    def drop_work(self, conn: psycopg.Connection, instance_id: str) -> None:
        conn.execute("DELETE FROM devhost_durable_work WHERE hub=%s AND instance_id=%s", (self.hub, instance_id))


def json_or_none(text: str | None) -> Any:
    return None if text is None else json.loads(text)
