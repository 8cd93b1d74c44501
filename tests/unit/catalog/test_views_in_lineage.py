"""A PostgreSQL view is one relation whether a scan or OpenLineage names it first: OpenLineage says
"table" for any relation, a scan knows whether it is a table or a view."""

from __future__ import annotations

import uuid

import pytest

from core.catalog import assets, lineage
from core.catalog.model import AssetCreate, DiscoveredTable
from core.catalog.openlineage import RunEvent
from core.db.unit_of_work import UnitOfWork
from tests.unit.catalog.conftest import PG, admin


def run_event(source, target, field=None):
    output = {"namespace": PG, "name": target}
    if field:
        inputs = [{"namespace": PG, "name": source, "field": field}]
        output["facets"] = {"columnLineage": {"fields": {field: {"inputFields": inputs}}}}
    return RunEvent.model_validate(
        {
            "eventType": "COMPLETE",
            "eventTime": "2026-11-02T10:00:00Z",
            "producer": "tests",
            "run": {"runId": str(uuid.uuid4())},
            "job": {"namespace": "etl", "name": "job"},
            "inputs": [{"namespace": PG, "name": source}],
            "outputs": [output],
        }
    )


def scanned(name, asset_type):
    return DiscoveredTable.model_validate(
        {"namespace": PG, "name": name, "type": asset_type, "columns": [{"name": "id", "data_type": "int"}]}
    )


def asset(database, workspace, name):
    with UnitOfWork(database) as uow:
        return uow.catalog.find(workspace, PG, name)


def test_openlineage_reads_a_scanned_view_with_its_columns(database, workspace):
    with UnitOfWork(database) as uow:
        view = assets.upsert_discovered(uow, admin(), workspace, scanned("db.s.active_users", "view")).asset
    with UnitOfWork(database) as uow:
        result = lineage.record_events(uow, admin(), workspace, [run_event("db.s.active_users", "db.s.report", "id")])
    assert (result.edges_added, result.assets_created) == (2, 2)  # a table and a column edge; report, report#id
    same = asset(database, workspace, "db.s.active_users")
    assert (same["id"], same["type"]) == (view.id, "view")
    with UnitOfWork(database) as uow:
        down = lineage.impact(uow, admin(), view.id, lineage.ImpactQuery(depth=1))
        column = uow.catalog.find(workspace, PG, "db.s.active_users#id")
        column_down = lineage.impact(uow, admin(), column["id"], lineage.ImpactQuery(depth=1))
    assert [i.asset.name for i in down.items] == ["db.s.report"]
    assert [i.asset.name for i in column_down.items] == ["db.s.report#id"]


def test_a_scan_retypes_a_relation_lineage_recorded_as_a_table(database, workspace):
    with UnitOfWork(database) as uow:
        lineage.record_events(uow, admin(), workspace, [run_event("db.s.src", "db.s.v_out")])
    before = asset(database, workspace, "db.s.v_out")
    assert before["type"] == "table"
    with UnitOfWork(database) as uow:
        done = assets.upsert_discovered(uow, admin(), workspace, scanned("db.s.v_out", "view"))
    assert (done.asset.id, done.asset.type, done.created) == (before["id"], "view", False)
    with UnitOfWork(database) as uow:
        up = lineage.graph(uow, admin(), before["id"], lineage.LineageQuery(direction="upstream"))
    assert [n.name for n in up.nodes] == ["db.s.src"]


def test_a_manual_registration_with_another_type_still_conflicts(database, workspace):
    with UnitOfWork(database) as uow:
        assets.upsert_discovered(uow, admin(), workspace, scanned("db.s.strict_v", "view"))
    with pytest.raises(assets.AssetTypeConflict), UnitOfWork(database) as uow:
        assets.create_asset(uow, admin(), workspace, AssetCreate(type="table", namespace=PG, name="db.s.strict_v"))
