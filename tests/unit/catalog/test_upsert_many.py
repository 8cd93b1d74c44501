"""A batch of scanned tables upserted at once ends exactly where upserting them one by one ends:
the same catalog rows, classifications, schema history and events (ids and times aside)."""

from __future__ import annotations

import uuid

import pytest

from core.catalog import assets, review
from core.catalog.model import DiscoveredTable, Review
from core.catalog.names import InvalidQualifiedName
from core.db.unit_of_work import UnitOfWork
from core.workspaces import service
from core.workspaces.model import WorkspaceCreate
from tests.unit.catalog.conftest import PG, admin


def table(name: str, *columns, scan_id: str = "s1", properties=None) -> DiscoveredTable:
    cols = []
    for name_, type_, *classes in columns:
        cols.append(
            {
                "name": name_,
                "data_type": type_,
                "classifications": [
                    {
                        "classification_id": c,
                        "confidence": confidence,
                        "sensitivity": "Confidential",
                        "evidence": {"match_percentage": 90.0},
                        "rule_set_id": "default",
                        "rule_set_version": 1,
                    }
                    for c, confidence in classes
                ],
            }
        )
    return DiscoveredTable.model_validate(
        {"namespace": PG, "name": name, "scan_id": scan_id, "columns": cols, "properties": properties or {}}
    )


FIRST = [
    table(
        "sales.public.customers",
        ("email", "text", ("email_address", 0.9), ("person_name", 0.6)),
        ("age", "int"),
        ("ssn", "text", ("us_ssn", 0.95)),
        properties={"row_estimate": 10},
    ),
    table("sales.public.orders", ("id", "bigint"), ("card", "text", ("credit_card_number", 0.9))),
    table("sales.crm.leads", ("email", "text", ("email_address", 0.8))),
    table("hr.public.staff", ("name", "text", ("person_name", 0.7)), ("email", "text")),
]
# The next scan: a retyped, a removed and an added column, a suggestion that changes and one that goes,
# a new table, and (below) a human decision on a suggestion.
SECOND = [
    table(
        "sales.public.customers",
        ("email", "varchar", ("email_address", 0.7), ("person_name", 0.65)),
        ("ssn", "text"),
        ("phone", "text", ("phone_number", 0.9)),
        scan_id="s2",
        properties={"row_estimate": 12, "profile": {"rows_sampled": 12}},
    ),
    table("sales.public.orders", ("id", "bigint"), ("card", "text", ("credit_card_number", 0.9)), scan_id="s2"),
    table("sales.public.refunds", ("id", "bigint"), scan_id="s2"),
    table("hr.public.staff", ("name", "text"), ("email", "text", ("email_address", 0.9)), scan_id="s2"),
]
THIRD = [table("sales.public.customers", ("email", "varchar"), ("age", "int"), scan_id="s3")]  # age comes back


def new_workspace(database) -> uuid.UUID:
    with UnitOfWork(database) as uow:
        return service.create_workspace(
            uow, admin("workspaces:create"), WorkspaceCreate(name="ws-" + uuid.uuid4().hex[:8])
        ).id


def one_by_one(database, workspace, tables):
    with UnitOfWork(database) as uow:
        for t in tables:
            assets.upsert_discovered(uow, admin(), workspace, t, commit=False)
        uow.commit()


def batched(database, workspace, tables):
    with UnitOfWork(database) as uow:
        done = assets.upsert_discovered_many(uow, admin(), workspace, tables)
    assert [d.row["name"] for d in done] == [t.name for t in tables]
    return done


def decide(database, workspace):
    """A steward rejects person_name on customers.email and accepts us_ssn on customers.ssn."""
    with UnitOfWork(database) as uow:
        rows = uow.connection.execute(
            "SELECT c.id, c.classification_id FROM catalog_classifications c JOIN catalog_assets a"
            " ON a.id = c.asset_id WHERE a.workspace_id = %s AND a.name IN"
            " ('sales.public.customers#email', 'sales.public.customers#ssn')",
            (workspace,),
        ).fetchall()
    ids = {r["classification_id"]: r["id"] for r in rows}
    with UnitOfWork(database) as uow:
        review.review(uow, admin(), ids["person_name"], Review(decision="reject", reason="not names"))
    with UnitOfWork(database) as uow:
        review.review(uow, admin(), ids["us_ssn"], Review(decision="accept", reason="checked"))


