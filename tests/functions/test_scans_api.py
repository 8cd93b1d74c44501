"""Scans end to end in process: the API starts the real saga on devhost's durable engine, which
discovers a real PostgreSQL source, classifies sampled columns and fills the catalog."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest

from devhost.sample_data import DEMO_DATABASE, create_demo_database


@pytest.fixture(scope="module")
def admin(make_token) -> str:
    return make_token("scan-admin", ["Admin"], mfa=True)


@pytest.fixture(scope="module")
def source(client, admin, pg_server) -> dict:
    create_demo_database(pg_server.get_uri(), pg_server.get_uri(DEMO_DATABASE), rows=40)
    socket_dir = parse_qs(urlsplit(pg_server.get_uri()).query)["host"][0]
    ws = client.request("POST", "/api/v1/workspaces", token=admin, json_body={"name": "Scan Space"}).json()["id"]
    created = client.request(
        "POST",
        f"/api/v1/workspaces/{ws}/data-sources",
        token=admin,
        json_body={
            "name": "demo-postgres",
            "connection": {
                "kind": "postgresql",
                "host": socket_dir,
                "database": DEMO_DATABASE,
                "username": "postgres",
                "sslmode": "disable",
            },
            "credentials": {"password": "unused-with-trust-auth"},
        },
    )
    assert created.status == 201, created.body
    source_id = created.json()["id"]
    tested = client.request("POST", f"/api/v1/workspaces/{ws}/data-sources/{source_id}/test", token=admin)
    assert tested.status == 200 and tested.json()["ok"], tested.body
    return {"workspace_id": ws, "data_source_id": source_id}


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

    found = client.request("GET", "/api/v1/catalog/search?q=customers", token=admin).json()
    assert any(item["name"].endswith("customers") for item in found["items"])


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
