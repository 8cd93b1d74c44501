"""Service Bus-triggered functions fed from the local event bus (``core.events.local_bus``).

Service Bus semantics: each queue gets every message, each topic subscription every message its
filter admits (``subject_filters``: the app's are in core/events/subscriptions.py; match-all when
none) sent after it first existed; a message is locked while a function runs; success
completes it; a failure makes it visible again and counts a delivery; at ``max_delivery_count``
deliveries it is dead-lettered with reason ``MaxDeliveryCountExceeded`` (``python -m devhost
deadletters`` lists them). Delivery is at least once: a devhost killed mid-run redelivers.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from azure.functions.servicebus import ServiceBusMessage

from core.db.database import Database
from core.events.local_bus import backfill_deliveries
from devhost.triggers.invoke import NO_BINDINGS, InputBindings, invoke, triggers_of

log = logging.getLogger("devhost.servicebus")

DEAD_LETTER_REASON = "MaxDeliveryCountExceeded"
BACKFILL_SECONDS = 2.0  # how often messages without delivery rows are looked for (see _claim)


def receiver_of(trigger: Any) -> tuple[str, str]:
    """(receiver, entity): a queue receives from itself; a subscription from its topic."""
    queue = getattr(trigger, "queue_name", None)
    if queue:
        return queue, queue
    return f"{trigger.topic_name}/subscriptions/{trigger.subscription_name}", trigger.topic_name


class ServiceBusTriggers:
    def __init__(
        self,
        database: Database,
        functions: list[Any],
        *,
        max_delivery_count: int = 10,
        max_concurrent_calls: int = 8,
        lock_seconds: int = 60,
        retry_delay_seconds: float = 0.2,
        inputs: InputBindings = NO_BINDINGS,
        subject_filters: Mapping[str, list[str]] | None = None,
    ) -> None:
        self.database = database
        #: {subscription receiver: LIKE patterns on the subject}; others get every message.
        self.subject_filters = dict(subject_filters or {})
        self.inputs = inputs
        self.max_delivery_count = max_delivery_count
        self.lock_seconds = lock_seconds
        self.retry_delay = retry_delay_seconds
        self.owner = uuid.uuid4().hex
        self.handlers: dict[str, list[Any]] = {}
        self.entities: dict[str, str] = {}
        for function in triggers_of(functions, "serviceBusTrigger"):
            receiver, entity = receiver_of(function.get_trigger())
            self.handlers.setdefault(receiver, []).append(function)
            self.entities[receiver] = entity
        self._round_robin = {r: itertools.cycle(fs) for r, fs in self.handlers.items()}
        self._pool = ThreadPoolExecutor(max(1, max_concurrent_calls), thread_name_prefix="devhost-servicebus")
        self._slots = threading.Semaphore(max(1, max_concurrent_calls))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_backfill = 0.0

    def start(self) -> None:
        if not self.handlers:
            return
        with self.database.connection() as conn:
            for receiver, entity in self.entities.items():
                is_queue = receiver == entity
                # A subscription's filter applies to messages sent from now on, as a changed rule does.
                conn.execute(
                    "INSERT INTO local_bus_receivers (receiver, entity, start_after, subject_like) VALUES (%s, %s,"
                    " CASE WHEN %s THEN 0 ELSE (SELECT COALESCE(max(id), 0) FROM local_bus_messages) END, %s)"
                    " ON CONFLICT (receiver) DO UPDATE SET subject_like = EXCLUDED.subject_like",
                    (receiver, entity, is_queue, None if is_queue else self.subject_filters.get(receiver)),
                )
            # Locks held by a previous, dead devhost are released: those messages are delivered again.
            conn.execute(
                "UPDATE local_bus_deliveries SET locked_by = NULL, visible_at = now()"
                " WHERE receiver = ANY(%s) AND state = 'active' AND locked_by IS NOT NULL",
                (list(self.handlers),),
            )
            conn.commit()
        self._thread = threading.Thread(target=self._loop, name="devhost-servicebus-dispatch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                claimed = self._claim()
            except Exception:  # noqa: BLE001 - keep polling
                log.exception("local bus poll failed")
                claimed = []
            for delivery in claimed:
                self._slots.acquire()
                self._pool.submit(self._deliver, delivery)
            if not claimed:
                self._stop.wait(0.1)

    def _claim(self) -> list[dict[str, Any]]:
        receivers = list(self.handlers)
        with self.database.connection() as conn:
            # Sending writes the delivery rows of the receivers registered at that moment
            # (core.events.local_bus); every BACKFILL_SECONDS (and at the first poll) the messages
            # that have none get theirs.
            now = time.monotonic()
            if now >= self._next_backfill:
                self._next_backfill = now + BACKFILL_SECONDS
                backfill_deliveries(conn, receivers)
            rows = conn.execute(
                "UPDATE local_bus_deliveries d SET locked_by = %(owner)s, delivery_count = d.delivery_count + 1,"
                " visible_at = now() + make_interval(secs => %(lock)s), updated_at = now()"
                " WHERE (d.message_pk, d.receiver) IN (SELECT message_pk, receiver FROM local_bus_deliveries"
                "  WHERE receiver = ANY(%(receivers)s) AND state = 'active' AND visible_at <= now()"
                "  ORDER BY message_pk LIMIT 32 FOR UPDATE SKIP LOCKED)"
                " RETURNING d.message_pk, d.receiver, d.delivery_count",
                {"owner": self.owner, "lock": self.lock_seconds, "receivers": receivers},
            ).fetchall()
            messages = {}
            if rows:
                for row in conn.execute(
                    "SELECT * FROM local_bus_messages WHERE id = ANY(%s)", ([r["message_pk"] for r in rows],)
                ).fetchall():
                    messages[row["id"]] = row
            conn.commit()
        return [{**row, "message": messages[row["message_pk"]]} for row in rows]

    def _deliver(self, delivery: dict[str, Any]) -> None:
        try:
            function = next(self._round_robin[delivery["receiver"]])
            trigger = function.get_trigger()
            message = _service_bus_message(delivery)
            payload: Any = [message] if getattr(trigger, "cardinality", None) in ("many", "MANY") else message
            error: str | None = None
            try:
                invoke(function, self.inputs, **{trigger.name: payload})
            except Exception as exc:  # noqa: BLE001 - a failed delivery is retried, then dead-lettered
                error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
                log.info(
                    "service bus function failed",
                    extra={"function": function.get_function_name(), "delivery_count": delivery["delivery_count"]},
                )
            self._settle(delivery, error)
        except Exception:  # noqa: BLE001 - the lock expires and the message comes back
            log.exception("could not settle a local bus delivery")
        finally:
            self._slots.release()

    def _settle(self, delivery: dict[str, Any], error: str | None) -> None:
        key = (delivery["message_pk"], delivery["receiver"])
        with self.database.connection() as conn:
            if error is None:
                conn.execute(
                    "UPDATE local_bus_deliveries SET state = 'completed', locked_by = NULL, updated_at = now()"
                    " WHERE message_pk = %s AND receiver = %s",
                    key,
                )
            elif delivery["delivery_count"] >= self.max_delivery_count:
                conn.execute(
                    "UPDATE local_bus_deliveries SET state = 'deadlettered', locked_by = NULL, updated_at = now(),"
                    " dead_letter_reason = %s, dead_letter_error = %s WHERE message_pk = %s AND receiver = %s",
                    (DEAD_LETTER_REASON, error, *key),
                )
            else:
                conn.execute(
                    "UPDATE local_bus_deliveries SET locked_by = NULL, updated_at = now(), dead_letter_error = %s,"
                    " visible_at = now() + make_interval(secs => %s) WHERE message_pk = %s AND receiver = %s",
                    (error, self.retry_delay, *key),
                )
            conn.commit()


def _service_bus_message(delivery: dict[str, Any]) -> ServiceBusMessage:
    message = delivery["message"]
    return ServiceBusMessage(
        body=bytes(message["body"]),
        message_id=message["message_id"],
        content_type=message["content_type"],
        correlation_id=message["correlation_id"],
        subject=message["subject"],
        label=message["subject"],
        application_properties=dict(message["application_properties"] or {}),
        user_properties=dict(message["application_properties"] or {}),
        delivery_count=delivery["delivery_count"],
        enqueued_time_utc=message["enqueued_at"],
        sequence_number=message["id"],
        enqueued_sequence_number=message["id"],
        lock_token=f"{message['id']}:{delivery['receiver']}",
        to=message["entity"],
    )


def list_dead_letters(database: Database, receiver: str | None = None) -> list[dict[str, Any]]:
    """Dead-lettered messages, newest first (for ``python -m devhost deadletters``)."""
    query = (
        "SELECT d.receiver, d.delivery_count, d.dead_letter_reason, d.dead_letter_error, d.updated_at,"
        " m.message_id, m.entity, m.subject, m.enqueued_at, m.body FROM local_bus_deliveries d"
        " JOIN local_bus_messages m ON m.id = d.message_pk WHERE d.state = 'deadlettered'"
    )
    args: tuple[Any, ...] = ()
    if receiver:
        query += " AND d.receiver = %s"
        args = (receiver,)
    with database.connection() as conn:
        return conn.execute(query + " ORDER BY d.updated_at DESC", args).fetchall()
