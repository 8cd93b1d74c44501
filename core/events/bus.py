"""The event-bus port: how core sends messages to queues and topics.

Production: Azure Service Bus (issue 7 adds that adapter). Local mode: ``LocalEventBus`` keeps
messages in PostgreSQL, and devhost delivers them to the app's own Service Bus-triggered functions
with Service Bus semantics (peek-lock, at-least-once, delivery count, dead-lettering).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class BusMessage:
    """One message. ``body`` is bytes (JSON for our events); ``message_id`` makes delivery idempotent."""

    body: bytes
    message_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    subject: str | None = None
    content_type: str | None = "application/json"
    correlation_id: str | None = None
    application_properties: dict[str, Any] = field(default_factory=dict)


class EventBus(Protocol):
    def publish(self, entity: str, messages: list[BusMessage]) -> None:
        """Send ``messages`` to the queue or topic named ``entity`` (all or nothing)."""
        ...
