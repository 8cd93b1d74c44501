"""The policy engine over real catalog facts: the framework packs' headline checks and bad input."""

from __future__ import annotations

import uuid

import pytest
from pydantic import TypeAdapter, ValidationError

from core.compliance import engine
from core.compliance.conditions import Condition
from core.compliance.engine import PolicyError
from core.compliance.packs import packs
from core.db.unit_of_work import UnitOfWork
from tests.unit.compliance.conftest import accept_all, add_table, hits, new_workspace, patch


def compile_(tree):
    return engine.compile_condition(TypeAdapter(Condition).validate_python(tree))


def test_five_packs_load_with_controls_mapped_to_policies():
    assert set(packs()) == {"gdpr", "ccpa", "hipaa", "sox", "pci_dss"}
    for pack in packs().values():
        assert pack.controls and all(c.policies for c in pack.controls)


def test_pci_card_numbers_stored_unmasked(database, workspace):
    t = add_table(database, workspace, {"pan": ["credit_card_number"], "note": []})
    assert hits(database, "pci_dss/card_numbers_unmasked", workspace) == {t["pan"]}
    patch(database, t["pan"], properties={"masked": True})
    assert hits(database, "pci_dss/card_numbers_unmasked", workspace) == set()


def test_phi_asset_without_an_owner(database, workspace):
    t = add_table(database, workspace, {"mrn": ["medical_record_number"]})
    assert t["table"] in hits(database, "hipaa/phi_without_owner", workspace)
    patch(database, t["table"], owners=[{"principal_id": "dr.house", "role": "owner"}])
    assert t["table"] not in hits(database, "hipaa/phi_without_owner", workspace)


def test_a_steward_is_not_an_owner(database, workspace):
    t = add_table(database, workspace, {"mrn": ["medical_record_number"]})
    patch(database, t["table"], owners=[{"principal_id": "nurse", "role": "steward"}])
    assert t["table"] in hits(database, "hipaa/phi_without_owner", workspace)


def test_gdpr_personal_data_outside_eu_regions(database):
    us = new_workspace(database, "eastus")
    eu = new_workspace(database, "westeurope")
    in_us = add_table(database, us, {"email": ["email_address"]})
    in_eu = add_table(database, eu, {"email": ["email_address"]})
    assert hits(database, "gdpr/personal_data_outside_eu", us) == set()  # suggested only: not yet personal data
    accept_all(database, in_us["table"])
    accept_all(database, in_eu["table"])
    assert hits(database, "gdpr/personal_data_outside_eu", us) == {in_us["table"]}
    assert hits(database, "gdpr/personal_data_outside_eu", eu) == set()
    patch(database, in_eu["table"], properties={"region": "eastus2"})  # an asset stored elsewhere
    assert hits(database, "gdpr/personal_data_outside_eu", eu) == {in_eu["table"]}


def test_personal_data_without_retention_period(database, workspace):
    t = add_table(database, workspace, {"email": ["email_address"]})
    assert t["table"] in hits(database, "gdpr/personal_data_without_retention", workspace)
    patch(database, t["table"], properties={"retention_days": 365})
    assert t["table"] not in hits(database, "gdpr/personal_data_without_retention", workspace)


def test_sensitive_assets_readable_by_roles_without_clearance(database, workspace):
    t = add_table(database, workspace, {"ssn": ["us_ssn"]}, sensitivity="Highly Confidential")
    ref = "gdpr/sensitive_personal_data_readable_without_clearance"
    assert hits(database, ref, workspace) == set()
    with database.connection() as conn:
        conn.execute(
            "INSERT INTO role_assignments (id, principal_id, principal_type, role, workspace_id, conditions,"
            " created_by) VALUES (%s, 'analyst', 'user', 'BusinessAnalyst', %s, %s, 'test')",
            (uuid.uuid4(), workspace, '{"clearance": "Highly Confidential"}'),
        )
    assert hits(database, ref, workspace) == set()  # cleared for it
    with database.connection() as conn:
        conn.execute(
            "INSERT INTO role_assignments (id, principal_id, principal_type, role, workspace_id, created_by)"
            " VALUES (%s, 'viewer', 'user', 'Viewer', %s, 'test')",
            (uuid.uuid4(), workspace),
        )
    assert hits(database, ref, workspace) == {t["table"]}


def test_sox_financial_table_changed_without_audit(database, workspace):
    name = f"fin.public.ledger_{uuid.uuid4().hex[:6]}"
    t = add_table(database, workspace, {"iban": ["iban"]}, name=name, scan_id="scan-a")
    ref = "sox/financial_tables_changed_without_audit"
    assert hits(database, ref, workspace) == set()
    add_table(database, workspace, {"iban": ["iban"], "extra": []}, name=name, scan_id="scan-unaudited")
    assert hits(database, ref, workspace) == {t["table"]}  # a column appeared, no audit record of that scan
    with database.connection() as conn:
        conn.execute(
            "INSERT INTO audit_records (id, chain, seq, recorded_at, actor, action, target, outcome, status,"
            " correlation_id, prev_hash, hash) VALUES (%s, %s, 1, now(), 'svc', 'scans.request_scan',"
            " 'scans/scan-unaudited', 'success', 202, 'c', 'x', 'y')",
            (uuid.uuid4(), str(workspace)),
        )
    assert hits(database, ref, workspace) == set()


@pytest.mark.parametrize(
    ("tree", "code"),
    [
        ({"fact": "asset.colour", "op": "eq", "value": "red"}, "unknown_fact"),
        ({"exists": {"collection": "readers", "where": {"fact": "id", "op": "eq", "value": "x"}}}, "unknown_fact"),
        ({"exists": {"collection": "dragons"}}, "unknown_collection"),
        (
            {"exists": {"collection": "classifications", "where": {"fact": "id", "op": "eq", "value": "unicorn"}}},
            "unknown_classification",
        ),
        ({"fact": "asset.sensitivity", "op": "gte", "value": "Secret"}, "invalid_value"),
        ({"fact": "asset.region", "op": "in", "value": ["atlantis"]}, "invalid_value"),
        ({"fact": "properties.masked", "op": "eq", "value": "yes"}, "invalid_value"),
        ({"fact": "asset.name", "op": "gt", "value": "a"}, "invalid_operator"),
        ({"fact": "properties.retention_days", "op": "missing", "value": 3}, "invalid_value"),
        ({"count": {"collection": "owners"}, "op": "in", "value": 1}, "invalid_operator"),
    ],
)
def test_conditions_the_engine_cannot_evaluate_are_rejected_with_a_code(tree, code):
    with pytest.raises(PolicyError) as caught:
        compile_(tree)
    assert caught.value.code == code and caught.value.status == 422


def test_invalid_syntax_is_a_validation_error():
    with pytest.raises(ValidationError):
        TypeAdapter(Condition).validate_python({"every": []})
    with pytest.raises(ValidationError):
        TypeAdapter(Condition).validate_python({"fact": "asset.type", "op": "like", "value": "x"})


def test_missing_facts_make_comparisons_false_and_not_true(database, workspace):
    t = add_table(database, workspace, {"a": []})
    compiled = compile_({"not": {"fact": "properties.encrypted", "op": "eq", "value": True}})
    with UnitOfWork(database) as uow:
        found = engine.violating_assets(
            uow.connection, compiled, ["table"], workspace, {"categories": "{}", "reader_roles": []}
        )
    assert found == [t["table"]]
