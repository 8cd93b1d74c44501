"""A full scan of a 500-table PostgreSQL source through the real saga, against its bare sampling queries.

Creates, in an embedded PostgreSQL in a temporary directory, a source database of 500 tables × 20
columns × 1,000 rows (five table shapes cycled, each a mix of sensitive columns — names, emails,
phones, SSNs, card numbers, IBANs, dates of birth, IP addresses — and ordinary ones; filled with SQL
``generate_series``), registers it as a data source through the HTTP API of devhost's LocalHost
(running this function app, its activities in ``FUNCTIONS_WORKER_PROCESS_COUNT`` worker processes:
2 unless set), scans it (``POST /api/v1/scans``, non-incremental) and polls ``GET /api/v1/scans/{id}``
until it completes; the scan time runs from the request to the scan's own ``finished_at``. A running
app has built its classification engine in every worker process at its first scan: a warm-up scan of
a 60-table database does that first, and the timed scan starts once the app is idle again. In the
same run it times the bare sampling: the same ``connectors.sample`` calls the pipeline makes, for all
500 tables, one after the other (best of two passes, one before and one after the scan).

    .venv/bin/python benchmarks/scan_postgres.py

Prints one ``name=value`` line per figure; the headline (scan time / bare sampling time, target
≤ 2) is last. On Linux it also prints the CPU seconds each used (this process, devhost's worker
processes and the PostgreSQL server, from /proc), which drift less than wall times.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
import uuid
import warnings
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from core.db.migrations import apply_migrations  # noqa: E402
from devhost.client import http_call, register_source, start_scan  # noqa: E402
from devhost.runtime import DEVHOST_MIGRATIONS  # noqa: E402

TABLES = 500
ROWS = 1000
SOURCE_DB = "bench_scan_source"
WARMUP_DB = "bench_scan_warmup"
WARMUP_TABLES = 60  # 6 batches: every worker process gets one
SOURCE = {"kind": "postgresql", "username": "postgres", "sslmode": "disable"}
APP_DB = "bench_scan_app"

_PICK = "(ARRAY[{}])[1 + ((g * {}) % {})]"


def _pick(values: list[str], mult: int = 1) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return _PICK.format(quoted, mult, len(values))


FIRST = _pick(["Anna", "Ben", "Chloé", "David", "Emma", "Farid", "Greta", "Hiro", "Isabel", "Jonas", "Kemal", "Lena"])
LAST = _pick(["Smith", "Müller", "Dubois", "Rossi", "García", "Kowalski", "Nguyen", "Okafor", "Jensen", "Silva"], 7)
CITY = _pick(["London", "Berlin", "Paris", "Madrid", "Lisbon", "Vienna", "Dublin", "Oslo", "Prague", "Rome"], 3)
COUNTRY = _pick(["GB", "DE", "FR", "ES", "PT", "AT", "IE", "NO", "CZ", "IT"], 3)
CARD = _pick(["4111111111111111", "5500005555555559", "4012888888881881", "5105105105105100", "4242424242424242"])
IBAN = _pick(["DE89370400440532013000", "GB29NWBK60161331926819", "FR1420041010050500013M02606", "NL91ABNA0417164300"])
STATUS = _pick(["new", "paid", "shipped", "cancelled", "returned"], 5)
DEPT = _pick(["Finance", "Sales", "Engineering", "Support", "Legal", "Marketing"], 5)
DIAG = _pick(["E11.9", "I10", "J45.909", "M54.5", "F32.9", "K21.9"], 11)
DEVICE = _pick(["sensor-a", "sensor-b", "gateway", "meter", "pump"], 3)

EMAIL = f"lower({FIRST} || '.' || {LAST}) || g || '@example.com'"
PHONE = "'+44 20 7' || lpad(((g * 7919) % 1000)::text, 3, '0') || ' ' || lpad(((g * 104729) % 10000)::text, 4, '0')"
SSN = "lpad((100 + (g * 37) % 600)::text, 3, '0') || '-' || lpad((10 + g % 89)::text, 2, '0') || '-' || lpad((1000 + (g * 7) % 8999)::text, 4, '0')"  # noqa: E501
DOB = "date '1950-01-01' + ((g * 97) % 18000)"
TS = "timestamptz '2024-01-01' + (g * interval '37 minutes')"
IP = "'10.' || (g % 250) || '.' || ((g * 7) % 250) || '.' || ((g * 13) % 250)"
AMOUNT = "round(((g * 7919) % 100000) / 100.0, 2)"

# Five table shapes of 20 columns each: (column, type, expression over g = 1..ROWS).
SHAPES: dict[str, list[tuple[str, str, str]]] = {
    "customers": [
        ("id", "int PRIMARY KEY", "g"),
        ("first_name", "text", FIRST),
        ("last_name", "text", LAST),
        ("email", "text", EMAIL),
        ("phone", "text", PHONE),
        ("street_address", "text", "(g % 200 + 1) || ' High Street'"),
        ("city", "text", CITY),
        ("postal_code", "text", "lpad(((g * 31) % 99999)::text, 5, '0')"),
        ("country", "text", COUNTRY),
        ("date_of_birth", "date", DOB),
        ("created_at", "timestamptz", TS),
        ("status", "text", STATUS),
        ("loyalty_points", "int", "(g * 17) % 5000"),
        ("newsletter", "boolean", "g % 3 = 0"),
        ("segment", "text", _pick(["retail", "smb", "enterprise"], 7)),
        ("last_login_ip", "inet", "(" + IP + ")::inet"),
        ("preferred_language", "text", _pick(["en", "de", "fr", "es"], 3)),
        ("lifetime_value", "numeric(12,2)", AMOUNT),
        ("notes", "text", "'customer since ' || (2000 + g % 24)"),
        ("updated_at", "timestamptz", TS),
    ],
    "payments": [
        ("id", "int PRIMARY KEY", "g"),
        ("order_id", "int", "g * 3"),
        ("card_number", "text", CARD),
        ("card_expiry", "text", "lpad((1 + g % 12)::text, 2, '0') || '/' || (27 + g % 5)"),
        ("cardholder_name", "text", FIRST + " || ' ' || " + LAST),
        ("iban", "text", IBAN),
        ("amount", "numeric(12,2)", AMOUNT),
        ("currency", "text", _pick(["EUR", "GBP", "USD"], 5)),
        ("paid_at", "timestamptz", TS),
        ("status", "text", STATUS),
        ("merchant_id", "int", "(g * 13) % 400"),
        ("terminal", "text", "'T-' || (g % 90)"),
        ("fee", "numeric(8,2)", "round((g % 300) / 100.0, 2)"),
        ("refunded", "boolean", "g % 17 = 0"),
        ("reference", "text", "md5(g::text)"),
        ("billing_email", "text", EMAIL),
        ("billing_country", "text", COUNTRY),
        ("risk_score", "real", "(g % 100) / 100.0"),
        ("batch_no", "int", "g / 50"),
        ("created_at", "timestamptz", TS),
    ],
    "employees": [
        ("id", "int PRIMARY KEY", "g"),
        ("full_name", "text", FIRST + " || ' ' || " + LAST),
        ("work_email", "text", EMAIL),
        ("ssn", "text", SSN),
        ("salary", "numeric(12,2)", "30000 + (g * 7919) % 90000"),
        ("department", "text", DEPT),
        ("hire_date", "date", "date '2005-01-01' + ((g * 13) % 7000)"),
        ("manager_id", "int", "g / 10"),
        ("date_of_birth", "date", DOB),
        ("home_phone", "text", PHONE),
        ("home_city", "text", CITY),
        ("grade", "text", "'G' || (1 + g % 9)"),
        ("office", "text", CITY),
        ("badge_no", "int", "100000 + g"),
        ("remote", "boolean", "g % 4 = 0"),
        ("bonus_pct", "numeric(5,2)", "(g % 20)::numeric"),
        ("cost_center", "text", "'CC' || (g % 60)"),
        ("start_shift", "time", "time '06:00' + (g % 12) * interval '1 hour'"),
        ("title", "text", _pick(["Analyst", "Engineer", "Manager", "Director", "Clerk"], 3)),
        ("updated_at", "timestamptz", TS),
    ],
    "patients": [
        ("id", "int PRIMARY KEY", "g"),
        ("mrn", "text", "'MRN' || lpad((g * 7)::text, 8, '0')"),
        ("full_name", "text", FIRST + " || ' ' || " + LAST),
        ("date_of_birth", "date", DOB),
        ("gender", "text", _pick(["F", "M", "X"], 1)),
        ("diagnosis_code", "text", DIAG),
        ("admitted_at", "timestamptz", TS),
        ("discharged_at", "timestamptz", TS + " + interval '3 days'"),
        ("ward", "text", "'W' || (g % 30)"),
        ("bed", "int", "g % 40"),
        ("email", "text", EMAIL),
        ("phone", "text", PHONE),
        ("postal_code", "text", "lpad(((g * 31) % 99999)::text, 5, '0')"),
        ("insurer", "text", _pick(["AOK", "TK", "Bupa", "AXA"], 3)),
        ("length_of_stay", "int", "1 + g % 20"),
        ("readmitted", "boolean", "g % 11 = 0"),
        ("triage_level", "int", "1 + g % 5"),
        ("temperature_c", "numeric(4,1)", "36 + (g % 30) / 10.0"),
        ("notes", "text", "'stable'"),
        ("updated_at", "timestamptz", TS),
    ],
    "telemetry": [
        ("id", "bigint PRIMARY KEY", "g"),
        ("device", "text", DEVICE),
        ("recorded_at", "timestamptz", TS),
        ("temperature", "real", "(g % 400) / 10.0"),
        ("humidity", "real", "(g % 100)::real"),
        ("pressure", "real", "950 + g % 100"),
        ("voltage", "numeric(6,3)", "round(((g % 500) / 100.0)::numeric, 3)"),
        ("status", "text", _pick(["ok", "warn", "fail"], 7)),
        ("firmware", "text", "'v' || (1 + g % 4) || '.' || (g % 10)"),
        ("site", "text", CITY),
        ("latitude", "double precision", "48 + (g % 1000) / 1000.0"),
        ("longitude", "double precision", "2 + (g % 1000) / 1000.0"),
        ("battery_pct", "int", "g % 101"),
        ("rssi", "int", "-30 - g % 70"),
        ("error_code", "int", "CASE WHEN g % 50 = 0 THEN g % 7 END"),
        ("sequence_no", "bigint", "g * 10"),
        ("checksum", "text", "md5((g * 3)::text)"),
        ("source_ip", "inet", "(" + IP + ")::inet"),
        ("calibrated", "boolean", "g % 2 = 0"),
        ("ingested_at", "timestamptz", TS),
    ],
}


def create_source(admin_url: str, source_url: str, database: str = SOURCE_DB, tables: int = TABLES) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {database}")
    kinds = list(SHAPES)
    with psycopg.connect(source_url) as conn:
        for i in range(tables):
            kind = kinds[i % len(kinds)]
            columns = SHAPES[kind]
            assert len(columns) == 20
            table = f"{kind}_{i:03d}"
            conn.execute(f"CREATE TABLE {table} ({', '.join(f'{c} {t}' for c, t, _ in columns)})")  # type: ignore[arg-type]
            conn.execute(  # type: ignore[arg-type]
                f"INSERT INTO {table} SELECT {', '.join(e for _, _, e in columns)} FROM generate_series(1, {ROWS}) g"
            )
        conn.commit()
    with psycopg.connect(source_url, autocommit=True) as conn:
        conn.execute("ANALYZE")


def bare_sampling(connection, credentials, assets, cpu) -> tuple[float, float]:  # noqa: ANN001
    """Wall and CPU seconds of the pipeline's own sampling calls for ``assets``, one after the other."""
    from core.discovery import connectors
    from core.scans.pipeline import SAMPLE_ROWS

    cpu_before, started = cpu(), time.perf_counter()
    for asset in assets:
        connectors.sample(connection, credentials, asset, rows=SAMPLE_ROWS)
    return time.perf_counter() - started, cpu() - cpu_before


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _times(pid: int | str) -> list[float]:
    """utime, stime, cutime, cstime of a process, in seconds (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return [int(value) / _TICKS for value in fields[11:15]]


def _children(pid: int | str) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def cpu_meter(pg_data: Path):  # noqa: ANN201
    """A function returning the CPU seconds used so far by this process, its live children (devhost's
    worker processes) and the embedded PostgreSQL server (its backends, live or exited): what a scan or
    the bare sampling costs on this machine's cores, whatever else runs on them. None without /proc."""
    if not Path("/proc/self/stat").exists():
        return None
    postmaster = (pg_data / "postmaster.pid").read_text().split()[0]

    def tree(pid: int | str, reaped: bool) -> float:
        total = sum(_times(pid)[:4] if reaped else _times(pid)[:2])
        for child in _children(pid):
            if str(child) == postmaster:  # counted below, with its backends
                continue
            try:
                total += sum(_times(child)[:2])
            except OSError:  # exited since it was listed: counted in the parent's reaped children
                pass
        return total

    return lambda: tree("self", False) + tree(postmaster, True)


