"""Service Bus (local bus), blob (Azurite) and timer triggers hosted by devhost, over real processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from azure.storage.blob import BlobServiceClient

from devhost.client import http_call
from devhost.triggers.timers import InvalidSchedule, Schedule
from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import devhost_env, start_devhost
from tests.waiting import eventually

APP = Path(__file__).resolve().parent / "apps" / "triggers_app"


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("records")


@pytest.fixture(scope="module")
def env(database_url, tmp_path_factory, azurite, records):
    values = devhost_env(database_url, tmp_path_factory.mktemp("triggers-data"))
    values.update(
        FIXTURE_RECORD_DIR=str(records), FIXTURE_STORAGE=azurite.connection_string, ServiceBusConnection="local"
    )
    return values


@pytest.fixture(scope="module")
def host(env, tmp_path_factory):
    log = tmp_path_factory.mktemp("triggers-log") / "devhost.log"
    running = _start(env, log)
    yield running
    running.process.terminate()
    running.process.wait(timeout=15)


def _start(env, log):
    return start_devhost(
        env,
        log,
        app_dir=APP,
        ready_path="/api/none",
        extra_args=["--max-delivery-count", "3", "--blob-poll-seconds", "0.2"],
    )


def _records(folder: Path, kind: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob(f"{kind}-*.json"))]


def _publish(host, entity: str, messages: list[dict]) -> None:
    assert http_call("POST", f"{host.base_url}/api/publish/{entity}", json_body=messages).status == 202


def test_queue_messages_are_delivered_retried_and_dead_lettered(host, records, env):
    _publish(
        host,
        "orders",
        [
            {"id": "m-ok", "body": "ok"},
            {"id": "m-retry", "body": "fail-twice"},
            {"id": "m-dead", "body": "always-fail"},
        ],
    )

    def settled():
        seen = _records(records, "orders")
        by_id = {m: [r for r in seen if r["id"] == m] for m in ("m-ok", "m-retry", "m-dead")}
        return by_id if len(by_id["m-retry"]) == 3 and len(by_id["m-dead"]) == 3 and by_id["m-ok"] else None

    by_id = eventually(settled)
    assert by_id, _records(records, "orders")
    assert [r["delivery_count"] for r in by_id["m-ok"]] == [1]
    assert sorted(r["delivery_count"] for r in by_id["m-retry"]) == [1, 2, 3]
    assert sorted(r["delivery_count"] for r in by_id["m-dead"]) == [1, 2, 3]
    time.sleep(0.5)  # a dead-lettered message is never delivered again
    assert len([r for r in _records(records, "orders") if r["id"] == "m-dead"]) == 3

    listed = subprocess.run(
        [sys.executable, "-m", "devhost", "deadletters", "--json"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    dead = json.loads(listed.stdout)["messages"]
    assert [(m["message_id"], m["receiver"], m["dead_letter_reason"]) for m in dead] == [
        ("m-dead", "orders", "MaxDeliveryCountExceeded")
    ]
    assert "cannot handle always-fail" in dead[0]["dead_letter_error"]


def test_duplicate_message_ids_are_delivered_once(host, records):
    _publish(host, "orders", [{"id": "m-dup", "body": "ok"}])
    _publish(host, "orders", [{"id": "m-dup", "body": "ok"}])
    assert eventually(lambda: [r for r in _records(records, "orders") if r["id"] == "m-dup"])
    time.sleep(0.5)
    assert len([r for r in _records(records, "orders") if r["id"] == "m-dup"]) == 1


def test_a_message_without_delivery_rows_is_still_delivered(host, records, database_url):
    """A message that has no delivery row (sent to a queue before devhost first listened on it, or in
    flight while a subscription was created) is found by devhost's periodic backfill."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO local_bus_messages (entity, message_id, body) VALUES ('orders', 'm-backfill', %s)",
            (json.dumps("ok").encode(),),
        )
    assert eventually(lambda: [r for r in _records(records, "orders") if r["id"] == "m-backfill"])


def test_each_topic_subscription_gets_every_message(host, records):
    _publish(host, "events", [{"id": "e-1", "body": {"n": 1}, "subject": "datawave.test.happened"}])
    assert eventually(lambda: _records(records, "audit") and _records(records, "billing"))
    assert [(r["id"], r["subject"]) for r in _records(records, "audit")] == [("e-1", "datawave.test.happened")]
    assert [r["id"] for r in _records(records, "billing")] == ["e-1"]


def test_blob_fires_once_per_new_or_changed_blob_and_survives_restart(host, records, azurite, env, tmp_path):
    container = BlobServiceClient.from_connection_string(azurite.connection_string).get_container_client("landing")
    if not container.exists():
        container.create_container()
    container.upload_blob("in/a.csv", b"id,name\n1,x\n", metadata={"source": "test"})
    first = eventually(lambda: [r for r in _records(records, "blob") if r["name"] == "landing/in/a.csv"])
    assert first == [
        {"name": "landing/in/a.csv", "length": 12, "metadata": {"source": "test"}, "data": "id,name\n1,x\n"}
    ]
    container.upload_blob("in/a.csv", b"id,name\n1,y\n", overwrite=True)
    assert eventually(lambda: len([r for r in _records(records, "blob") if r["name"] == "landing/in/a.csv"]) == 2)

    host.process.terminate()
    host.process.wait(timeout=15)
    restarted = _start(env, tmp_path / "restart.log")
    try:
        container.upload_blob("in/b.csv", b"id\n2\n")
        assert eventually(lambda: [r for r in _records(records, "blob") if r["name"] == "landing/in/b.csv"])
        time.sleep(1)
        assert len([r for r in _records(records, "blob") if r["name"] == "landing/in/a.csv"]) == 2  # receipts kept
    finally:
        host.process = restarted.process
        host.base_url = restarted.base_url


