"""With DATAWAVE_AUDIT_STORE=cosmos the same API records, searches and verifies in Cosmos DB
(@vercel/cosmosdb-server started by this module)."""

from __future__ import annotations

import os
import uuid
import warnings

import psycopg
import pytest

from core.audit.cosmos import reset_cosmos_store
from core.settings import reset_settings_cache
from tests.unit.audit.cosmos_emulator import EMULATOR_KEY, cosmos_emulator


@pytest.fixture(scope="module")
def cosmos_env(app_env):
    warnings.filterwarnings("ignore", message="Unverified HTTPS request")
    with cosmos_emulator() as endpoint:
        values = {
            "DATAWAVE_AUDIT_STORE": "cosmos",
            "DATAWAVE_COSMOS_ENDPOINT": endpoint,
            "DATAWAVE_COSMOS_KEY": EMULATOR_KEY,
            "DATAWAVE_COSMOS_VERIFY_TLS": "false",
            "DATAWAVE_COSMOS_AUDIT_CONTAINER": "audit-" + uuid.uuid4().hex[:6],
        }
        os.environ.update(values)
        reset_settings_cache()
        reset_cosmos_store()
        yield values
        for key in values:
            os.environ.pop(key, None)
        reset_settings_cache()
        reset_cosmos_store()


def test_changes_and_denials_are_recorded_in_cosmos(cosmos_env, client, make_token, database_url):
    admin = make_token("root", ["Admin"], mfa=True)
    created = client.request("POST", "/api/v1/workspaces", token=admin, json_body={"name": "Cosmos Audited"})
    assert created.status == 201
    ws = created.json()["id"]
    body = {"principal_id": "cara", "role": "Viewer"}
    assert client.request("POST", f"/api/v1/workspaces/{ws}/members", token=admin, json_body=body).status == 201
    outsider = make_token("oscar", ["Viewer"], workspaces=[uuid.UUID(ws)])
    assert client.request("POST", f"/api/v1/workspaces/{ws}/members", token=outsider, json_body=body).status == 403

    records = client.request("GET", f"/api/v1/audit?workspace_id={ws}", token=admin).json()["items"]
    assert [(r["seq"], r["action"], r["outcome"]) for r in records] == [
        (3, "workspaces.add_member", "denied"),
        (2, "workspaces.add_member", "success"),
        (1, "workspaces.create_workspace", "success"),
    ]
    verified = client.request("GET", f"/api/v1/audit/verify?workspace_id={ws}", token=admin).json()
    assert verified["ok"] and verified["records_checked"] == 3
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM audit_records WHERE chain = %s", (ws,)).fetchone()[0] == 0


def test_a_record_cosmos_refuses_after_the_commit_is_logged_and_the_change_still_succeeds(
    cosmos_env, client, make_token, database_url, caplog
):
    """Cosmos cannot join the PostgreSQL transaction: once the change has committed, failing the request
    would tell the caller it did not happen. The lost record is logged instead (runs last: it drops the
    container the store writes to)."""
    from core.audit.cosmos import shared_cosmos_store

    admin = make_token("root", ["Admin"], mfa=True)
    ws = client.request("POST", "/api/v1/workspaces", token=admin, json_body={"name": "Cosmos Outage"}).json()["id"]
    store = shared_cosmos_store()
    store.container.client_connection.DeleteContainer(store.container.container_link)
    body = {"principal_id": "olly", "role": "Viewer"}
    reply = client.request(
        "POST",
        f"/api/v1/workspaces/{ws}/members",
        token=admin,
        json_body=body,
        headers={"x-correlation-id": "cosmos-outage-1"},
    )
    assert reply.status == 201, reply.body
    with psycopg.connect(database_url) as conn:
        held = conn.execute(
            "SELECT count(*) FROM role_assignments WHERE workspace_id = %s AND principal_id = 'olly'", (ws,)
        ).fetchone()[0]
    assert held == 1
    [lost] = [r for r in caplog.records if r.getMessage().startswith("audit record lost")]
    assert (lost.audit_correlation_id, lost.audit_action) == ("cosmos-outage-1", "workspaces.add_member")