def state(database, workspace):
    """Everything the upserts wrote, with ids replaced by qualified names and times left out."""
    with UnitOfWork(database) as uow:
        conn = uow.connection
        names = {
            r["id"]: r["name"]
            for r in conn.execute("SELECT id, name FROM catalog_assets WHERE workspace_id = %s", (workspace,))
        }
        catalog = sorted(
            (
                r["type"],
                r["name"],
                r["display_name"],
                names.get(r["parent_id"]),
                names.get(r["data_source_id"]),
                r["description"],
                r["properties"],
                r["data_type"],
                r["ordinal"],
                r["removed_at"] is not None,
                tuple(r["classification_ids"]),
                r["sensitivity"],
                r["search_vector"],
            )
            for r in conn.execute("SELECT * FROM catalog_assets WHERE workspace_id = %s", (workspace,))
        )
        classifications = sorted(
            (names[r["asset_id"]], r["classification_id"], r["status"], r["confidence"], r["source"])
            for r in conn.execute("SELECT * FROM catalog_classifications WHERE workspace_id = %s", (workspace,))
        )
        history = [
            (names[r["asset_id"]], r["column_name"], r["change"], r["old_type"], r["new_type"], r["scan_id"])
            for r in conn.execute(
                "SELECT * FROM catalog_schema_changes WHERE workspace_id = %s ORDER BY id", (workspace,)
            )
        ]
        events = []
        for r in conn.execute(
            "SELECT * FROM outbox_events WHERE workspace_id = %s AND type LIKE 'datawave.catalog.%%'"
            " ORDER BY created_at, id",
            (workspace,),
        ):
            data = dict(r["data"])
            data["asset_id"] = names[uuid.UUID(data["asset_id"])]
            events.append((r["type"], data))
    return catalog, classifications, history, events


def test_a_batch_ends_where_one_by_one_ends(database):
    sequential, together = new_workspace(database), new_workspace(database)
    for step in (FIRST, "decide", SECOND, THIRD, THIRD):
        if step == "decide":
            decide(database, sequential)
            decide(database, together)
            continue
        one_by_one(database, sequential, step)
        batched(database, together, step)
        assert state(database, together) == state(database, sequential)
    catalog, classifications, history, events = state(database, together)
    assert ("sales.public.customers#email", "person_name", "rejected", pytest.approx(0.6), "scan") in classifications
    assert ("sales.public.customers#ssn", "us_ssn", "accepted", pytest.approx(0.95), "scan") in classifications
    assert ("sales.public.customers", "age", "column_added", None, "int", "s3") in history
    columns = {row[1]: (row[7], row[8], row[9]) for row in catalog if row[0] == "column"}  # type, ordinal, removed
    assert {k: v for k, v in columns.items() if k.startswith("sales.public.customers#")} == {
        "sales.public.customers#email": ("varchar", 0, False),
        "sales.public.customers#age": ("int", 1, False),
        "sales.public.customers#ssn": ("text", 1, True),
        "sales.public.customers#phone": ("text", 2, True),
    }
    # Each table's events in the order one-by-one upserts write them: its new parents and itself, then
    # the upsert; the hr database is created with the fourth table of the first batch, not the first.
    order = [(kind.rsplit(".", 1)[1], data["asset_id"]) for kind, data in events[:14]]
    assert order == [
        ("created", ""),
        ("created", "sales"),
        ("created", "sales.public"),
        ("created", "sales.public.customers"),
        ("upserted", "sales.public.customers"),
        ("created", "sales.public.orders"),
        ("upserted", "sales.public.orders"),
        ("created", "sales.crm"),
        ("created", "sales.crm.leads"),
        ("upserted", "sales.crm.leads"),
        ("created", "hr"),
        ("created", "hr.public"),
        ("created", "hr.public.staff"),
        ("upserted", "hr.public.staff"),
    ]


