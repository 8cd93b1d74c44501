"""Idempotent message consumption: a consumer claims each message id in the same transaction as its
effect (table ``consumed_messages``, keyed by consumer and message id), so a redelivered message
(Service Bus is at-least-once) changes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork


class PoisonMessage(ValueError):
    """A message that can never be handled (bad JSON, failed validation): it is retried up to the
    entity's maxDeliveryCount and then dead-lettered, with this message as the error description."""


def claim(uow: UnitOfWork, consumer: str, message_id: str) -> dict[str, Any] | None:
    """Claim ``message_id`` for ``consumer`` inside the caller's transaction.

    None means the message is new: do the work, then ``record_result`` and commit (a rollback releases
    the claim, so the redelivery tries again). Otherwise the message was handled before and the stored
    result of that handling is returned. A concurrent delivery of the same id waits on the claimed row
    until the first transaction ends, so the work is never done twice.
    """
    claimed = uow.connection.execute(
        "INSERT INTO consumed_messages (consumer, message_id) VALUES (%s, %s)"
        " ON CONFLICT (consumer, message_id) DO NOTHING RETURNING message_id",
        (consumer, message_id),
    ).fetchone()
    if claimed is not None:
        return None
    row = uow.connection.execute(
        "SELECT result FROM consumed_messages WHERE consumer = %s AND message_id = %s", (consumer, message_id)
    ).fetchone()
    return dict(row["result"])


def record_result(uow: UnitOfWork, consumer: str, message_id: str, result: dict[str, Any]) -> None:
    """Store what handling a claimed message produced (inside the same transaction as the claim)."""
    uow.connection.execute(
        "UPDATE consumed_messages SET result = %s WHERE consumer = %s AND message_id = %s",
        (Jsonb(result), consumer, message_id),
    )
