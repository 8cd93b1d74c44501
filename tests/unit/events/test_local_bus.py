"""The local bus's send side against the real embedded PostgreSQL: a message gets one delivery row per
receiver registered on its entity, written in the sender's transaction."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from core.db.database import Database
from core.events.bus import BusMessage
from core.events.local_bus import LocalEventBus, publish_in


@pytest.fixture(scope="module")
def database(database_url):
    db = Database(database_url, max_size=2)
    yield db
    db.close()


def _receiver(database_url: str, receiver: str, entity: str, start_after: int = 0) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO local_bus_receivers (receiver, entity, start_after) VALUES (%s, %s, %s)",
            (receiver, entity, start_after),
        )


def _deliveries(database_url: str, message_id: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT d.receiver FROM local_bus_deliveries d JOIN local_bus_messages m ON m.id = d.message_pk"
            " WHERE m.message_id = %s ORDER BY d.receiver",
            (message_id,),
        ).fetchall()
    return [r[0] for r in rows]


def test_sending_writes_a_delivery_for_each_receiver_of_the_entity(database, database_url):
    topic = "t-" + uuid.uuid4().hex[:8]
    _receiver(database_url, f"{topic}/subscriptions/a", topic)
    _receiver(database_url, f"{topic}/subscriptions/b", topic)
    _receiver(database_url, "other-queue-" + topic, "other-queue-" + topic)
    first, second = BusMessage(body=b"{}"), BusMessage(body=b"[]")
    LocalEventBus(database).publish(topic, [first, second])
    for message in (first, second):
        assert _deliveries(database_url, message.message_id) == [f"{topic}/subscriptions/a", f"{topic}/subscriptions/b"]


def test_a_subscription_gets_no_delivery_of_a_message_older_than_itself(database, database_url):
    topic = "t-" + uuid.uuid4().hex[:8]
    with psycopg.connect(database_url) as conn:
        newest = conn.execute("SELECT coalesce(max(id), 0) FROM local_bus_messages").fetchone()[0]
    _receiver(database_url, f"{topic}/subscriptions/late", topic, start_after=newest + 1000)
    message = BusMessage(body=b"{}")
    LocalEventBus(database).publish(topic, [message])
    assert _deliveries(database_url, message.message_id) == []


def test_a_resent_message_id_gets_no_second_delivery_and_a_rolled_back_send_leaves_none(database, database_url):
    queue = "q-" + uuid.uuid4().hex[:8]
    _receiver(database_url, queue, queue)
    message = BusMessage(body=b"{}")
    LocalEventBus(database).publish(queue, [message])
    LocalEventBus(database).publish(queue, [message])  # Service Bus duplicate detection
    assert _deliveries(database_url, message.message_id) == [queue]

    lost = BusMessage(body=b"{}")
    with database.connection() as conn:
        publish_in(conn, queue, [lost])
        conn.rollback()  # the change it announced did not commit: neither does the message
    assert _deliveries(database_url, lost.message_id) == []