def test_a_batch_is_idempotent_and_reports_what_it_did(database):
    workspace = new_workspace(database)
    first = batched(database, workspace, FIRST)
    assert all(d.created and d.schema_changes == [] for d in first)
    again = batched(database, workspace, FIRST)
    assert [d.row["id"] for d in again] == [d.row["id"] for d in first]
    assert not any(d.created or d.schema_changes for d in again)
    second = batched(database, workspace, SECOND)
    changes = {(c["column_name"], c["change"]) for c in second[0].schema_changes}
    assert changes == {("email", "type_changed"), ("age", "column_removed"), ("phone", "column_added")}
    assert second[2].created and second[2].schema_changes == []


def test_a_bad_table_fails_the_whole_batch(database):
    workspace = new_workspace(database)
    bad = DiscoveredTable.model_validate({"namespace": PG, "name": "only.two", "columns": [{"name": "a"}]})
    with pytest.raises(InvalidQualifiedName), UnitOfWork(database) as uow:
        assets.upsert_discovered_many(uow, admin(), workspace, [FIRST[0], bad])
    with pytest.raises(assets.InvalidInput), UnitOfWork(database) as uow:
        assets.upsert_discovered_many(uow, admin(), workspace, [FIRST[0], FIRST[0]])
    for column in ("a#b", "nul\x00"):  # a column name with "#" or NUL
        odd = DiscoveredTable.model_validate({"namespace": PG, "name": "db.s.t", "columns": [{"name": column}]})
        with pytest.raises(InvalidQualifiedName, match="is not a valid column name"), UnitOfWork(database) as uow:
            assets.upsert_discovered_many(uow, admin(), workspace, [FIRST[0], odd])
    with UnitOfWork(database) as uow:
        left = uow.connection.execute("SELECT count(*) AS n FROM catalog_assets WHERE workspace_id = %s", (workspace,))
        assert left.fetchone()["n"] == 0


def test_rows_inserted_by_a_batch_carry_the_search_columns_refresh_would_compute(database):
    workspace = new_workspace(database)
    mixed = DiscoveredTable.model_validate(
        {
            "namespace": PG,
            "name": "crm.Kunden_Daten.Adressbuch",
            "scan_id": "s1",
            "description": "Kundenadressen (Straße, Ort)",
            "columns": [
                {
                    "name": "E-Mail Adresse",
                    "data_type": "text",
                    "description": "primäre Adresse",
                    "classifications": [
                        {"classification_id": "email_address", "confidence": 0.9, "sensitivity": "Confidential"},
                        {"classification_id": "person_name", "confidence": 0.6, "sensitivity": "Internal"},
                        {"classification_id": "email_address", "confidence": 0.8, "sensitivity": "Confidential"},
                    ],
                },
                {
                    "name": "ssn",
                    "data_type": "text",
                    "classifications": [
                        {"classification_id": "us_ssn", "confidence": 0.9, "sensitivity": "Highly Confidential"},
                        {"classification_id": "custom_id", "confidence": 0.7, "sensitivity": "Public"},
                    ],
                },
                {"name": "notes", "data_type": "text"},
            ],
        }
    )
    batched(database, workspace, [*FIRST, mixed])
    fields = "classification_ids, sensitivity, sensitivity_rank, search_vector, owner_ids, term_ids"
    query = f"SELECT name, {fields} FROM catalog_assets WHERE workspace_id = %s ORDER BY name"
    with UnitOfWork(database) as uow:
        written = uow.connection.execute(query, (workspace,)).fetchall()
        ids = [
            r["id"]
            for r in uow.connection.execute("SELECT id FROM catalog_assets WHERE workspace_id = %s", (workspace,))
        ]
        uow.catalog.refresh_search(ids)
        refreshed = uow.connection.execute(query, (workspace,)).fetchall()
    assert len(written) == 1 + 3 + 4 + 5 + 11  # source, databases, schemas, tables, columns
    assert written == refreshed
    by_name = {r["name"]: r for r in written}
    email = by_name["crm.Kunden_Daten.Adressbuch#E-Mail Adresse"]
    assert email["classification_ids"] == ["email_address", "person_name"] and email["sensitivity"] == "Confidential"
    assert by_name["crm.Kunden_Daten.Adressbuch#ssn"]["sensitivity"] == "Highly Confidential"
    assert by_name["crm.Kunden_Daten.Adressbuch#notes"]["sensitivity"] is None
