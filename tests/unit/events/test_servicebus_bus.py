"""The Service Bus adapter, tested at the SDK boundary: a namespace cannot run here, so the client is
a recording stand-in; the messages and batches are the SDK's real classes."""

from __future__ import annotations

import json

from azure.servicebus import ServiceBusMessageBatch

from core.events.bus import BusMessage
from core.events.servicebus_bus import ServiceBusEventBus


class RecordingSender:
    def __init__(self, entity: str, kind: str, log: list, max_batch_bytes: int) -> None:
        self.entity, self.kind, self.log, self.max_batch_bytes = entity, kind, log, max_batch_bytes

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def create_message_batch(self) -> ServiceBusMessageBatch:
        return ServiceBusMessageBatch(max_size_in_bytes=self.max_batch_bytes)

    def send_messages(self, batch, timeout=None):
        assert timeout is not None  # every send is bounded
        self.log.append((self.kind, self.entity, [m for m in batch._messages]))


class RecordingClient:
    def __init__(self, max_batch_bytes: int = 256 * 1024) -> None:
        self.sent: list = []
        self.max_batch_bytes = max_batch_bytes

    def get_topic_sender(self, name, socket_timeout=None):
        assert socket_timeout is not None
        return RecordingSender(name, "topic", self.sent, self.max_batch_bytes)

    def get_queue_sender(self, name, socket_timeout=None):
        assert socket_timeout is not None
        return RecordingSender(name, "queue", self.sent, self.max_batch_bytes)


def _event(i: int) -> BusMessage:
    return BusMessage(
        body=json.dumps({"n": i}).encode(),
        message_id=f"evt-{i}",
        subject="datawave.scan.completed",
        correlation_id="corr-1",
        application_properties={"workspaceId": "w1"},
    )


def test_events_go_to_the_topic_with_id_and_subject():
    client = RecordingClient()
    ServiceBusEventBus("ns.servicebus.windows.net", client=client).publish("datawave-events", [_event(1)])
    [(kind, entity, messages)] = client.sent
    assert (kind, entity) == ("topic", "datawave-events")
    [message] = messages
    assert message.message_id == "evt-1"
    assert message.subject == "datawave.scan.completed"
    assert message.correlation_id == "corr-1"
    assert message.application_properties["workspaceId"] == "w1"


def test_queues_get_a_queue_sender():
    client = RecordingClient()
    ServiceBusEventBus("ns", client=client).publish("scan-requests", [_event(2)])
    assert client.sent[0][:2] == ("queue", "scan-requests")


def test_messages_beyond_one_batch_are_sent_in_several_batches():
    client = RecordingClient(max_batch_bytes=2048)
    ServiceBusEventBus("ns", client=client).publish("datawave-events", [_event(i) for i in range(60)])
    assert len(client.sent) > 1
    ids = [m.message_id for _, _, batch in client.sent for m in batch]
    assert ids == [f"evt-{i}" for i in range(60)]


def test_nothing_is_sent_for_no_messages():
    client = RecordingClient()
    ServiceBusEventBus("ns", client=client).publish("datawave-events", [])
    assert client.sent == []
