"""Files landing in the landing container are scanned by the app's blob trigger, end to end (issue 7,
point 6): Azurite, devhost on the real function app with ``LandingStorage`` pointing at it, and Azure
Blob data sources registered through the API. The tests never request a scan: every scan is started by
``landing_blob_arrived``."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from azure.storage.blob import BlobServiceClient

from devhost.client import http_call
from tests.conftest import AZURITE_KEY
from tests.e2e.conftest import devhost_env, start_devhost
from tests.waiting import eventually

NAMES = ["Anna Smith", "Ben Okafor", "Chloé Dubois", "David Rossi", "Emma Novak", "Farid Haddad"]
CITIES = ["Leeds", "Lyon", "Porto"]
BURST = 16
LANDING = "wasbs://landing@devstoreaccount1.blob.core.windows.net/"  # the account name, not Azurite's URL


def _csv(rows: int, offset: int = 0, name_column: str = "full_name") -> bytes:
    lines = [f"customer_id,{name_column},email,city"]
    for i in range(offset, offset + rows):
        name = NAMES[i % len(NAMES)]
        email = name.lower().replace(" ", ".").replace("é", "e") + f"{i}@example.com"
        lines.append(f"{i},{name},{email},{CITIES[i % len(CITIES)]}")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def landing(azurite):
    container = BlobServiceClient.from_connection_string(azurite.connection_string).get_container_client("landing")
    container.create_container()
    return container


@pytest.fixture(scope="module")
def host(database_url, azurite, landing, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("landing-data")
    env = devhost_env(database_url, data_dir)
    env["LandingStorage"] = azurite.connection_string
    running = start_devhost(env, data_dir / "devhost.log", extra_args=["--blob-poll-seconds", "0.3"])
    yield running
    running.stop()


class Api:
    def __init__(self, host) -> None:
        self.base = host.base_url + "/api/v1"
        self.token = host.token("--sub", "landing-admin", "--roles", "Admin", "--mfa")

    def call(self, method: str, path: str, body: object = None, expect: int = 200) -> Any:
        reply = http_call(method, self.base + path, token=self.token, json_body=body)
        assert reply.status == expect, (method, path, reply.status, reply.body)
        return reply.json() if reply.body else None

    def blob_source(self, workspace: str, url: str, prefix: str) -> tuple[str, str]:
        """A workspace with an Azure Blob source reading ``landing/<prefix>`` on Azurite (account key),
        connection-tested (validated, so scannable)."""
        workspace_id = self.call("POST", "/workspaces", {"name": workspace}, expect=201)["id"]
        body = {
            "name": f"landing-{prefix}",
            "connection": {
                "kind": "azure_blob",
                "account_url": url,  # http://127.0.0.1:<port>/devstoreaccount1: allowed in local mode
                "container": "landing",
                "prefix": prefix,
                "auth": "account_key",
            },
            "credentials": {"account_key": AZURITE_KEY},  # write-only; kept in the secret store
        }
        source = self.call("POST", f"/workspaces/{workspace_id}/data-sources", body, expect=201)
        assert self.call("POST", f"/workspaces/{workspace_id}/data-sources/{source['id']}/test")["ok"]
        return workspace_id, source["id"]

    def scans(self, workspace_id: str, source_id: str) -> list[dict]:
        return self.call("GET", f"/workspaces/{workspace_id}/scans?data_source_id={source_id}")["items"]


def _ended(scans: list[dict]) -> list[dict]:
    return [s for s in scans if s["status"] not in ("queued", "running", "paused")]


def test_landed_files_are_scanned_incrementally_by_the_blob_trigger(host, azurite, landing):
    api = Api(host)
    workspace_id, source_id = api.blob_source("Landing", azurite.url, "crm")
    assert api.scans(workspace_id, source_id) == []  # nothing scans the source until a file lands

    # -- a first file lands: the trigger starts an incremental scan, which classifies it ------------
    landing.upload_blob("crm/customers.csv", _csv(40))
    first = eventually(lambda: _ended(api.scans(workspace_id, source_id)), timeout=30)
    assert len(first) == 1, (api.scans(workspace_id, source_id), host.logs()[-3000:])
    first = first[0]
    assert first["status"] == "completed", (first, host.logs()[-3000:])
    assert (first["trigger"], first["incremental"], first["requested_by"]) == ("blob", True, "blob:landing")
    assert first["progress"] == {"total": 1, "done": 1, "failed": 0, "skipped": 0}

    customers = LANDING + "crm/customers.csv"
    (asset,) = api.call("GET", f"/scans/{first['id']}/assets")
    assert (asset["qualified_name"], asset["status"]) == (customers, "done")
    assert asset["classifications"]["email"] == ["email_address"], asset
    assert "person_name" in asset["classifications"]["full_name"], asset
    assert "customer_id" not in asset["classifications"] and "city" not in asset["classifications"]

    # ... and the catalog has the file with its classified columns.
    hits = api.call("GET", f"/catalog/search?workspace_id={workspace_id}&classification=email_address&type=column")
    assert [h["qualified_name"] for h in hits["items"]] == [customers + "#email"], hits
    catalogued = api.call("GET", f"/catalog/assets/{asset['catalog_asset_id']}")
    assert (catalogued["qualified_name"], catalogued["type"]) == (customers, "file_set")
    columns = {c["display_name"]: c["id"] for c in catalogued["children"] if c["type"] == "column"}
    assert set(columns) == {"customer_id", "full_name", "email", "city"}, catalogued["children"]
    email = api.call("GET", f"/catalog/assets/{columns['email']}")
    assert [(c["classification_id"], c["source"]) for c in email["classifications"]] == [("email_address", "scan")]
    name = api.call("GET", f"/catalog/assets/{columns['full_name']}")
    assert "person_name" in [c["classification_id"] for c in name["classifications"]]

    # -- a second file lands: a new incremental scan scans it and skips the unchanged first one -----
    landing.upload_blob("crm/leads.csv", _csv(30, offset=100, name_column="contact_name"))
    second = eventually(lambda: [s for s in _ended(api.scans(workspace_id, source_id)) if s["id"] != first["id"]])
    assert len(second) == 1, (api.scans(workspace_id, source_id), host.logs()[-3000:])
    second = second[0]
    assert (second["status"], second["trigger"], second["previous_scan_id"]) == ("completed", "blob", first["id"])
    assert second["progress"] == {"total": 2, "done": 1, "failed": 0, "skipped": 1}, second
    leads = LANDING + "crm/leads.csv"
    by_name = {a["qualified_name"]: a for a in api.call("GET", f"/scans/{second['id']}/assets")}
    assert by_name[customers]["status"] == "skipped"
    assert by_name[customers]["classifications"] == asset["classifications"]  # carried over
    assert by_name[leads]["status"] == "done"
    assert by_name[leads]["classifications"]["email"] == ["email_address"]
    assert "person_name" in by_name[leads]["classifications"]["contact_name"]
    diff = api.call("GET", f"/scans/{second['id']}/diff")
    assert (diff["new_assets"], diff["removed_assets"]) == ([leads], [])
    found = api.call("GET", f"/catalog/search?workspace_id={workspace_id}&q=leads&type=file_set")
    assert [h["qualified_name"] for h in found["items"]] == [leads]
    assert len(api.scans(workspace_id, source_id)) == 2  # one per landed file, none requested by the test


def _receipts(database_url: str, prefix: str) -> dict[str, tuple[str, int]]:
    """devhost's blob receipts of landing_blob_arrived: blob → (status, attempts)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT blob_path, status, attempts FROM devhost_blob_receipts"
            " WHERE function_name = 'landing_blob_arrived' AND blob_path LIKE %s",
            (f"landing/{prefix}/%",),
        ).fetchall()
    return {path: (status, attempts) for path, status, attempts in rows}


