"""Assets: qualified names, idempotent scan upserts with schema history, human decisions kept."""

from __future__ import annotations

import pytest

from core.catalog import assets, review
from core.catalog.model import AssetCreate, DiscoveredTable, Review
from core.catalog.names import InvalidQualifiedName, UnknownAssetType
from core.db.unit_of_work import UnitOfWork
from tests.unit.catalog.conftest import PG, admin


def table(*columns, name="sales.public.customers", scan_id="s1") -> DiscoveredTable:
    cols = []
    for col in columns:
        name_, type_, *classes = col
        cols.append(
            {
                "name": name_,
                "data_type": type_,
                "classifications": [
                    {
                        "classification_id": c,
                        "confidence": 0.9,
                        "sensitivity": "Confidential",
                        "evidence": {"match_percentage": 90.0},
                        "rule_set_id": "default",
                        "rule_set_version": 1,
                    }
                    for c in classes
                ],
            }
        )
    return DiscoveredTable.model_validate({"namespace": PG, "name": name, "scan_id": scan_id, "columns": cols})


def upsert(database, workspace, discovered):
    with UnitOfWork(database) as uow:
        return assets.upsert_discovered(uow, admin(), workspace, discovered)


def count(database, sql, *args):
    with database.connection() as conn:
        return conn.execute(sql, args).fetchone()["n"]


def test_same_qualified_name_is_the_same_asset(database, workspace):
    first = upsert(database, workspace, table(("email", "text", "email_address"), ("id", "bigint")))
    second = upsert(database, workspace, table(("email", "text", "email_address"), ("id", "bigint")))
    assert first.created and not second.created
    assert first.asset.id == second.asset.id
    assert [c.display_name for c in second.asset.children] == ["email", "id"]
    assert count(database, "SELECT count(*) AS n FROM catalog_assets WHERE workspace_id = %s", workspace) == 6
    assert count(database, "SELECT count(*) AS n FROM catalog_classifications WHERE workspace_id = %s", workspace) == 1
    assert second.asset.qualified_name == f"{PG}/sales.public.customers"
    assert second.schema_changes == []


def test_parents_follow_the_openlineage_name(database, workspace):
    result = upsert(database, workspace, table(("id", "int")))
    with UnitOfWork(database) as uow:
        chain = []
        row = uow.catalog.get_many([result.asset.id])[0]
        while row["parent_id"]:
            row = uow.catalog.get_many([row["parent_id"]])[0]
            chain.append((row["type"], row["name"]))
    assert chain == [("schema", "sales.public"), ("database", "sales"), ("data_source", "")]


def test_schema_changes_are_recorded(database, workspace):
    upsert(database, workspace, table(("email", "text"), ("age", "int")))
    result = upsert(database, workspace, table(("email", "varchar"), ("phone", "text"), scan_id="s2"))
    changes = {(c.column_name, c.change, c.old_type, c.new_type) for c in result.schema_changes}
    assert changes == {
        ("email", "type_changed", "text", "varchar"),
        ("phone", "column_added", None, "text"),
        ("age", "column_removed", "int", None),
    }
    removed = [c for c in result.asset.children if c.display_name == "age"]
    assert removed and removed[0].removed_at is not None


def test_rescan_refreshes_suggestions_but_never_human_decisions(database, workspace):
    first = upsert(
        database, workspace, table(("email", "text", "email_address", "person_name"), ("ssn", "text", "us_ssn"))
    )
    cols = {c.display_name: c.id for c in first.asset.children}
    with UnitOfWork(database) as uow:
        by_asset = uow.catalog.classifications([cols["email"], cols["ssn"]])
    email = {c["classification_id"]: c for c in by_asset[cols["email"]]}
    ssn = by_asset[cols["ssn"]][0]
    with UnitOfWork(database) as uow:
        review.review(uow, admin(), email["person_name"]["id"], Review(decision="reject", reason="not names"))
    with UnitOfWork(database) as uow:
        review.review(uow, admin(), ssn["id"], Review(decision="accept", reason="checked"))
    # The next scan finds nothing on ssn and person_name again with a new confidence.
    upsert(database, workspace, table(("email", "text", "email_address", "person_name"), ("ssn", "text")))
    with UnitOfWork(database) as uow:
        after = uow.catalog.classifications([cols["email"], cols["ssn"]])
    statuses = {(c["classification_id"], c["status"]) for rows in after.values() for c in rows}
    assert statuses == {("email_address", "suggested"), ("person_name", "rejected"), ("us_ssn", "accepted")}


