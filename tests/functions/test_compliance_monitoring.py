"""Monitoring: the sweep's activities and the event consumer (idempotent by CloudEvent id)."""

from __future__ import annotations

import json
import uuid

from activities import compliance as activities
from core.compliance import monitoring


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


def test_unreadable_events_are_refused():
    try:
        monitoring.handle_event(b"not json")
    except monitoring.InvalidEvent:
        return
    raise AssertionError("expected InvalidEvent")
