"""Lineage over HTTP: OpenLineage RunEvents (including from the real openlineage-python client over a
socket), manual edges, bad input, graph, impact, and propagation through the API."""

from __future__ import annotations

import copy
import uuid

import pytest

from core.auth.tokens import mint_dev_token
from core.catalog.openlineage import RunEvent
from core.settings import get_settings

NS = "postgres://etl.internal:5432"
EXAMPLE = RunEvent.model_json_schema()["examples"][0]


@pytest.fixture(scope="module")
def admin(make_token):
    return make_token("engineer", ["Admin"], mfa=True)


def new_ws(client, admin, name):
    return client.request("POST", "/api/v1/workspaces", token=admin, json_body={"name": name}).json()["id"]


@pytest.fixture(scope="module")
def ws(client, admin):
    return new_ws(client, admin, "Lineage API")


def event(inputs, outputs, column_lineage=None):
    body = {
        "eventType": "COMPLETE",
        "eventTime": "2026-11-02T10:00:00Z",
        "producer": "tests",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "etl", "name": "job"},
        "inputs": [{"namespace": NS, "name": n} for n in inputs],
        "outputs": [{"namespace": NS, "name": n} for n in outputs],
    }
    if column_lineage:
        fields = {
            out: {"inputFields": [{"namespace": NS, "name": src, "field": f} for src, f in ins]}
            for out, ins in column_lineage.items()
        }
        body["outputs"][0]["facets"] = {"columnLineage": {"fields": fields}}
    return body


def post(client, token, ws, body, path="lineage"):
    return client.request("POST", f"/api/v1/workspaces/{ws}/{path}", token=token, json_body=body)


def find(client, token, ws, name, asset_type="table"):
    hits = client.request(
        "GET", f"/api/v1/catalog/search?workspace_id={ws}&type={asset_type}&q={name}", token=token
    ).json()["items"]
    return next(h for h in hits if h["name"].endswith(name))


def test_run_event_records_table_and_column_lineage(client, admin, ws):
    reply = post(client, admin, ws, event(["db.s.raw"], ["db.s.clean"], {"mail": [("db.s.raw", "email")]}))
    assert reply.status == 201, reply.body
    assert reply.json()["edges_added"] == 2
    again = post(client, admin, ws, event(["db.s.raw"], ["db.s.clean"], {"mail": [("db.s.raw", "email")]}))
    assert again.json()["edges_added"] == 0 and again.json()["edges_seen"] == 2
    raw = find(client, admin, ws, "db.s.raw")
    graph = client.request("GET", f"/api/v1/catalog/assets/{raw['id']}/lineage?direction=downstream", token=admin)
    assert [n["name"] for n in graph.json()["nodes"]] == ["db.s.clean"]
    email = find(client, admin, ws, "raw#email", "column")
    col_graph = client.request("GET", f"/api/v1/catalog/assets/{email['id']}/lineage", token=admin).json()
    assert [n["name"] for n in col_graph["nodes"]] == ["db.s.clean#mail"]


def test_invalid_event_is_rejected_with_the_reason(client, admin, ws):
    body = event(["db.s.a"], ["not-a-table"])
    reply = post(client, admin, ws, body)
    assert (reply.status, reply.json()["error"]["code"]) == (422, "invalid_openlineage_event")
    assert reply.json()["error"]["details"][0]["field"] == "outputs[0]"
    missing_run = {k: v for k, v in event(["db.s.a"], ["db.s.b"]).items() if k != "run"}
    reply = post(client, admin, ws, missing_run)
    assert reply.status == 422 and reply.json()["error"]["details"][0]["field"] == "body.run"


def test_partially_invalid_batch_writes_nothing(client, admin, ws):
    good = event(["db.s.batch_in"], ["db.s.batch_out"])
    bad = event(["db.s.batch_in"], ["db.s.batch_out2"])
    bad["outputs"][0]["namespace"] = "mysql://nope:1"
    reply = post(client, admin, ws, {"events": [good, bad]}, "lineage/batch")
    assert reply.status == 422 and reply.json()["error"]["details"][0]["field"].startswith("events[1].")
    hits = client.request("GET", f"/api/v1/catalog/search?workspace_id={ws}&q=batch_in", token=admin).json()
    assert hits["items"] == []


def test_self_loops_are_refused(client, admin, ws):
    reply = post(client, admin, ws, event(["db.s.loop"], ["db.s.loop"]))
    assert (reply.status, reply.json()["error"]["code"]) == (422, "lineage_self_loop")
    table = client.request(
        "POST",
        f"/api/v1/workspaces/{ws}/catalog/assets",
        token=admin,
        json_body={"type": "table", "namespace": NS, "name": "db.s.solo"},
    ).json()
    reply = post(client, admin, ws, {"source_id": table["id"], "target_id": table["id"]}, "lineage/edges")
    assert (reply.status, reply.json()["error"]["code"]) == (422, "lineage_self_loop")


