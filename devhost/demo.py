"""``python -m devhost demo``: the product's main job end to end, on embedded defaults, over real HTTP.

Starts everything embedded (PostgreSQL, devhost with its durable engine and triggers), creates a
sample PostgreSQL database (customers, orders, payments, employees, patients, products) and a folder
of CSV/Parquet files, registers both as data sources, scans them through the API (each scan a
Durable saga), shows progress, and prints what was found per table and where to look next.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from core.auth.tokens import mint_dev_token
from core.db.database import get_database
from devhost.client import http_call
from devhost.host import LocalHost
from devhost.runtime import prepare
from devhost.sample_data import DEMO_DATABASE, create_demo_database, create_demo_files

DEMO_WORKSPACE = "DataWave Demo"
BAR = 30


def _say(text: str = "") -> None:
    print(text, flush=True)


class DemoFailed(RuntimeError):
    pass


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200, 201, 202)) -> Any:
        reply = http_call(method, self.base + path, token=self.token, json_body=body, timeout=120)
        if reply.status not in expect:
            raise DemoFailed(f"{method} {path} → {reply.status}: {reply.body.decode(errors='replace')[:300]}")
        return reply.json() if reply.body else None


def _workspace(api: Api) -> dict[str, Any]:
    listing = api.call("GET", "/v1/workspaces?limit=200")
    existing = next((w for w in listing["items"] if w["name"] == DEMO_WORKSPACE), None)
    if existing:
        return existing
    return api.call(
        "POST", "/v1/workspaces", {"name": DEMO_WORKSPACE, "description": "Created by the demo", "region": "westeurope"}
    )


def _source(api: Api, workspace_id: str, name: str, connection: dict[str, Any], credentials: dict | None) -> dict:
    sources = api.call("GET", f"/v1/workspaces/{workspace_id}/data-sources?limit=200")["items"]
    source = next((s for s in sources if s["name"] == name and s["state"] != "retired"), None)
    if source is None:
        body = {"name": name, "connection": connection, **({"credentials": credentials} if credentials else {})}
        source = api.call("POST", f"/v1/workspaces/{workspace_id}/data-sources", body)
    test = api.call("POST", f"/v1/workspaces/{workspace_id}/data-sources/{source['id']}/test")
    if not test["ok"]:
        raise DemoFailed(f"connection test of {name} failed: {test.get('error')}: {test.get('message')}")
    return source


def _progress_bar(done: int, total: int) -> str:
    filled = 0 if total == 0 else round(BAR * done / total)
    return "[" + "#" * filled + "-" * (BAR - filled) + f"] {done}/{total}"


def _scan(api: Api, workspace_id: str, source: dict[str, Any], label: str) -> dict[str, Any]:
    accepted = api.call(
        "POST", "/v1/scans", {"workspace_id": workspace_id, "data_source_id": source["id"], "incremental": False}
    )
    last = None
    while True:
        scan = api.call("GET", f"/v1/scans/{accepted['id']}")
        progress = scan["progress"]
        done = progress["done"] + progress["failed"] + progress["skipped"]
        line = f"   {label:<10} {_progress_bar(done, progress['total'])}  {scan['phase']}"
        if line != last:
            _say(line)
            last = line
        if scan["status"] in ("completed", "failed", "cancelled"):
            return scan
        time.sleep(0.3)


def _summary(api: Api, scan: dict[str, Any]) -> None:
    for asset in api.call("GET", f"/v1/scans/{scan['id']}/assets"):
        table = asset["qualified_name"].split("/")[-1]
        if asset["status"] == "failed":
            _say(f"   ✗ {table}: {asset['error']}")
            continue
        found = asset["classifications"]
        if not found:
            _say(f"   · {table}: {asset['columns']} columns, nothing sensitive")
            continue
        columns = ", ".join(f"{column} → {'/'.join(ids)}" for column, ids in sorted(found.items()))
        _say(f"   ● {table}: {columns}")


def _compliance(api: Api, workspace_id: str, folder: Path) -> Path:
    """Evaluate the five framework packs over what the scans found; summarise; write the HTML report."""
    evaluation = api.call("POST", f"/v1/workspaces/{workspace_id}/compliance/evaluate")
    summary = api.call("GET", f"/v1/workspaces/{workspace_id}/compliance/summary")
    severities = ", ".join(f"{n} {s}" for s, n in sorted(summary["by_severity"].items()) if n) or "none"
    _say(
        f"8. Compliance ({evaluation['policies']} policies over {evaluation['assets_evaluated']} assets): risk score "
        f"{summary['risk_score']}/100, {summary['open_violations']} open violations ({severities})"
    )
    for framework in summary["frameworks"]:
        _say(
            f"   {framework['name']:<24} {framework['passed']}/{framework['controls']} controls pass, "
            f"{framework['failed']} fail"
        )
    reply = http_call(
        "GET",
        f"{api.base}/v1/workspaces/{workspace_id}/compliance/reports/gdpr?format=html",
        token=api.token,
        timeout=120,
    )
    if reply.status != 200:
        raise DemoFailed(f"GDPR report → {reply.status}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "gdpr-report.html"
    path.write_bytes(reply.body)
    return path


def run_demo(app_dir: Path) -> int:
    settings = prepare(app_dir, log_level="WARNING")
    database_url = get_database().url
    host = LocalHost(app_dir, database_url, port=0)
    host.start_background()
    base = host.base_url + "/api"
    try:
        _say(f"DataWave demo — devhost serving {len(host.loaded.functions)} functions at {base}")
        health = http_call("GET", f"{base}/health").json()
        _say(
            f"1. Health: {health['status']} (version {health['version']}, database reachable="
            f"{health['database']['reachable']})"
        )

        token = mint_dev_token(settings, "demo-admin", ["Admin"], name="Demo Admin", mfa=True)
        api = Api(base, token)
        workspace = _workspace(api)
        _say(f"2. Workspace '{workspace['name']}' ({workspace['id']}), signed in as demo-admin (Admin, MFA)")

        info = conninfo_to_dict(database_url)
        create_demo_database(database_url, make_conninfo(database_url, dbname=DEMO_DATABASE))
        files = create_demo_files(settings.sources_root / "demo-files")
        _say(
            "3. Sample data: PostgreSQL database 'datawave_demo_source' (customers, orders, payments, "
            f"employees, patients, products) and files in {files}"
        )

        postgres = _source(
            api,
            workspace["id"],
            "demo-postgres",
            {
                "kind": "postgresql",
                "host": info.get("host") or "localhost",
                "port": int(info.get("port") or 5432),
                "database": DEMO_DATABASE,
                "username": info.get("user") or "postgres",
                "sslmode": "disable" if str(info.get("host", "")).startswith("/") else "prefer",
            },
            {"password": info.get("password") or "embedded-server-uses-trust-auth"},
        )
        folder = _source(api, workspace["id"], "demo-files", {"kind": "local_folder", "path": str(files)}, None)
        _say("4. Registered both data sources; connection tests passed (state validated)")

        _say("5. Scanning (each scan is a Durable saga: discover → classify batches in parallel → catalog):")
        scans = [
            (_scan(api, workspace["id"], postgres, "postgres"), "PostgreSQL"),
            (_scan(api, workspace["id"], folder, "files"), "files"),
        ]
        for scan, label in scans:
            if scan["status"] != "completed":
                raise DemoFailed(f"the {label} scan ended {scan['status']}: {scan.get('error')}")

        _say("6. What was found:")
        for scan, label in scans:
            _say(f"   {label}:")
            _summary(api, scan)

        hits = api.call("GET", "/v1/catalog/search?q=email")["items"]
        _say(f"7. Catalog search 'email' → {len(hits)} assets, e.g. " + ", ".join(h["name"] for h in hits[:3]))
        report = _compliance(api, workspace["id"], settings.data_dir / "reports")
        anonymous = http_call("GET", f"{base}/v1/workspaces")
        _say(
            f"9. Without a token every API answers {anonymous.status} ({anonymous.json()['error']['code']}); "
            f"the OpenAPI document is at {base}/openapi.json"
        )
        _say(f"   The GDPR compliance report (standalone HTML): {report}")
        _say()
        _say(
            "Next: `make start` (or `.venv/bin/python -m devhost start`) serves the API on "
            "http://127.0.0.1:7071/api; mint a token with `.venv/bin/python -m devhost token --sub you "
            "--roles Admin --mfa`; see README.md and docs/ (catalog, scans, security, devhost)."
        )
        return 0
    except DemoFailed as exc:
        _say(f"demo failed: {exc}")
        return 1
    finally:
        host.stop()