def test_files_landing_while_their_source_is_scanned_join_that_scan(host, azurite, landing, database_url):
    """A burst: the first file starts a scan and the others join it. A file landing after that scan
    listed the container (held paused here, so that it is still running then) joins it too: the trigger
    succeeds at once, and the scan discovers the source again before it finishes. Before, such a file's
    trigger failed (scan_already_running) until the blob was poisoned, and the file was never scanned."""
    api = Api(host)
    workspace_id, source_id = api.blob_source("Landing burst", azurite.url, "burst")
    files = [f"burst/part-{i:02d}.csv" for i in range(BURST)]
    for i, path in enumerate(files):
        landing.upload_blob(path, _csv(40, offset=1000 + 40 * i))

    (scan,) = eventually(lambda: api.scans(workspace_id, source_id), timeout=20) or [None]
    assert scan is not None, host.logs()[-3000:]
    assert api.call("POST", f"/scans/{scan['id']}/pause")["status"] == "paused"
    listed = eventually(lambda: api.call("GET", f"/scans/{scan['id']}")["phase"] == "scanning", timeout=20)
    assert listed, api.call("GET", f"/scans/{scan['id']}")  # discovery has listed the container

    files.append("burst/late.csv")
    landing.upload_blob(files[-1], _csv(20, offset=5000))
    late = "landing/burst/late.csv"
    assert eventually(lambda: _receipts(database_url, "burst").get(late) == ("done", 1), timeout=10), _receipts(
        database_url, "burst"
    )
    assert api.call("POST", f"/scans/{scan['id']}/resume")["status"] == "running"

    ended = eventually(lambda: _ended(api.scans(workspace_id, source_id)), timeout=40)
    assert [s["id"] for s in ended] == [scan["id"]], (api.scans(workspace_id, source_id), host.logs()[-3000:])
    assert ended[0]["status"] == "completed", ended
    assert ended[0]["progress"] == {"total": BURST + 1, "done": BURST + 1, "failed": 0, "skipped": 0}
    assets = api.call("GET", f"/scans/{scan['id']}/assets")
    assert sorted(a["qualified_name"] for a in assets) == sorted(LANDING + path for path in files)
    assert all(a["status"] == "done" and a["classifications"]["email"] == ["email_address"] for a in assets), assets

    hits = api.call(
        "GET", f"/catalog/search?workspace_id={workspace_id}&classification=email_address&type=column&limit=100"
    )
    assert sorted(h["qualified_name"] for h in hits["items"]) == sorted(f"{LANDING}{p}#email" for p in files)
    # Every landed blob's trigger succeeded at its first attempt: none retried, none poisoned.
    assert _receipts(database_url, "burst") == {f"landing/{path}": ("done", 1) for path in files}
    assert api.scans(workspace_id, source_id) == ended  # one scan for the whole burst
