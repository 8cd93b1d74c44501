"""Idempotent message consumption: a consumer records each message id it handled in the same
transaction as its effect, so a redelivered message (Service Bus is at-least-once) changes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork


class PoisonMessage(ValueError):
    """A message that can never be handled (bad JSON, failed validation): it is retried up to the
    entity's maxDeliveryCount and then dead-lettered, with this message as the error description."""


def already_consumed(uow: UnitOfWork, consumer: str, message_id: str) -> dict[str, Any] | None:
    row = uow.connection.execute(
        "SELECT result FROM consumed_messages WHERE consumer = %s AND message_id = %s", (consumer, message_id)
    ).fetchone()
    return None if row is None else dict(row["result"])


def mark_consumed(uow: UnitOfWork, consumer: str, message_id: str, result: dict[str, Any]) -> None:
    """Record the message as handled (inside the caller's transaction)."""
    uow.connection.execute(
        "INSERT INTO consumed_messages (consumer, message_id, result) VALUES (%s, %s, %s)"
        " ON CONFLICT (consumer, message_id) DO NOTHING",
        (consumer, message_id, Jsonb(result)),
    )
