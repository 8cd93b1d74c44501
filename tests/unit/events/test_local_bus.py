"""The local bus's send side against the real embedded PostgreSQL: a message gets one delivery row per
receiver registered on its entity, written in the sender's transaction."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from core.db.database import Database
from core.events.bus import BusMessage
from core.events.local_bus import LocalEventBus, backfill_deliveries, publish_in
from core.events.subscriptions import like_patterns


@pytest.fixture(scope="module")
def database(database_url):
    db = Database(database_url, max_size=2)
    yield db
    db.close()


def _receiver(
    database_url: str, receiver: str, entity: str, start_after: int = 0, subject_like: list[str] | None = None
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO local_bus_receivers (receiver, entity, start_after, subject_like) VALUES (%s, %s, %s, %s)",
            (receiver, entity, start_after, subject_like),
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


def test_a_filtered_subscription_gets_only_the_subjects_its_rule_admits(database, database_url):
    topic = "t-" + uuid.uuid4().hex[:8]
    compliance = f"{topic}/subscriptions/compliance"
    _receiver(database_url, compliance, topic, subject_like=like_patterns(topic)[compliance])
    _receiver(database_url, f"{topic}/subscriptions/all", topic)
    sent = {
        subject: BusMessage(body=b"{}", subject=subject)
        for subject in (
            "datawave.scan.completed",
            "datawave.classification.suggested",
            "datawave.authz.role.updated",
            "datawave.catalog.asset.created",
            "datawave.scanner.anything",  # the prefix is "datawave.scan." with its dot
            None,  # no subject: sys.Label LIKE ... is not true in Azure either
        )
    }
    LocalEventBus(database).publish(topic, list(sent.values()))
    got = {subject for subject, m in sent.items() if compliance in _deliveries(database_url, m.message_id)}
    assert got == {"datawave.scan.completed", "datawave.classification.suggested", "datawave.authz.role.updated"}
    assert all(f"{topic}/subscriptions/all" in _deliveries(database_url, m.message_id) for m in sent.values())


def test_the_backfill_gives_missing_delivery_rows_by_the_same_rule(database, database_url):
    """Messages without delivery rows (sent before their receivers were registered) get them from the
    backfill, filtered as at send; a second backfill adds nothing."""
    topic = "t-" + uuid.uuid4().hex[:8]
    compliance = f"{topic}/subscriptions/compliance"
    before = [BusMessage(body=b"{}", subject=s) for s in ("datawave.scan.failed", "datawave.catalog.asset.created")]
    LocalEventBus(database).publish(topic, before)  # nobody listens yet: no delivery rows
    _receiver(database_url, compliance, topic, subject_like=like_patterns(topic)[compliance])
    _receiver(database_url, f"{topic}/subscriptions/all", topic)
    assert all(_deliveries(database_url, m.message_id) == [] for m in before)
    for _ in range(2):
        with database.connection() as conn:
            backfill_deliveries(conn, [compliance, f"{topic}/subscriptions/all"])
            conn.commit()
    assert _deliveries(database_url, before[0].message_id) == [f"{topic}/subscriptions/all", compliance]
    assert _deliveries(database_url, before[1].message_id) == [f"{topic}/subscriptions/all"]
