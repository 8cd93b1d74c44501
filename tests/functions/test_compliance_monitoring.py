"""Monitoring: the sweep's activities and the event consumer (idempotent by CloudEvent id)."""

from __future__ import annotations

import json
import uuid

import psycopg

from activities import compliance as activities
from core.compliance import monitoring
from tests.waiting import eventually


def _event(event_type, workspace_id, data, event_id=None):
    return json.dumps(
        {
            "specversion": "1.0",
            "id": event_id or str(uuid.uuid4()),
            "type": event_type,
            "source": "/test",
            "workspaceid": workspace_id,
            "data": data,
        }
    )


def _setup(client, make_token):
    admin = make_token("officer", ["Admin"], mfa=True)
    ws = client.request("POST", "/api/v1/workspaces", token=admin, json_body={"name": "Mon " + uuid.uuid4().hex[:6]})
    ws_id = ws.json()["id"]
    table = client.request(
        "POST",
        f"/api/v1/workspaces/{ws_id}/catalog/scan-results",
        token=admin,
        json_body={
            "namespace": "postgres://m:5432",
            "name": "m.public.cards",
            "columns": [
                {
                    "name": "pan",
                    "classifications": [
                        {
                            "classification_id": "credit_card_number",
                            "confidence": 0.9,
                            "sensitivity": "Highly Confidential",
                        }
                    ],
                }
            ],
        },
    )
    return admin, ws_id, table.json()["asset"]["children"][0]["id"]


def test_the_sweep_and_event_consumer_are_registered(loaded_app):
    names = {f.get_function_name() for f in loaded_app.functions}
    assert {
        "compliance_sweep_timer",
        "compliance_sweep_orchestrator",
        "compliance_sweep_workspace",
        "compliance_list_workspaces",
        "compliance_event_received",
    } <= names


def test_sweep_activity_evaluates_a_workspace(client, make_token):
    admin, ws, pan = _setup(client, make_token)
    assert ws in activities.compliance_list_workspaces(None)
    result = activities.compliance_sweep_workspace(ws)
    assert result["opened"] >= 1 and result["trigger"] == "sweep"
    assert activities.compliance_sweep_workspace(ws)["opened"] == 0  # repeated: same violations
    assert activities.compliance_sweep_workspace(str(uuid.uuid4()))["skipped"] == "deleted"


def test_classification_event_reevaluates_the_asset_once(client, make_token):
    admin, ws, pan = _setup(client, make_token)
    body = _event("datawave.classification.accepted", ws, {"asset_id": pan})
    first = monitoring.handle_event(body)
    assert first["evaluated"][0]["opened"] >= 1
    assert monitoring.handle_event(body) == {"event_id": json.loads(body)["id"], "duplicate": True}
    client.request("PATCH", f"/api/v1/catalog/assets/{pan}", token=admin, json_body={"properties": {"masked": True}})
    again = monitoring.handle_event(_event("datawave.scan.completed", ws, {"scan_id": "s"}))
    assert again["evaluated"][0]["resolved"] >= 1


def test_scan_suggestions_wait_for_the_end_of_their_scan(client, make_token):
    admin, ws, pan = _setup(client, make_token)
    suggested = monitoring.handle_event(
        _event("datawave.classification.suggested", ws, {"scan_id": "s1", "asset_id": pan})
    )
    assert suggested["evaluated"] == [] and suggested["deferred_to"] == "end of scan"
    # A scan that fails part-way still re-evaluates the workspace, its partial results included.
    ended = monitoring.handle_event(_event("datawave.scan.failed", ws, {"scan_id": "s1", "error": "x"}))
    assert ended["evaluated"][0]["workspace_id"] == ws and ended["evaluated"][0]["opened"] >= 1
    assert [v["asset_id"] for v in _open_violations(client, admin, ws, "pci_dss/card_numbers_unmasked")] == [pan]
    # A suggestion made outside a scan (no scan_id) is evaluated at once.
    manual = monitoring.handle_event(_event("datawave.classification.suggested", ws, {"asset_id": pan}))
    assert manual["evaluated"][0]["workspace_id"] == ws


def test_events_with_nothing_to_evaluate_write_nothing(client, make_token, database_url):
    _, ws, pan = _setup(client, make_token)
    body = _event("datawave.catalog.asset.upserted", ws, {"asset_id": pan})
    assert monitoring.handle_event(body)["ignored"] is True
    with psycopg.connect(database_url) as conn:
        claimed = conn.execute(
            "SELECT count(*) FROM consumed_messages WHERE message_id = %s", (json.loads(body)["id"],)
        ).fetchone()[0]
    assert claimed == 0


def test_unreadable_events_are_refused():
    try:
        monitoring.handle_event(b"not json")
    except monitoring.InvalidEvent:
        return
    raise AssertionError("expected InvalidEvent")


def _open_violations(client, token, ws, policy_ref):
    reply = client.request(
        "GET", f"/api/v1/workspaces/{ws}/compliance/violations?policy_ref={policy_ref}&open=true", token=token
    )
    assert reply.status == 200, reply.body
    return reply.json()["items"]


def test_a_grant_change_reevaluates_the_workspace_through_the_event_bus(client, make_token, app_env):
    """Assignment created -> datawave.authz.assignment.created in the outbox -> relay -> the compliance
    consumer re-evaluates the workspace -> a violation opens; deleting the assignment resolves it."""
    admin, ws, pan = _setup(client, make_token)
    policy = "pci_dss/cardholder_data_readable_without_clearance"
    activities.compliance_sweep_workspace(ws)
    assert _open_violations(client, admin, ws, policy) == []  # only Admin reads it so far

    granted = client.request(
        "POST",
        "/api/v1/authz/assignments",
        token=admin,
        json_body={"principal_id": "analyst-" + uuid.uuid4().hex[:6], "role": "Viewer", "workspace_id": ws},
    )
    assert granted.status == 201, granted.body
    assignment = granted.json()
    with psycopg.connect(app_env["DATAWAVE_POSTGRES_URL"]) as conn:
        event = conn.execute(
            "SELECT type, workspace_id::text, data FROM outbox_events WHERE subject = %s",
            (f"assignments/{assignment['id']}",),
        ).fetchone()
    assert event[0] == "datawave.authz.assignment.created" and event[1] == ws
    assert event[2]["role"] == "Viewer" and event[2]["principal_id"] == assignment["principal_id"]

    opened = eventually(lambda: _open_violations(client, admin, ws, policy))
    assert len(opened) == 1 and opened[0]["asset_id"] != pan  # the table, not the column

    revoked = client.request("DELETE", f"/api/v1/authz/assignments/{assignment['id']}", token=admin)
    assert revoked.status == 204, revoked.body
    assert eventually(lambda: _open_violations(client, admin, ws, policy) == [])
