"""A fixture app with Service Bus, blob and timer triggers; each records what it received in
FIXTURE_RECORD_DIR so devhost's tests can see every invocation."""

import json
import os
import time
import uuid
from pathlib import Path

import azure.functions as func

from core.db.database import get_database
from core.events.bus import BusMessage
from core.events.local_bus import LocalEventBus

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def record(kind: str, **fields) -> None:
    folder = Path(os.environ["FIXTURE_RECORD_DIR"])
    (folder / f"{kind}-{time.monotonic_ns()}-{uuid.uuid4().hex[:6]}.json").write_text(json.dumps(fields))


@app.route(route="publish/{entity}", methods=["POST"])
def publish(req: func.HttpRequest) -> func.HttpResponse:
    payload = req.get_json()
    messages = [
        BusMessage(body=json.dumps(m["body"]).encode(), message_id=m["id"], subject=m.get("subject")) for m in payload
    ]
    LocalEventBus(get_database()).publish(req.route_params["entity"], messages)
    return func.HttpResponse(status_code=202)


@app.service_bus_queue_trigger(arg_name="msg", queue_name="orders", connection="ServiceBusConnection")
def orders(msg: func.ServiceBusMessage) -> None:
    body = json.loads(msg.get_body())
    record("orders", id=msg.message_id, delivery_count=msg.delivery_count, body=body)
    if body == "always-fail" or (body == "fail-twice" and msg.delivery_count <= 2):
        raise RuntimeError(f"cannot handle {body}")


@app.service_bus_topic_trigger(
    arg_name="msg", topic_name="events", subscription_name="audit", connection="ServiceBusConnection"
)
def events_audit(msg: func.ServiceBusMessage) -> None:
    record("audit", id=msg.message_id, subject=msg.subject)


@app.service_bus_topic_trigger(
    arg_name="msg", topic_name="events", subscription_name="billing", connection="ServiceBusConnection"
)
def events_billing(msg: func.ServiceBusMessage) -> None:
    record("billing", id=msg.message_id, subject=msg.subject)


# Event Grid source, as the app's landing trigger (Flex Consumption needs it): devhost lists the container.
@app.blob_trigger(
    arg_name="blob", path="landing/{name}", connection="FIXTURE_STORAGE", source=func.BlobSource.EVENT_GRID
)
def landed(blob: func.InputStream) -> None:
    record("blob", name=blob.name, length=blob.length, metadata=blob.metadata, data=blob.read().decode())
    if "bad" in (blob.name or ""):
        raise ValueError("unreadable file")


# The default (polling) source, served the same way.
@app.blob_trigger(arg_name="blob", path="archive/{name}", connection="FIXTURE_STORAGE")
def archived(blob: func.InputStream) -> None:
    record("archived", name=blob.name, data=blob.read().decode())


@app.timer_trigger(arg_name="timer", schedule="*/1 * * * * *")
def every_second(timer: func.TimerRequest) -> None:
    record("tick", past_due=timer.past_due)


@app.timer_trigger(arg_name="timer", schedule="0 0 0 1 1 *", run_on_startup=True)
def yearly(timer: func.TimerRequest) -> None:
    record("yearly", past_due=timer.past_due)
