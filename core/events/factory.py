"""The event bus the settings select (one process-wide instance)."""

from __future__ import annotations

import threading

from core.db.database import get_database
from core.events.bus import EventBus
from core.settings import EventBusKind, get_settings

_lock = threading.Lock()
_bus: EventBus | None = None


def get_event_bus() -> EventBus:
    global _bus
    with _lock:
        if _bus is None:
            settings = get_settings()
            if settings.event_bus is EventBusKind.SERVICEBUS:
                from core.events.servicebus_bus import ServiceBusEventBus

                assert settings.servicebus_namespace is not None  # the settings model requires it
                _bus = ServiceBusEventBus(settings.servicebus_namespace)
            else:
                from core.events.local_bus import LocalEventBus

                _bus = LocalEventBus(get_database())
        return _bus


def reset_event_bus() -> None:
    global _bus
    with _lock:
        _bus = None
