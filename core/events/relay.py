"""The outbox relay: publishes committed outbox events to the event bus as CloudEvents.

Each run takes the oldest unpublished events (rows locked, so concurrent relays never send the same
event twice at once), publishes them to the events topic with message id = event id and subject =
event type, then marks them published. With the local bus the publish happens in the same
transaction (exactly once); with Service Bus a crash between send and mark re-sends the same message
id, which the topic's duplicate detection and our consumers (idempotent by event id) absorb.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from core.events.bus import BusMessage, EventBus
from core.events.local_bus import LocalEventBus, publish_in
from core.events.outbox import envelope

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

EVENTS_TOPIC = "datawave-events"
BATCH = 200


def relay_once(uow: UnitOfWork, bus: EventBus, *, topic: str = EVENTS_TOPIC, limit: int = BATCH) -> int:
    """Publish up to ``limit`` pending events; returns how many were published."""
    rows = uow.connection.execute(
        "SELECT * FROM outbox_events WHERE published_at IS NULL ORDER BY created_at, id LIMIT %s"
        " FOR UPDATE SKIP LOCKED",
        (limit,),
    ).fetchall()
    if not rows:
        uow.rollback()
        return 0
    messages = [
        BusMessage(
            body=json.dumps(envelope(row), default=str).encode(),
            message_id=str(row["id"]),
            subject=row["type"],
            content_type="application/cloudevents+json",
            application_properties={"workspaceId": str(row["workspace_id"] or "")},
        )
        for row in rows
    ]
    if isinstance(bus, LocalEventBus):
        publish_in(uow.connection, topic, messages)
    else:
        bus.publish(topic, messages)
    uow.outbox.mark_published([row["id"] for row in rows])
    uow.commit()
    return len(rows)


def relay_all(uow: UnitOfWork, bus: EventBus, *, max_batches: int = 50) -> int:
    """Drain the outbox (bounded, so one timer tick never runs for long)."""
    total = 0
    for _ in range(max_batches):
        sent = relay_once(uow, bus)
        total += sent
        if sent < BATCH:
            break
    return total
