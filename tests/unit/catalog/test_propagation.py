"""Accepted classifications flow downstream along lineage; withdrawn with their origin; blocked
edges stop them; cycles end."""

from __future__ import annotations

from core.catalog import assets, lineage, review
from core.catalog.lineage import EdgeCreate, EdgePatch, ImpactQuery
from core.catalog.model import AssetCreate, ClassificationAdd, Review
from core.db.unit_of_work import UnitOfWork
from tests.unit.catalog.conftest import PG, admin


def make(database, workspace, name, asset_type="table"):
    with UnitOfWork(database) as uow:
        return assets.create_asset(uow, admin(), workspace, AssetCreate(type=asset_type, namespace=PG, name=name)).id


def edge(database, workspace, source, target, blocks=False):
    with UnitOfWork(database) as uow:
        return lineage.create_edge(
            uow, admin(), workspace, EdgeCreate(source_id=source, target_id=target, blocks_propagation=blocks)
        )


def classify(database, asset, cid="us_ssn"):
    with UnitOfWork(database) as uow:
        return review.add_classification(
            uow, admin(), asset, ClassificationAdd(classification_id=cid, sensitivity="Highly Confidential")
        )


def labels(database, asset):
    with UnitOfWork(database) as uow:
        rows = uow.catalog.classifications([asset]).get(asset, [])
    return sorted((r["classification_id"], r["source"], r["status"]) for r in rows)


def test_accepted_classification_flows_downstream_with_its_origin(database, workspace):
    a, b, c = (make(database, workspace, f"db.s.t{i}") for i in range(3))
    edge(database, workspace, a, b)
    edge(database, workspace, b, c)
    origin = classify(database, a)
    assert labels(database, c) == [("us_ssn", "propagated", "accepted")]
    with UnitOfWork(database) as uow:
        row = uow.catalog.classifications([c])[c][0]
        sensitivity = uow.catalog.get_many([c])[0]["sensitivity"]
    assert row["origin_id"] == origin.id and row["origin_asset_id"] == a
    assert sensitivity == "Highly Confidential"


def test_rejecting_the_origin_removes_what_it_propagated(database, workspace):
    a, b = make(database, workspace, "db.s.r1"), make(database, workspace, "db.s.r2")
    edge(database, workspace, a, b)
    origin = classify(database, a)
    with UnitOfWork(database) as uow:
        review.review(uow, admin(), origin.id, Review(decision="reject", reason="false positive"))
    assert labels(database, b) == []
    with UnitOfWork(database) as uow:
        assert uow.catalog.get_many([b])[0]["sensitivity"] is None


def test_new_edge_propagates_existing_classifications(database, workspace):
    a, b, c = (make(database, workspace, f"db.s.n{i}") for i in range(3))
    edge(database, workspace, a, b)
    classify(database, a)
    edge(database, workspace, b, c)  # added after the accept
    assert labels(database, c) == [("us_ssn", "propagated", "accepted")]


def test_blocking_edge_stops_propagation_and_unblocking_resumes_it(database, workspace):
    a, b, c = (make(database, workspace, f"db.s.b{i}") for i in range(3))
    edge(database, workspace, a, b)
    blocked = edge(database, workspace, b, c, blocks=True)
    classify(database, a)
    assert labels(database, b) and labels(database, c) == []
    with UnitOfWork(database) as uow:
        lineage.update_edge(uow, admin(), blocked.id, EdgePatch(blocks_propagation=False))
    assert labels(database, c) == [("us_ssn", "propagated", "accepted")]
    with UnitOfWork(database) as uow:
        lineage.delete_edge(uow, admin(), blocked.id)
    assert labels(database, c) == []


def test_cycles_end_and_the_origin_is_not_relabelled(database, workspace):
    a, b, c = (make(database, workspace, f"db.s.c{i}") for i in range(3))
    edge(database, workspace, a, b)
    edge(database, workspace, b, c)
    edge(database, workspace, c, a)
    classify(database, a)
    assert labels(database, a) == [("us_ssn", "manual", "accepted")]
    assert labels(database, b) == labels(database, c) == [("us_ssn", "propagated", "accepted")]
    with UnitOfWork(database) as uow:
        impact = lineage.impact(uow, admin(), a, ImpactQuery(depth=10))
    assert [(i.asset.id, i.depth) for i in impact.items] == [(b, 1), (c, 2)]


def test_column_classifications_flow_column_to_column(database, workspace):
    src = make(database, workspace, "db.s.src#email", "column")
    dst = make(database, workspace, "db.s.dst#contact", "column")
    edge(database, workspace, src, dst)
    classify(database, src, "email_address")
    assert labels(database, dst) == [("email_address", "propagated", "accepted")]


def test_a_rejected_propagated_classification_stays_rejected(database, workspace):
    a, b, c = (make(database, workspace, f"db.s.p{i}") for i in range(3))
    edge(database, workspace, a, b)
    classify(database, a)
    with UnitOfWork(database) as uow:
        propagated = uow.catalog.classifications([b])[b][0]
        review.review(uow, admin(), propagated["id"], Review(decision="reject", reason="masked downstream"))
    edge(database, workspace, b, c)  # recomputes a's reach
    assert labels(database, b) == [("us_ssn", "propagated", "rejected")]
    assert labels(database, c) == [("us_ssn", "propagated", "accepted")]


def test_deleting_the_origin_asset_removes_propagation(database, workspace):
    a, b = make(database, workspace, "db.s.d1"), make(database, workspace, "db.s.d2")
    edge(database, workspace, a, b)
    classify(database, a)
    with UnitOfWork(database) as uow:
        assets.delete_asset(uow, admin(), a)
    assert labels(database, b) == []
    with UnitOfWork(database) as uow:  # the search columns follow (sensitivity, classification filter)
        row = uow.catalog.get_many([b])[0]
        gone = [e for e in uow.outbox.pending(10_000) if e["type"] == "datawave.classification.unpropagated"]
    assert (row["sensitivity"], row["classification_ids"]) == (None, [])
    assert any(e["data"]["asset_ids"] == [str(b)] for e in gone)
