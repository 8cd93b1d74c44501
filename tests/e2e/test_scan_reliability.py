"""Kill devhost during a scan, restart: the scan completes; the catalog has exactly one row per asset
and every event id is published once (issue 7, "Reliability and speed")."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from psycopg import sql

from devhost.client import http_call, register_source, start_scan
from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import RunningDevhost, devhost_env, start_devhost

TABLES = 60
COLUMNS = ("id", "email", "full_name", "phone", "city", "amount")
ROWS = 50
SCAN_EVENTS = (
    "datawave.scan.requested",
    "datawave.scan.completed",
    "datawave.classification.suggested",
    "datawave.catalog.asset.created",
    "datawave.catalog.asset.upserted",
)


@pytest.fixture
def source_db(pg_server) -> Iterator[tuple[str, str]]:
    """A source database of TABLES small tables, each with an email column (always classified)."""
    name = "scan_reliability_" + uuid.uuid4().hex[:8]
    admin_url = pg_server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(pg_server.get_uri(name)) as conn:
        for i in range(TABLES):
            table = sql.Identifier(f"people_{i:02d}")
            conn.execute(
                sql.SQL(
                    "CREATE TABLE {} (id int PRIMARY KEY, email text, full_name text, phone text, city text,"
                    " amount numeric(10,2))"
                ).format(table)
            )
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} SELECT g, 'person' || g || '@example.com',"
                    " (ARRAY['Anna Smith','Ben Okafor','Chloé Dubois','David Rossi'])[1 + g % 4],"
                    " '+44 20 7946 ' || lpad(g::text, 4, '0'), (ARRAY['Leeds','Lyon','Porto'])[1 + g % 3],"
                    " (g * 7919 % 10000) / 100.0 FROM generate_series(1, {}) g"
                ).format(table, sql.Literal(ROWS))
            )
        conn.commit()
    with psycopg.connect(pg_server.get_uri(name), autocommit=True) as conn:
        conn.execute("ANALYZE")
    yield name, parse_qs(urlsplit(admin_url).query)["host"][0]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _token(env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "devhost", "token", "--sub", "reliability-admin", "--roles", "Admin", "--mfa"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


def _stop(host: RunningDevhost) -> None:
    host.process.terminate()
    try:
        host.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        host.process.kill()
        host.process.wait(timeout=10)


def test_kill_during_a_scan_then_restart_completes_once(database_url, source_db, tmp_path):
    source_name, socket_dir = source_db
    env = devhost_env(database_url, tmp_path)
    token = _token(env)

    host = start_devhost(env, tmp_path / "first.log")
    try:
        api = host.base_url + "/api"
        ws = http_call("POST", f"{api}/v1/workspaces", token=token, json_body={"name": "Reliability"})
        assert ws.status == 201, ws.body
        workspace_id = ws.json()["id"]
        connection = {
            "kind": "postgresql",
            "host": socket_dir,
            "database": source_name,
            "username": "postgres",
            "sslmode": "disable",
        }
        credentials = {"password": "unused-with-trust-auth"}
        source_id = register_source(api, token, workspace_id, "reliability-postgres", connection, credentials)
        scan_id = start_scan(api, token, workspace_id, source_id)

        # Kill devhost once some assets are recorded, but not all.
        deadline = time.monotonic() + 40
        scan = {}
        while time.monotonic() < deadline:
            scan = http_call("GET", f"{api}/v1/scans/{scan_id}", token=token).json()
            if scan["progress"]["done"] >= 3 or scan["status"] != "running" and scan["status"] != "queued":
                break
            time.sleep(0.02)
    finally:
        os.kill(host.process.pid, signal.SIGKILL)
        host.process.wait(timeout=10)
    assert scan["status"] == "running", (scan, host.logs()[-3000:])
    done_at_kill = scan["progress"]["done"]
    assert 0 < done_at_kill < TABLES, scan

    restarted = start_devhost(env, tmp_path / "second.log")
    try:
        api = restarted.base_url + "/api"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            scan = http_call("GET", f"{api}/v1/scans/{scan_id}", token=token).json()
            if scan["status"] not in ("queued", "running"):
                break
            time.sleep(0.2)
        assert scan["status"] == "completed", (scan, restarted.logs()[-3000:])
        assert scan["progress"] == {"total": TABLES, "done": TABLES, "failed": 0, "skipped": 0}
        assets = http_call("GET", f"{api}/v1/scans/{scan_id}/assets", token=token).json()
        assert len(assets) == TABLES and all(a["status"] == "done" for a in assets), assets
        assert all("email" in a["classifications"] for a in assets)

        # The outbox relay (a 5 s timer) publishes every event of the scan.
        with psycopg.connect(database_url) as conn:
            deadline = time.monotonic() + 20
            while True:
                unpublished = conn.execute(
                    "SELECT count(*) FROM outbox_events WHERE workspace_id = %s AND published_at IS NULL"
                    " AND type = ANY(%s)",
                    (workspace_id, list(SCAN_EVENTS)),
                ).fetchone()[0]
                conn.commit()
                if unpublished == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.25)
            assert unpublished == 0
    finally:
        _stop(restarted)

    with psycopg.connect(database_url) as conn:
        # -- the catalog: exactly one row per asset ------------------------------------------------
        catalog = conn.execute(
            "SELECT type, name FROM catalog_assets WHERE workspace_id = %s", (workspace_id,)
        ).fetchall()
        per_name = Counter(name for _, name in catalog)
        assert max(per_name.values()) == 1, [n for n, c in per_name.items() if c > 1]
        tables = sorted(name for kind, name in catalog if kind == "table")
        assert tables == [f"{source_name}.public.people_{i:02d}" for i in range(TABLES)]
        columns = sorted(name for kind, name in catalog if kind == "column")
        assert columns == sorted(f"{t}#{c}" for t in tables for c in COLUMNS)
        assert Counter(kind for kind, _ in catalog) == Counter(
            {"data_source": 1, "database": 1, "schema": 1, "table": TABLES, "column": TABLES * len(COLUMNS)}
        )

        # -- the outbox: every event once -----------------------------------------------------------
        events = conn.execute(
            "SELECT id, type, subject, data, published_at FROM outbox_events WHERE workspace_id = %s"
            " AND type = ANY(%s)",
            (workspace_id, list(SCAN_EVENTS)),
        ).fetchall()
        of_scan = [e for e in events if (e[3] or {}).get("scan_id") == scan_id]
        completed = [e for e in of_scan if e[1] == "datawave.scan.completed"]
        assert len(completed) == 1
        assert completed[0][3]["assets_done"] == TABLES
        suggested = Counter(e[3]["qualified_name"] for e in of_scan if e[1] == "datawave.classification.suggested")
        assert len(suggested) == TABLES and set(suggested.values()) == {1}, suggested.most_common(3)
        upserted = Counter(e[2] for e in events if e[1] == "datawave.catalog.asset.upserted")
        assert len(upserted) == TABLES and set(upserted.values()) == {1}, upserted.most_common(3)
        created = Counter(e[2] for e in events if e[1] == "datawave.catalog.asset.created")
        assert set(created.values()) == {1}, created.most_common(3)
        assert len(created) == len(catalog) - TABLES * len(COLUMNS)  # columns are created with their table

        # -- published once: every event of the scan is on the bus, as exactly one message ----------
        assert all(e[4] is not None for e in events)
        messages = conn.execute(
            "SELECT message_id, subject FROM local_bus_messages WHERE entity = 'datawave-events'"
            " AND message_id = ANY(%s)",
            ([str(e[0]) for e in events],),
        ).fetchall()
        sent = Counter(message_id for message_id, _ in messages)
        missing = Counter(e[1] for e in events if str(e[0]) not in sent)
        assert not missing and set(sent.values()) == {1}, (missing, sent.most_common(3))
        assert Counter(subject for _, subject in messages) == Counter(e[1] for e in events)

        # -- delivered as in Azure: the compliance subscription's filter admits the scan and
        # classification events, not the catalog ones (core/events/subscriptions.py) -----------------
        delivered = conn.execute(
            "SELECT m.subject FROM local_bus_deliveries d JOIN local_bus_messages m ON m.id = d.message_pk"
            " WHERE d.receiver = 'datawave-events/subscriptions/compliance' AND m.message_id = ANY(%s)",
            ([str(e[0]) for e in events],),
        ).fetchall()
        admitted = Counter(e[1] for e in events if e[1].startswith(("datawave.scan.", "datawave.classification.")))
        assert Counter(subject for (subject,) in delivered) == admitted
        assert admitted["datawave.classification.suggested"] == TABLES