def register(api: str, token: str, workspace_id: str, name: str, database: str, socket_dir: str) -> str:
    """Register a source database of the embedded server through the API and test it; its id."""
    connection = {**SOURCE, "host": socket_dir, "database": database}
    return register_source(api, token, workspace_id, name, connection, {"password": "unused-with-trust-auth"})


def settle(app_url: str, timeout: float = 120.0) -> None:
    """Wait until the app is idle: every event relayed, every bus delivery handled, no instance running
    (the warm-up scan's compliance re-evaluation must not run during the timed scan)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(app_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            busy = conn.execute(
                "SELECT (SELECT count(*) FROM outbox_events WHERE published_at IS NULL)"
                " + (SELECT count(*) FROM local_bus_deliveries WHERE state = 'active')"
                " + (SELECT count(*) FROM devhost_durable_instances WHERE status IN ('Pending', 'Running'))"
            ).fetchone()[0]
            if not busy:
                return
            time.sleep(0.2)
    raise SystemExit("the app did not settle after the warm-up scan")


def scan(api: str, token: str, workspace_id: str, source_id: str) -> dict:
    """A full (non-incremental) scan through the API, polled until it ends; the final scan resource."""
    scan_id = start_scan(api, token, workspace_id, source_id)
    while True:
        current = http_call("GET", f"{api}/v1/scans/{scan_id}", token=token).json()
        if current["status"] in ("completed", "failed", "cancelled"):
            return current
        time.sleep(0.25)


def main() -> None:
    logging.disable(logging.ERROR)  # also the Durable SDK's "Unclosed client session" at exit
    with tempfile.TemporaryDirectory(prefix="dw-scan-bench-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="stop")
        admin_url = server.get_uri()
        started = time.perf_counter()
        create_source(admin_url, server.get_uri(SOURCE_DB))
        create_source(admin_url, server.get_uri(WARMUP_DB), WARMUP_DB, WARMUP_TABLES)
        print(f"source_tables={TABLES}", flush=True)
        print(f"source_columns_per_table={len(SHAPES['customers'])}")
        print(f"source_rows_per_table={ROWS}")
        print(f"source_create_s={time.perf_counter() - started:.1f}", flush=True)

        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {APP_DB}")
        app_url = server.get_uri(APP_DB)
        apply_migrations(app_url, DEVHOST_MIGRATIONS)
        os.environ.update(
            DATAWAVE_ENV="local",
            DATAWAVE_POSTGRES_URL=app_url,
            DATAWAVE_DATA_DIR=str(Path(tmp) / "data"),
            DATAWAVE_AUTH_DEV_SECRET="bench-only-" + uuid.uuid4().hex,
            DATAWAVE_LOG_LEVEL="WARNING",
            DATAWAVE_TASK_HUB="ScanBench",
        )
        # Activities in two worker processes (one per core here), as FUNCTIONS_WORKER_PROCESS_COUNT does
        # in Azure; set it to 1 to time the single-process host.
        os.environ.setdefault("FUNCTIONS_WORKER_PROCESS_COUNT", "2")

        from core.auth.tokens import mint_dev_token
        from core.classification.shared import get_engine
        from core.datasources.model import PostgresConnection
        from core.discovery import connectors
        from core.settings import get_settings
        from devhost.durable.activities import worker_process_count
        from devhost.host import LocalHost

        host = LocalHost(ROOT, app_url, port=0)
        host.start_background()
        try:
            api = host.base_url + "/api"
            token = mint_dev_token(get_settings(), "bench-admin", ["Admin"], mfa=True)
            socket_dir = parse_qs(urlsplit(admin_url).query)["host"][0]
            ws = http_call("POST", f"{api}/v1/workspaces", token=token, json_body={"name": "Scan Bench"})
            assert ws.status == 201, ws.body
            workspace_id = ws.json()["id"]

            # A running function app has built its classification engine (seconds: Hyperscan database,
            # column model) in every worker process at its first scan: a small warm-up scan does that
            # here, so the scan is timed in a warm app.
            engine_started = time.perf_counter()
            get_engine()
            engine_s = time.perf_counter() - engine_started
            warm_started = time.perf_counter()
            warm = scan(api, token, workspace_id, register(api, token, workspace_id, "warm-up", WARMUP_DB, socket_dir))
            warm_s = time.perf_counter() - warm_started
            assert warm["status"] == "completed" and warm["progress"]["done"] == WARMUP_TABLES, warm
            settle(app_url)

            source_id = register(api, token, workspace_id, "bench-postgres", SOURCE_DB, socket_dir)
            connection = {**SOURCE, "host": socket_dir, "database": SOURCE_DB}
            credentials = {"password": "unused-with-trust-auth"}

            # The bare sampling: the pipeline's own connectors.sample calls on the discovered assets.
            conn_model = PostgresConnection.model_validate(connection)
            discover_started = time.perf_counter()
            assets = connectors.discover(conn_model, credentials).assets
            discover_s = time.perf_counter() - discover_started
            assert len(assets) == TABLES, len(assets)
            cpu = cpu_meter(Path(tmp) / "pg") or (lambda: 0.0)
            bare_before, bare_cpu_before = bare_sampling(conn_model, credentials, assets, cpu)

            scan_cpu, scan_started = cpu(), time.time()
            result = scan(api, token, workspace_id, source_id)
            scan_cpu = cpu() - scan_cpu
            # From the request to the moment the scan completed (the scan's own finished_at, same
            # clock): the quarter-second polling above must not count as scan time.
            scan_s = datetime.fromisoformat(result["finished_at"].replace("Z", "+00:00")).timestamp() - scan_started
            if result["status"] != "completed" or result["progress"]["done"] != TABLES:
                raise SystemExit(f"scan ended {result['status']}: {result['progress']} {result['error']}")

            bare_after, bare_cpu_after = bare_sampling(conn_model, credentials, assets, cpu)
            bare_s, bare_cpu = min((bare_before, bare_cpu_before), (bare_after, bare_cpu_after))
            classified = result["summary"].get("assets_with_classifications")
        finally:
            host.stop()

        print(f"worker_processes={worker_process_count()}")
        print(f"classification_engine_load_s={engine_s:.2f}")
        print(f"warm_up_scan_s={warm_s:.2f}")
        print(f"discovery_s={discover_s:.2f}")
        print(f"bare_sampling_pass1_s={bare_before:.2f}")
        print(f"bare_sampling_pass2_s={bare_after:.2f}")
        print(f"bare_sampling_s={bare_s:.2f}")
        print(f"scan_assets_done={result['progress']['done']}")
        print(f"scan_assets_with_classifications={classified}")
        print(f"scan_wall_s={scan_s:.2f}")
        print(f"scan_tables_per_s={TABLES / scan_s:.1f}")
        if cpu_meter(Path(tmp) / "pg") is not None:
            # CPU seconds (this process, its worker processes, PostgreSQL): steadier than wall time
            # on a machine whose speed drifts, and what 2 cores must fit.
            print(f"bare_sampling_cpu_s={bare_cpu:.2f}")
            print(f"scan_cpu_s={scan_cpu:.2f}")
            print(f"scan_vs_bare_sampling_cpu_ratio={scan_cpu / bare_cpu:.2f}")
        print(f"bare_sampling_tables_per_s={TABLES / bare_s:.1f}")
        print(f"scan_vs_bare_sampling_ratio={scan_s / bare_s:.2f}")


if __name__ == "__main__":
    main()