def test_rejected_stays_rejected_until_reopened(database, workspace):
    result = upsert(database, workspace, table(("email", "text", "email_address")))
    cid = result.asset.children[0].id
    with UnitOfWork(database) as uow:
        row = uow.catalog.classifications([cid])[cid][0]
    with UnitOfWork(database) as uow:
        review.review(uow, admin(), row["id"], Review(decision="reject", reason="fake data"))
    with pytest.raises(review.ReviewConflict), UnitOfWork(database) as uow:
        review.review(uow, admin(), row["id"], Review(decision="accept", reason="changed my mind"))
    with UnitOfWork(database) as uow:
        reopened = review.review(uow, admin(), row["id"], Review(decision="reopen", reason="recheck"))
    assert reopened.status == "suggested" and reopened.reason == "recheck"
    with UnitOfWork(database) as uow:
        accepted = review.review(uow, admin(), row["id"], Review(decision="accept", reason="real"))
    assert accepted.status == "accepted" and accepted.decided_by == "steward"


def test_bad_names_and_types_are_refused(database, workspace):
    for asset_type, namespace, name, error in [
        ("cube", PG, "a.b.c", UnknownAssetType),
        ("table", "mysql://h:1", "a.b.c", InvalidQualifiedName),
        ("table", PG, "only.two", InvalidQualifiedName),
        ("table", "postgres://host", "a.b.c", InvalidQualifiedName),
        ("file_set", "abfss://c@Bad_Account.dfs.core.windows.net", "/x", InvalidQualifiedName),
        ("table", "file", "/tmp/x", InvalidQualifiedName),
    ]:
        with pytest.raises(error), UnitOfWork(database) as uow:
            assets.create_asset(uow, admin(), workspace, AssetCreate(type=asset_type, namespace=namespace, name=name))


def test_file_sets_and_adls_names(database, workspace):
    with UnitOfWork(database) as uow:
        adls = assets.create_asset(
            uow,
            admin(),
            workspace,
            AssetCreate(type="file_set", namespace="abfss://raw@contosolake.dfs.core.windows.net", name="/sales/2026"),
        )
    assert adls.qualified_name == "abfss://raw@contosolake.dfs.core.windows.net/sales/2026"
    with UnitOfWork(database) as uow:
        local = assets.create_asset(
            uow, admin(), workspace, AssetCreate(type="file_set", namespace="file", name="/data/x")
        )
    assert local.qualified_name == "file:///data/x"


def test_changes_emit_cloudevents_in_the_same_transaction(database, workspace):
    upsert(database, workspace, table(("email", "text", "email_address"), name="crm.public.leads"))
    with UnitOfWork(database) as uow:
        assets.upsert_discovered(
            uow, admin(), workspace, table(("id", "int"), name="crm.public.rolled_back"), commit=False
        )
        # not committed
    with UnitOfWork(database) as uow:
        events = [e for e in uow.outbox.pending(1000) if e.get("workspaceid") == str(workspace)]
    types = [e["type"] for e in events]
    assert "datawave.catalog.asset.upserted" in types
    assert all(e["specversion"] == "1.0" and e["source"].startswith("/datawave/workspaces/") for e in events)
    assert not any("rolled_back" in str(e["data"]) for e in events)
