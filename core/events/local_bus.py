"""Local-mode event bus: messages are rows in PostgreSQL (``local_bus_messages``), sent in the
caller's transaction when one is given, so a change and the message it announces commit together.
Sending also writes a ``local_bus_deliveries`` row for every receiver (queue or topic subscription)
the local host has registered for the entity whose filter admits the message's subject (a topic
subscription's rule: core/events/subscriptions.py)."""

from __future__ import annotations

import psycopg
from psycopg.types.json import Jsonb

from core.db.database import Database
from core.events.bus import BusMessage

# Whether receiver r gets message m: same entity, sent after the receiver first existed (a subscription
# sees only later messages; a queue starts at 0), and a subject its filter admits (NULL: match-all).
_RECEIVES = (
    "r.entity = m.entity AND m.id > r.start_after AND (r.subject_like IS NULL OR m.subject LIKE ANY (r.subject_like))"
)


class LocalEventBus:
    def __init__(self, database: Database) -> None:
        self._database = database

    def publish(self, entity: str, messages: list[BusMessage]) -> None:
        with self._database.connection() as conn:
            publish_in(conn, entity, messages)
            conn.commit()


def publish_in(conn: psycopg.Connection, entity: str, messages: list[BusMessage]) -> None:
    """Insert ``messages`` for ``entity`` using the caller's connection and transaction.

    A message id that was already sent to the same entity is ignored (Service Bus duplicate detection).
    """
    if not entity or len(entity) > 260:
        raise ValueError("entity must be a queue or topic name of 1-260 characters")
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO local_bus_messages (entity, message_id, subject, content_type, correlation_id,"
            " application_properties, body) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [
                (
                    entity,
                    m.message_id,
                    m.subject,
                    m.content_type,
                    m.correlation_id,
                    Jsonb(m.application_properties),
                    m.body,
                )
                for m in messages
            ],
        )
        # Each receiver already listening on the entity gets its delivery row in the same transaction,
        # so the receiving host only claims ready rows (it backfills rarely, for receivers created
        # while a message was in flight).
        cursor.execute(
            "INSERT INTO local_bus_deliveries (message_pk, receiver)"
            " SELECT m.id, r.receiver FROM local_bus_messages m JOIN local_bus_receivers r"
            f" ON {_RECEIVES} WHERE m.entity = %s AND m.message_id = ANY(%s) ON CONFLICT DO NOTHING",
            (entity, [m.message_id for m in messages]),
        )


def backfill_deliveries(conn: psycopg.Connection, receivers: list[str]) -> None:
    """Give ``receivers`` a delivery row for each message of their entity that has none: one sent to a
    queue before its receiver was registered, or in flight while a subscription was. An anti-join, not
    a moving high-water mark (sequence values commit out of order, a mark would skip some); it reads
    the entities' whole history, so devhost runs it now and then, not at every poll."""
    conn.execute(
        "INSERT INTO local_bus_deliveries (message_pk, receiver)"
        f" SELECT m.id, r.receiver FROM local_bus_receivers r JOIN local_bus_messages m ON {_RECEIVES}"
        " WHERE r.receiver = ANY(%s) AND NOT EXISTS (SELECT 1 FROM local_bus_deliveries d"
        " WHERE d.message_pk = m.id AND d.receiver = r.receiver) ON CONFLICT DO NOTHING",
        (receivers,),
    )
