"""Scans end to end in process: the API starts the real saga on devhost's durable engine, which
discovers a real PostgreSQL source, classifies sampled columns and fills the catalog."""

from __future__ import annotations

import json
import time

import psycopg
import pytest

from core.db.database import get_database
from core.db.unit_of_work import UnitOfWork
from core.events.bus import BusMessage
from core.events.local_bus import LocalEventBus
from core.scans.triggers import scan_from_message
from devhost.sample_data import DEMO_DATABASE, create_demo_database
from tests.functions.conftest import register_postgres_source
from tests.waiting import eventually


@pytest.fixture(scope="module")
def admin(make_token) -> str:
    return make_token("scan-admin", ["Admin"], mfa=True)


@pytest.fixture(scope="module")
def source(client, admin, pg_server) -> dict:
    create_demo_database(pg_server.get_uri(), pg_server.get_uri(DEMO_DATABASE), rows=40)
    return register_postgres_source(client, admin, pg_server, DEMO_DATABASE, "demo-postgres")


def _wait(client, token, scan_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        scan = client.request("GET", f"/api/v1/scans/{scan_id}", token=token).json()
        if scan["status"] in ("completed", "failed", "cancelled") or time.monotonic() > deadline:
            return scan
        time.sleep(0.2)


def test_a_scan_classifies_the_source_and_fills_the_catalog(client, admin, source):
    reply = client.request("POST", "/api/v1/scans", token=admin, json_body={**source, "template": "gdpr_personal_data"})
    assert reply.status == 202, reply.body
    accepted = reply.json()
    assert accepted["status"] == "queued"
    assert accepted["links"]["scan"] == f"/api/v1/scans/{accepted['id']}"
    assert "statusQueryGetUri" in accepted["links"]

    scan = _wait(client, admin, accepted["id"])
    assert scan["status"] == "completed", (scan["error"], scan)
    assert scan["progress"]["total"] == 6 and scan["progress"]["done"] == 6 and scan["progress"]["failed"] == 0

    assets = {
        a["qualified_name"].rsplit(".", 1)[-1]: a
        for a in client.request("GET", f"/api/v1/scans/{scan['id']}/assets", token=admin).json()
    }
    assert "email_address" in assets["customers"]["classifications"]["email"]
    assert "credit_card_number" in assets["payments"]["classifications"]["card_number"]
    assert assets["products"]["classifications"].get("unit_price") is None  # amounts stay unclassified
    with_findings = [name for name, a in assets.items() if any(a["classifications"].values())]
    assert 0 < len(with_findings) < 6 and "customers" in with_findings and "products" not in with_findings
    assert scan["summary"]["assets_with_classifications"] == len(with_findings)

    found = client.request("GET", "/api/v1/catalog/search?q=customers", token=admin).json()
    assert any(item["name"].endswith("customers") for item in found["items"])
    payments = client.request("GET", f"/api/v1/catalog/assets/{assets['payments']['catalog_asset_id']}", token=admin)
    profile = payments.json()["properties"]["profile"]["columns"]
    assert profile["amount"]["null_pct"] == 0 and profile["amount"]["max"] is not None  # profiled
    assert "min" not in profile["card_number"] and "max" not in profile["card_number"]  # no raw extremes


def test_a_second_scan_is_incremental_and_diffs_against_the_first(client, admin, source, pg_server):
    with psycopg.connect(pg_server.get_uri(DEMO_DATABASE), autocommit=True) as conn:
        conn.execute("CREATE TABLE public.contacts (id int primary key, contact_email text)")
        conn.execute(
            "INSERT INTO public.contacts SELECT g, 'person' || g || '@example.com' FROM generate_series(1, 30) g"
        )
        conn.execute("ANALYZE public.contacts")
    reply = client.request("POST", "/api/v1/scans", token=admin, json_body={**source, "template": "gdpr_personal_data"})
    assert reply.status == 202, reply.body
    scan = _wait(client, admin, reply.json()["id"])
    assert scan["status"] == "completed", (scan["error"], scan)
    assert scan["progress"]["skipped"] >= 5  # unchanged tables were not scanned again
    diff = client.request("GET", f"/api/v1/scans/{scan['id']}/diff", token=admin).json()
    assert [name.rsplit(".", 1)[-1] for name in diff["new_assets"]] == ["contacts"]
    assert diff["removed_assets"] == []
    history = client.request(
        "GET",
        f"/api/v1/workspaces/{source['workspace_id']}/scans?data_source_id={source['data_source_id']}",
        token=admin,
    ).json()["items"]
    assert [s["id"] for s in history][0] == scan["id"] and len(history) == 2


def test_a_second_scan_of_a_running_source_is_409(client, admin, source):
    first = client.request("POST", "/api/v1/scans", token=admin, json_body={**source, "incremental": False})
    assert first.status == 202
    second = client.request("POST", "/api/v1/scans", token=admin, json_body=source)
    assert second.status == 409 and second.json()["error"]["code"] == "scan_already_running"
    _wait(client, admin, first.json()["id"])


def test_cancel_and_invalid_moves(client, admin, source):
    started = client.request("POST", "/api/v1/scans", token=admin, json_body={**source, "incremental": False}).json()
    cancelled = client.request("POST", f"/api/v1/scans/{started['id']}/cancel", token=admin)
    assert cancelled.status == 200 and cancelled.json()["status"] == "cancelled"
    again = client.request("POST", f"/api/v1/scans/{started['id']}/resume", token=admin)
    assert again.status == 409 and again.json()["error"]["code"] == "invalid_scan_state"


def test_bad_scan_requests(client, admin, source):
    unknown = client.request("POST", "/api/v1/scans", token=admin, json_body={**source, "template": "nope"})
    assert unknown.status == 422 and unknown.json()["error"]["code"] == "unknown_template"
    both = client.request(
        "POST", "/api/v1/scans", token=admin, json_body={**source, "template": "pci_dss", "rule_set_id": "x"}
    )
    assert both.status == 422
    missing = client.request(
        "POST",
        "/api/v1/scans",
        token=admin,
        json_body={**source, "data_source_id": "00000000-0000-0000-0000-000000000000"},
    )
    assert missing.status == 404


def _sql(database_url: str, query: str, args: tuple = ()) -> list:
    with psycopg.connect(database_url) as conn:
        return conn.execute(query, args).fetchall()


def test_the_outbox_is_relayed_to_the_events_topic_once_per_event(client, admin, source, app_env):
    url = app_env["DATAWAVE_POSTGRES_URL"]
    assert eventually(lambda: not _sql(url, "SELECT 1 FROM outbox_events WHERE published_at IS NULL"))
    # Other work (earlier scans' consumers, sweeps) may still be writing events while we look, so
    # compare what was published before reading the bus with the bus, and the bus with all events after.
    published = {e[0] for e in _sql(url, "SELECT id::text FROM outbox_events WHERE published_at IS NOT NULL")}
    messages = _sql(url, "SELECT message_id, subject, body FROM local_bus_messages WHERE entity = 'datawave-events'")
    message_ids = [m[0] for m in messages]
    assert published and len(message_ids) == len(set(message_ids))  # each event on the bus once
    assert published <= set(message_ids)  # every published event reached the bus
    assert set(message_ids) <= {e[0] for e in _sql(url, "SELECT id::text FROM outbox_events")}
    completed = [m for m in messages if m[1] == "datawave.scan.completed"]
    assert completed
    envelope = json.loads(bytes(completed[0][2]))
    assert envelope["specversion"] == "1.0" and envelope["type"] == "datawave.scan.completed"
    assert envelope["id"] == completed[0][0] and envelope["data"]["scan_id"]


def test_a_scan_request_message_runs_a_scan_once(client, admin, source, app_env):
    url = app_env["DATAWAVE_POSTGRES_URL"]
    eventually(lambda: not _sql(url, "SELECT 1 FROM scans WHERE status IN ('queued', 'running')"))
    body = json.dumps({**source, "template": "pci_dss"}).encode()
    LocalEventBus(get_database()).publish("scan-requests", [BusMessage(body=body, message_id="req-1")])
    scans = eventually(
        lambda: _sql(url, "SELECT id, status FROM scans WHERE trigger = 'queue' AND status = 'completed'")
    )
    assert len(scans) == 1
    # A redelivery of the same message (at-least-once) starts nothing new.
    with UnitOfWork() as uow:
        assert scan_from_message(uow, "req-1", body) is None
    assert len(_sql(url, "SELECT id FROM scans WHERE trigger = 'queue'")) == 1


def test_a_poison_scan_request_is_dead_lettered_with_its_reason(client, app_env):
    url = app_env["DATAWAVE_POSTGRES_URL"]
    LocalEventBus(get_database()).publish("scan-requests", [BusMessage(body=b"{not json", message_id="req-bad")])
    dead = eventually(
        lambda: _sql(
            url,
            "SELECT d.dead_letter_reason, d.dead_letter_error, d.delivery_count FROM local_bus_deliveries d"
            " JOIN local_bus_messages m ON m.id = d.message_pk"
            " WHERE m.message_id = 'req-bad' AND d.state = 'deadlettered'",
        )
    )
    assert dead and dead[0][0] == "MaxDeliveryCountExceeded" and "not a scan request" in dead[0][1]
    assert dead[0][2] == 10
