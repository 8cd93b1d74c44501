"""Azure Service Bus adapter of the event-bus port (azure-servicebus, identity-based).

Message id = our message id (the entity's duplicate detection then drops a re-sent event), subject =
the event type, every call bounded by a timeout and the SDK's own retry policy. Messages that do not
fit in one batch are sent in several; each batch is atomic, and a retry after a partial failure is
safe because of duplicate detection.
"""

from __future__ import annotations

from typing import Any

from azure.servicebus import ServiceBusClient, ServiceBusMessage

from core.events.bus import BusMessage

SEND_TIMEOUT_SECONDS = 30


class ServiceBusEventBus:
    def __init__(
        self,
        fully_qualified_namespace: str,
        *,
        topics: frozenset[str] = frozenset({"datawave-events"}),
        credential: Any = None,
        client: Any = None,
    ) -> None:
        """``client`` is a ready ``ServiceBusClient`` (tests pass one); otherwise one is built for the
        namespace with ``DefaultAzureCredential`` (the Function App's managed identity in Azure)."""
        if client is None:
            if credential is None:
                from azure.identity import DefaultAzureCredential

                credential = DefaultAzureCredential()
            client = ServiceBusClient(
                fully_qualified_namespace, credential, retry_total=3, retry_backoff_factor=0.8, retry_backoff_max=10
            )
        self._client = client
        self._topics = topics

    def publish(self, entity: str, messages: list[BusMessage]) -> None:
        if not messages:
            return
        open_sender = self._client.get_topic_sender if entity in self._topics else self._client.get_queue_sender
        with open_sender(entity, socket_timeout=SEND_TIMEOUT_SECONDS) as sender:
            batch = sender.create_message_batch()
            for message in messages:
                outgoing = to_service_bus(message)
                try:
                    batch.add_message(outgoing)
                except ValueError:  # the batch is full: send it and start the next one
                    if len(batch) == 0:
                        raise ValueError(f"message {message.message_id} exceeds the Service Bus size limit") from None
                    sender.send_messages(batch, timeout=SEND_TIMEOUT_SECONDS)
                    batch = sender.create_message_batch()
                    batch.add_message(outgoing)
            sender.send_messages(batch, timeout=SEND_TIMEOUT_SECONDS)

    def close(self) -> None:
        self._client.close()


def to_service_bus(message: BusMessage) -> ServiceBusMessage:
    return ServiceBusMessage(
        message.body,
        message_id=message.message_id,
        subject=message.subject,
        content_type=message.content_type,
        correlation_id=message.correlation_id,
        application_properties=dict(message.application_properties),
    )