def test_event_grid_and_polling_sources_both_fire_by_listing(host, records, azurite):
    """No Event Grid locally: the EventGrid-sourced trigger (as the app's landing_blob_arrived) fires from
    devhost's container listing, like the default polling source, with the same binding."""
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    for name in ("landing", "archive"):
        if not service.get_container_client(name).exists():
            service.create_container(name)
    service.get_container_client("landing").upload_blob("grid/c.csv", b"id\n3\n", metadata={"by": "grid"})
    service.get_container_client("archive").upload_blob("old/d.csv", b"id\n4\n")
    grid = eventually(lambda: [r for r in _records(records, "blob") if r["name"] == "landing/grid/c.csv"])
    polled = eventually(lambda: _records(records, "archived"))
    assert grid == [{"name": "landing/grid/c.csv", "length": 5, "metadata": {"by": "grid"}, "data": "id\n3\n"}]
    assert polled == [{"name": "archive/old/d.csv", "data": "id\n4\n"}]
    watching = {}
    for line in host.logs().splitlines():
        if line.startswith("{") and '"watching blob container"' in line:
            entry = json.loads(line)
            watching[entry["function"]] = (entry["container"], entry["source"])
    assert watching == {"landed": ("landing", "EventGrid"), "archived": ("archive", "LogsAndContainerScan")}


def test_blob_trigger_sources():
    """devhost watches the app's EventGrid-sourced landing trigger like any blob trigger; a source the
    host does not know is refused when devhost starts."""
    from devhost.app_loader import load_app
    from devhost.triggers.blobs import BlobTriggers, trigger_source

    loaded = load_app(PROJECT_ROOT)
    blobs = BlobTriggers(None, loaded.functions)  # type: ignore[arg-type]  # not started: no database use
    watched = {w[0].get_function_name(): w[1] for w in blobs.watches}
    assert watched == {"landing_blob_arrived": "landing"}
    assert blobs.sources == {"landing_blob_arrived": "EventGrid"}

    class Trigger:
        source = None

    assert trigger_source(Trigger()) == "LogsAndContainerScan"
    Trigger.source = "eventgrid"
    assert trigger_source(Trigger()) == "EventGrid"
    Trigger.source = "EventHub"
    with pytest.raises(ValueError, match="EventGrid or LogsAndContainerScan"):
        trigger_source(Trigger())


def test_a_failing_blob_is_poisoned_after_five_attempts(host, records, azurite, env):
    container = BlobServiceClient.from_connection_string(azurite.connection_string).get_container_client("landing")
    if not container.exists():
        container.create_container()
    container.upload_blob("bad.csv", b"broken")
    assert eventually(lambda: len([r for r in _records(records, "blob") if r["name"] == "landing/bad.csv"]) >= 5)
    time.sleep(1)
    assert len([r for r in _records(records, "blob") if r["name"] == "landing/bad.csv"]) == 5
    listed = subprocess.run(
        [sys.executable, "-m", "devhost", "deadletters", "--json"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    poisoned = json.loads(listed.stdout)["blobs"]
    assert [(b["blob_path"], b["attempts"]) for b in poisoned] == [("landing/bad.csv", 5)]


def test_timers_follow_their_schedule_and_run_on_startup(host, records):
    assert eventually(lambda: len(_records(records, "tick")) >= 3)
    yearly = _records(records, "yearly")
    assert len(yearly) >= 1 and yearly[0]["past_due"] is False


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("*/15 * * * * *", "2026-01-01T00:00:07", "2026-01-01T00:00:15"),
        ("0 */5 * * * *", "2026-01-01T00:03:00", "2026-01-01T00:05:00"),
        ("0 30 9 * * MON-FRI", "2026-11-28T10:00:00", "2026-11-30T09:30:00"),  # Saturday → Monday
        ("0 0 0 1 JAN *", "2026-03-01T00:00:00", "2027-01-01T00:00:00"),
        ("0 0 12 29 2 *", "2026-03-01T00:00:00", "2028-02-29T12:00:00"),
        ("5,10 0 0 * * *", "2026-01-01T00:00:05", "2026-01-01T00:00:10"),
        ("00:10:00", "2026-01-01T00:00:00", "2026-01-01T00:10:00"),
    ],
)
def test_ncrontab_next_occurrence(expression, after, expected):
    moment = datetime.fromisoformat(after).replace(tzinfo=UTC)
    assert Schedule.parse(expression).next_after(moment) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


@pytest.mark.parametrize("expression", ["* * * * *", "61 * * * * *", "*/0 * * * * *", "0 0 0 31 2 *", "x * * * * *"])
def test_invalid_schedules_are_rejected(expression):
    with pytest.raises(InvalidSchedule):
        Schedule.parse(expression).next_after(datetime(2026, 1, 1, tzinfo=UTC))
