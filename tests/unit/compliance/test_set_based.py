"""Set-based collection conditions (one aggregate per policy) flag exactly what the per-asset correlated
subqueries flag: every pack policy and a few hand-written count/exists shapes, on a small mixed catalog."""

from __future__ import annotations

import uuid

import pytest
from pydantic import TypeAdapter

from core.compliance import engine, evaluation
from core.compliance.conditions import Condition
from core.compliance.packs import pack_rules
from core.db.unit_of_work import UnitOfWork
from tests.unit.compliance.conftest import accept_all, add_table, new_workspace, patch

ASSET_TYPES = ["table", "column", "file_set", "view"]

EXTRA = [
    {"count": {"collection": "owners"}, "op": "eq", "value": 0},
    {"count": {"collection": "owners"}, "op": "gte", "value": 1},
    {"count": {"collection": "classifications"}, "op": "lt", "value": 2},
    {
        "count": {"collection": "classifications", "where": {"fact": "status", "op": "eq", "value": "accepted"}},
        "op": "ne",
        "value": 1,
    },
    {"count": {"collection": "readers"}, "op": "gt", "value": 1},
    {"not": {"exists": {"collection": "schema_changes"}}},
    {
        "any": [
            {"exists": {"collection": "owners", "where": {"fact": "role", "op": "eq", "value": "steward"}}},
            {
                "count": {"collection": "classifications", "where": {"fact": "category", "op": "eq", "value": "PII"}},
                "op": "lte",
                "value": 1,
            },
        ]
    },
    {"fact": "asset.sensitivity", "op": "gte", "value": "Confidential"},
    # a where that tests a joined asset fact (asset.sensitivity) refers to the query's join
    {
        "exists": {
            "collection": "readers",
            "where": {"fact": "asset.sensitivity", "op": "eq", "value": "Highly Confidential"},
        }
    },
    # a where that tests an asset fact stays correlated in both modes
    {"exists": {"collection": "owners", "where": {"fact": "asset.type", "op": "eq", "value": "column"}}},
]


@pytest.fixture(scope="module")
def catalog(database):
    ws = new_workspace(database, "eastus")
    other = new_workspace(database, "westeurope")
    a = add_table(
        database,
        ws,
        {"pan": ["credit_card_number"], "email": ["email_address", "person_name"], "x": []},
        name=f"fin.public.a_{uuid.uuid4().hex[:6]}",
        scan_id="s1",
    )
    b = add_table(database, ws, {"mrn": ["medical_record_number"], "iban": ["iban"]}, sensitivity="Highly Confidential")
    c = add_table(database, ws, {"plain": []})
    add_table(database, other, {"email": ["email_address"]})
    add_table(
        database,
        ws,
        {"pan": ["credit_card_number"], "email": ["email_address", "person_name"], "x": [], "y": []},
        name=f"fin.public.a_{uuid.uuid4().hex[:6]}",
        scan_id="s2",
    )
    accept_all(database, a["table"])
    patch(
        database, a["table"], owners=[{"principal_id": "o1", "role": "owner"}, {"principal_id": "s", "role": "steward"}]
    )
    patch(database, b["table"], owners=[{"principal_id": "s", "role": "steward"}], properties={"retention_days": 30})
    patch(database, a["pan"], properties={"masked": True})
    patch(database, c["table"], owners=[{"principal_id": "o2", "role": "owner"}])
    with database.connection() as conn:
        conn.execute(
            "INSERT INTO role_assignments (id, principal_id, principal_type, role, workspace_id, conditions,"
            " created_by) VALUES (%s, 'analyst', 'user', 'BusinessAnalyst', %s, %s, 'test'),"
            " (%s, 'viewer', 'user', 'Viewer', %s, '{}', 'test')",
            (uuid.uuid4(), ws, '{"clearance": "Confidential"}', uuid.uuid4(), ws),
        )
    return ws


def _both(database, workspace, condition: Condition, asset_types) -> tuple[set, set]:
    with UnitOfWork(database) as uow:
        ctx = evaluation.context(uow)
        out = []
        for set_based in (True, False):
            compiled = engine.compile_condition(condition, set_based=set_based)
            assert set_based or not compiled.joins
            out.append(set(engine.violating_assets(uow.connection, compiled, asset_types, workspace, ctx)))
    return out[0], out[1]


@pytest.mark.parametrize("ref", [r.ref for r in pack_rules()])
def test_pack_policies_agree(database, catalog, ref):
    rule = next(r for r in pack_rules() if r.ref == ref)
    set_based, correlated = _both(database, catalog, rule.policy.condition, rule.policy.asset_types)
    assert set_based == correlated


@pytest.mark.parametrize("tree", EXTRA)
def test_count_and_exists_shapes_agree(database, catalog, tree):
    condition = TypeAdapter(Condition).validate_python(tree)
    set_based, correlated = _both(database, catalog, condition, ASSET_TYPES)
    assert set_based == correlated


def _from_shared_tables(database, workspace, rules) -> list[set]:
    """Each rule's hits with the shared relations filled once into temporary tables (as a sweep does)."""
    with UnitOfWork(database) as uow:
        ctx = evaluation.context(uow)
        shared = engine.SharedTables(uow.connection, {**ctx, "workspace_id": workspace}, "test_shared")
        out = []
        for compiled, asset_types in rules:
            tables = shared.for_query(" ".join([*compiled.joins, compiled.sql]), asset_types)
            assert tables, "a set-based rule reads shared relations"
            sql, params = engine.violation_query(compiled, asset_types, tables)
            assert "{{shared:" not in sql and all(t.startswith("test_shared_") for t in tables.values())
            found = uow.connection.execute(
                sql, {**params, **ctx, "workspace_id": workspace, "asset_ids": None}
            ).fetchall()
            out.append({r["id"] for r in found})
        shared.drop()
    return out


def test_pack_policies_read_from_shared_tables_as_inline(database, catalog):
    rules = [(r.compiled, r.policy.asset_types) for r in pack_rules()]
    materialised = _from_shared_tables(database, catalog, rules)
    with UnitOfWork(database) as uow:
        ctx = evaluation.context(uow)
        inline = [
            set(engine.violating_assets(uow.connection, compiled, types, catalog, ctx)) for compiled, types in rules
        ]
    assert materialised == inline
    assert any(materialised), "the catalog makes some pack policy fire"


@pytest.mark.parametrize("tree", EXTRA[:-1])
def test_extra_shapes_read_from_shared_tables_as_inline(database, catalog, tree):
    compiled = engine.compile_condition(TypeAdapter(Condition).validate_python(tree))
    [materialised] = _from_shared_tables(database, catalog, [(compiled, ASSET_TYPES)])
    with UnitOfWork(database) as uow:
        ctx = evaluation.context(uow)
        assert materialised == set(engine.violating_assets(uow.connection, compiled, ASSET_TYPES, catalog, ctx))


def test_collections_compile_to_joins_unless_the_where_tests_the_asset():
    def compiled(tree, set_based=True):
        return engine.compile_condition(TypeAdapter(Condition).validate_python(tree), set_based=set_based)

    assert len(compiled(EXTRA[6]).joins) == 2
    assert compiled(EXTRA[6], set_based=False).joins == []
    assert compiled(EXTRA[-1]).joins == []
