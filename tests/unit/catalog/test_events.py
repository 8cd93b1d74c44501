"""Changes to assets, classifications and lineage write CloudEvents to the outbox, in the same
transaction as the change."""

from __future__ import annotations

from core.catalog import assets, lineage, review
from core.catalog.lineage import EdgeCreate, EdgePatch
from core.catalog.model import AssetCreate, ClassificationAdd, DiscoveredTable, Review
from core.db.unit_of_work import UnitOfWork
from tests.unit.catalog.conftest import PG, admin


def events_of(database, workspace, since):
    with UnitOfWork(database) as uow:
        rows = uow.outbox.pending(10_000)
    mine = [e for e in rows if e.get("workspaceid") == str(workspace)]
    assert all(e["specversion"] == "1.0" and e["source"].startswith(f"/datawave/workspaces/{workspace}/") for e in mine)
    return [(e["type"], e["data"]) for e in mine][since:]


def test_classification_and_lineage_changes_are_events(database, workspace):
    with UnitOfWork(database) as uow:
        a = assets.create_asset(uow, admin(), workspace, AssetCreate(type="table", namespace=PG, name="db.s.e1")).id
    with UnitOfWork(database) as uow:
        b = assets.create_asset(uow, admin(), workspace, AssetCreate(type="table", namespace=PG, name="db.s.e2")).id
    start = len(events_of(database, workspace, 0))

    with UnitOfWork(database) as uow:
        edge = lineage.create_edge(uow, admin(), workspace, EdgeCreate(source_id=a, target_id=b))
    with UnitOfWork(database) as uow:
        origin = review.add_classification(
            uow, admin(), a, ClassificationAdd(classification_id="us_ssn", sensitivity="Highly Confidential")
        )
    with UnitOfWork(database) as uow:
        lineage.update_edge(uow, admin(), edge.id, EdgePatch(blocks_propagation=True))
    with UnitOfWork(database) as uow:
        lineage.update_edge(uow, admin(), edge.id, EdgePatch(blocks_propagation=False))
    with UnitOfWork(database) as uow:
        review.review(uow, admin(), origin.id, Review(decision="reject", reason="test rows"))
    with UnitOfWork(database) as uow:
        lineage.delete_edge(uow, admin(), edge.id)

    types = [t for t, _ in events_of(database, workspace, start)]
    assert types == [
        "datawave.lineage.edge.added",
        "datawave.classification.propagated",
        "datawave.classification.accepted",
        "datawave.classification.unpropagated",
        "datawave.lineage.edge.updated",
        "datawave.classification.propagated",
        "datawave.lineage.edge.updated",
        "datawave.classification.unpropagated",
        "datawave.classification.rejected",
        "datawave.lineage.edge.removed",
    ]
    data = dict(events_of(database, workspace, start))
    assert data["datawave.classification.rejected"]["reason"] == "test rows"
    assert data["datawave.lineage.edge.added"]["source_id"] == str(a)


def test_scan_results_outside_a_scan_raise_a_suggestion_event(database, workspace):
    table = DiscoveredTable.model_validate(
        {
            "namespace": PG,
            "name": "db.s.reported",
            "scan_id": "external-7",
            "columns": [
                {
                    "name": "mail",
                    "data_type": "text",
                    "classifications": [
                        {"classification_id": "email_address", "confidence": 0.9, "sensitivity": "Confidential"}
                    ],
                },
                {"name": "id", "data_type": "int"},
            ],
        }
    )
    with UnitOfWork(database) as uow:
        done = assets.upsert_discovered(uow, admin(), workspace, table)
    suggested = [d for t, d in events_of(database, workspace, 0) if t == "datawave.classification.suggested"]
    assert suggested == [
        {
            "asset_id": str(done.asset.id),
            "qualified_name": f"{PG}/db.s.reported",
            "columns": {"mail": ["email_address"]},
        }
    ]
