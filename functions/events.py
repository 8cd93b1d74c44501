"""Platform events: the outbox relay, which publishes committed domain events to the event bus."""

from __future__ import annotations

import logging

import azure.durable_functions as df
import azure.functions as func

from core.db.unit_of_work import UnitOfWork
from core.events.factory import get_event_bus
from core.events.relay import relay_all

log = logging.getLogger(__name__)
bp = df.Blueprint()


@bp.function_name(name="outbox_relay")
@bp.timer_trigger(arg_name="timer", schedule="*/5 * * * * *", run_on_startup=True, use_monitor=False)
def outbox_relay(timer: func.TimerRequest) -> None:
    """Every 5 seconds: publish the outbox's committed events as CloudEvents to the events topic."""
    with UnitOfWork() as uow:
        sent = relay_all(uow, get_event_bus())
    if sent:
        log.info("outbox events published", extra={"events": sent})