def test_edges_to_another_workspace_are_refused(client, admin, ws):
    other = new_ws(client, admin, "Lineage Other")
    mine = client.request(
        "POST",
        f"/api/v1/workspaces/{ws}/catalog/assets",
        token=admin,
        json_body={"type": "table", "namespace": NS, "name": "db.s.mine"},
    ).json()
    theirs = client.request(
        "POST",
        f"/api/v1/workspaces/{other}/catalog/assets",
        token=admin,
        json_body={"type": "table", "namespace": NS, "name": "db.s.theirs"},
    ).json()
    reply = post(client, admin, ws, {"source_id": mine["id"], "target_id": theirs["id"]}, "lineage/edges")
    assert (reply.status, reply.json()["error"]["code"]) == (422, "cross_workspace_lineage")


def test_impact_lists_downstream_owners_and_classifications(client, admin, ws):
    post(client, admin, ws, event(["db.s.i0"], ["db.s.i1"]))
    post(client, admin, ws, event(["db.s.i1"], ["db.s.i2"]))
    i0, i2 = find(client, admin, ws, "db.s.i0"), find(client, admin, ws, "db.s.i2")
    client.request(
        "PATCH",
        f"/api/v1/catalog/assets/{i2['id']}",
        token=admin,
        json_body={"owners": [{"principal_id": "bi-team", "principal_type": "group"}]},
    )
    added = client.request(
        "POST",
        f"/api/v1/catalog/assets/{i0['id']}/classifications",
        token=admin,
        json_body={"classification_id": "us_ssn", "sensitivity": "Highly Confidential"},
    )
    assert added.status == 201, added.body
    impact = client.request("GET", f"/api/v1/catalog/assets/{i0['id']}/impact?depth=10", token=admin).json()
    assert [(i["asset"]["name"], i["depth"]) for i in impact["items"]] == [("db.s.i1", 1), ("db.s.i2", 2)]
    last = impact["items"][1]
    assert last["owners"][0]["principal_id"] == "bi-team"
    assert last["classifications"][0]["source"] == "propagated"
    assert last["classifications"][0]["origin_id"] == added.json()["id"]


def test_post_lineage_without_workspace_uses_the_tokens_only_workspace(client, make_token, admin, ws):
    scoped = make_token("pipeline", ["DataEngineer"], workspaces=[uuid.UUID(ws)])
    reply = client.request("POST", "/api/v1/lineage", token=scoped, json_body=event(["db.s.d0"], ["db.s.d1"]))
    assert reply.status == 201, reply.body
    assert find(client, admin, ws, "db.s.d1")["workspace_id"] == ws
    reply = client.request("POST", "/api/v1/lineage", token=admin, json_body=event(["db.s.d0"], ["db.s.d1"]))
    assert (reply.status, reply.json()["error"]["code"]) == (422, "workspace_required")


def test_the_example_body_is_a_valid_event(client, admin, ws):
    reply = post(client, admin, ws, copy.deepcopy(EXAMPLE))
    assert reply.status == 201, reply.body


# -- the real openlineage-python client over HTTP ---------------------------------------------------
@pytest.fixture(scope="module")
def devhost(database_url, tmp_path_factory, app_env):
    from tests.e2e.conftest import devhost_env, start_devhost

    data_dir = tmp_path_factory.mktemp("lineage-devhost")
    running = start_devhost(devhost_env(database_url, data_dir), data_dir / "devhost.log")
    yield running
    running.stop()


def test_openlineage_python_client_http_transport(devhost, client, admin, ws):
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import column_lineage_dataset, schema_dataset
    from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport

    token = mint_dev_token(get_settings(), "ol-client", ["DataEngineer"], workspaces=[uuid.UUID(ws)])
    config = HttpConfig(
        url=devhost.base_url,
        endpoint=f"api/v1/workspaces/{ws}/lineage",
        timeout=10,
        auth=ApiKeyTokenProvider({"api_key": token}),
    )
    ol = OpenLineageClient(transport=HttpTransport(config))
    lineage_facet = column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            "customer_mail": column_lineage_dataset.Fields(
                inputFields=[column_lineage_dataset.InputField(namespace=NS, name="shop.public.users", field="email")],
                transformationDescription="lower()",
                transformationType="IDENTITY",
            )
        }
    )
    schema = schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name="email", type="text")]
    )
    ol.emit(
        RunEvent(
            eventType=RunState.COMPLETE,
            eventTime="2026-11-02T10:00:00.000Z",
            run=Run(runId=str(uuid.uuid4())),
            job=Job(namespace="spark", name="users_to_mart"),
            producer="https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python",
            inputs=[InputDataset(namespace=NS, name="shop.public.users", facets={"schema": schema})],
            outputs=[
                OutputDataset(namespace=NS, name="mart.public.customers", facets={"columnLineage": lineage_facet})
            ],
        )
    )
    users = find(client, admin, ws, "shop.public.users")
    graph = client.request("GET", f"/api/v1/catalog/assets/{users['id']}/lineage?direction=downstream", token=admin)
    assert [n["name"] for n in graph.json()["nodes"]] == ["mart.public.customers"]
    edge = graph.json()["edges"][0]
    assert (edge["origin"], edge["job_name"]) == ("openlineage", "users_to_mart")
    mail = find(client, admin, ws, "customers#customer_mail", "column")
    col = client.request("GET", f"/api/v1/catalog/assets/{mail['id']}/lineage?direction=upstream", token=admin)
    assert [n["name"] for n in col.json()["nodes"]] == ["shop.public.users#email"]
    assert find(client, admin, ws, "users#email", "column")["data_type"] == "text"
