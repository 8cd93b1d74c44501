"""A batch of the scan saga (the ``scan_assets`` activity's work) against a real PostgreSQL source:
the batch is sampled, classified and catalogued together, yet a failing asset fails only itself,
and running the batch again changes nothing."""

from __future__ import annotations

import time

import psycopg
import pytest

from core.auth.service_identity import service_access
from core.db.unit_of_work import UnitOfWork
from core.scans import pipeline, service
from core.scans.model import ScanRequest
from tests.functions.conftest import register_postgres_source

SOURCE = "scan_batch_source"
TABLES = ("t_a", "t_b", "t_c", "t_d", "t_e")


@pytest.fixture(scope="module")
def admin(make_token) -> str:
    return make_token("batch-admin", ["Admin"], mfa=True)


@pytest.fixture(scope="module")
def source(client, admin, pg_server) -> dict:
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {SOURCE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {SOURCE}")
    with psycopg.connect(pg_server.get_uri(SOURCE)) as conn:
        for table in TABLES:
            conn.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, email text, amount numeric)")
            conn.execute(
                f"INSERT INTO {table} SELECT g, 'user' || g || '@example.com', g * 1.5 FROM generate_series(1, 40) g"
            )
    return register_postgres_source(client, admin, pg_server, SOURCE, "batch-postgres")


def test_a_failing_asset_fails_only_itself_and_a_rerun_changes_nothing(client, admin, source, pg_server):
    access = service_access(source["workspace_id"], "scans:write", "batch-test")
    with UnitOfWork() as uow:
        scan = service.request_scan(
            uow, access, source["workspace_id"], ScanRequest(**source, incremental=False), trigger="api"
        )
    with UnitOfWork() as uow:
        plan = pipeline.discover(uow, scan.id)
    pending = plan["pending"]
    assert [name.rsplit(".", 1)[-1] for name in pending] == list(TABLES)
    with UnitOfWork() as uow:
        namespace = uow.scans.assets(scan.id)[0]["descriptor"]["namespace"]

    # t_b disappears between discovery and sampling; t_c is already catalogued as a view.
    with psycopg.connect(pg_server.get_uri(SOURCE), autocommit=True) as conn:
        conn.execute("DROP TABLE t_b")
    view = client.request(
        "POST",
        f"/api/v1/workspaces/{source['workspace_id']}/catalog/assets",
        token=admin,
        json_body={"type": "view", "namespace": namespace, "name": f"{SOURCE}.public.t_c"},
    )
    assert view.status == 201, view.body

    with UnitOfWork() as uow:
        counts = pipeline.scan_assets(uow, scan.id, pending)
    with UnitOfWork() as uow:
        errs = [(r["qualified_name"], r["error"]) for r in uow.scans.assets(scan.id)]
    assert (counts["done"], counts["failed"], counts["status"]) == (3, 2, "running"), errs

    with UnitOfWork() as uow:
        rows = {r["qualified_name"].rsplit(".", 1)[-1]: r for r in uow.scans.assets(scan.id)}
        scan_row = uow.connection.execute("SELECT * FROM scans WHERE id = %s", (scan.id,)).fetchone()
        catalog = uow.connection.execute(
            "SELECT type, name, parent_id FROM catalog_assets WHERE workspace_id = %s", (source["workspace_id"],)
        ).fetchall()
        events = uow.connection.execute(
            "SELECT type, data FROM outbox_events WHERE workspace_id = %s AND type LIKE 'datawave.c%%'",
            (source["workspace_id"],),
        ).fetchall()
    assert {name: r["status"] for name, r in rows.items()} == {
        "t_a": "done",
        "t_b": "failed",
        "t_c": "failed",
        "t_d": "done",
        "t_e": "done",
    }
    assert "UndefinedTable" in rows["t_b"]["error"] and "AssetTypeConflict" in rows["t_c"]["error"]
    assert all(rows[t]["classifications"]["email"] == ["email_address"] for t in ("t_a", "t_d", "t_e"))
    assert all(rows[t]["catalog_asset_id"] and rows[t]["columns"] == 3 for t in ("t_a", "t_d", "t_e"))
    assert (scan_row["assets_done"], scan_row["assets_failed"]) == (3, 2)
    tables = sorted(r["name"].rsplit(".", 1)[-1] for r in catalog if r["type"] == "table")
    assert tables == ["t_a", "t_d", "t_e"]
    columns = sorted(r["name"].rsplit(".", 1)[-1] for r in catalog if r["type"] == "column")
    assert columns == sorted(f"{t}#{c}" for t in ("t_a", "t_d", "t_e") for c in ("amount", "email", "id"))
    suggested = sorted(
        e["data"]["qualified_name"].rsplit(".", 1)[-1] for e in events if e["type"].endswith("suggested")
    )
    assert suggested == ["t_a", "t_d", "t_e"]

    # The activity runs again (at-least-once): nothing is scanned, written or published twice.
    with UnitOfWork() as uow:
        again_counts = pipeline.scan_assets(uow, scan.id, pending)
    assert (again_counts["done"], again_counts["failed"], again_counts["status"]) == (3, 2, "running")
    with UnitOfWork() as uow:
        again = uow.connection.execute(
            "SELECT count(*) AS n FROM outbox_events WHERE workspace_id = %s AND type LIKE 'datawave.c%%'",
            (source["workspace_id"],),
        ).fetchone()["n"]
        assets_now = uow.connection.execute(
            "SELECT count(*) AS n FROM catalog_assets WHERE workspace_id = %s", (source["workspace_id"],)
        ).fetchone()["n"]
    assert again == len(events) and assets_now == len(catalog)
    with UnitOfWork() as uow:
        assert service.finish(uow, scan.id)["assets_done"] == 3


def test_a_paused_scan_scans_nothing_until_it_is_resumed(client, admin, source, pg_server):
    with psycopg.connect(pg_server.get_uri(SOURCE), autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS t_b (id int PRIMARY KEY, email text)")
    reply = client.request("POST", "/api/v1/scans", token=admin, json_body={**source, "incremental": False})
    assert reply.status == 202, reply.body
    scan_id = reply.json()["id"]
    paused = client.request("POST", f"/api/v1/scans/{scan_id}/pause", token=admin)
    assert paused.status == 200 and paused.json()["status"] == "paused", paused.body
    deadline = time.monotonic() + 30
    while True:  # the saga discovers the assets, then waits for the resume without scanning any
        assets = client.request("GET", f"/api/v1/scans/{scan_id}/assets", token=admin).json()
        if len(assets) == len(TABLES) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    time.sleep(1.5)
    assets = client.request("GET", f"/api/v1/scans/{scan_id}/assets", token=admin).json()
    assert len(assets) == len(TABLES) and {a["status"] for a in assets} == {"pending"}, assets
    resumed = client.request("POST", f"/api/v1/scans/{scan_id}/resume", token=admin)
    assert resumed.status == 200, resumed.body
    deadline = time.monotonic() + 60
    while True:
        scan = client.request("GET", f"/api/v1/scans/{scan_id}", token=admin).json()
        if scan["status"] not in ("queued", "running", "paused") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert scan["status"] == "completed", scan
    # t_c is still catalogued as a view (see the test above): it fails, the others are scanned.
    assert (scan["progress"]["done"], scan["progress"]["failed"]) == (len(TABLES) - 1, 1)
