"""Qualified names: Azure Blob (``wasbs://``) namespaces, as data-source discovery produces them, are
accepted and validated like ADLS Gen2 (``abfss://``) ones."""

from __future__ import annotations

import pytest

from core.catalog import assets
from core.catalog.model import DiscoveredTable
from core.catalog.names import (
    InvalidQualifiedName,
    QualifiedName,
    display_name,
    normalise_namespace,
    parents,
    parse_dataset,
    validate,
)
from core.datasources.model import AzureBlobConnection
from core.db.unit_of_work import UnitOfWork
from core.discovery.blob import namespace as blob_namespace
from tests.unit.catalog.conftest import admin

WASBS = "wasbs://lake@devstoreaccount1.blob.core.windows.net"


@pytest.mark.parametrize(
    "namespace",
    [
        WASBS,
        "wasbs://raw-data@contosolake.blob.core.windows.net",
        "wasbs://" + "a" * 63 + "@abc.blob.core.windows.net",
        "abfss://raw@contosolake.dfs.core.windows.net",
    ],
)
def test_storage_namespaces_are_accepted_unchanged(namespace):
    assert normalise_namespace(namespace) == namespace
    assert normalise_namespace(f"  {namespace} ") == namespace


@pytest.mark.parametrize(
    "namespace",
    [
        "wasbs://c@Bad_Account.blob.core.windows.net",  # upper case and underscore in the account
        "wasbs://lake@ab.blob.core.windows.net",  # account shorter than 3
        "wasbs://lake@" + "a" * 25 + ".blob.core.windows.net",  # account longer than 24
        "wasbs://-lake@account.blob.core.windows.net",  # container starts with a hyphen
        "wasbs://l@account.blob.core.windows.net",  # container shorter than 3
        "abfss://l@account.dfs.core.windows.net",
        "wasbs://la--ke@account.blob.core.windows.net",  # double dash
        "wasbs://lake-@account.blob.core.windows.net",  # trailing dash
        "wasbs://" + "a" * 64 + "@account.blob.core.windows.net",  # container longer than 63
        "wasbs://Lake@account.blob.core.windows.net",  # upper-case container
        "wasbs://lake@account.dfs.core.windows.net",  # wasbs is the blob endpoint
        "abfss://lake@account.blob.core.windows.net",  # abfss is the dfs endpoint
        "wasbs://lake@account.blob.core.windows.net/path",  # the path belongs to the name
        "wasb://lake@account.blob.core.windows.net",  # not the TLS scheme
        "wasbs://account.blob.core.windows.net",  # no container
    ],
)
def test_bad_storage_namespaces_are_refused(namespace):
    with pytest.raises(InvalidQualifiedName):
        normalise_namespace(namespace)


def test_wasbs_file_sets_and_columns():
    qn = validate("file_set", WASBS, "/landing/sales")
    assert qn.kind == "wasbs"
    assert str(qn) == f"{WASBS}/landing/sales"
    assert display_name("file_set", qn) == "sales"
    assert parents("file_set", qn) == [("data_source", "")]
    column = validate("column", WASBS, "/landing/sales#email")
    assert parents("column", column) == [("data_source", ""), ("file_set", "/landing/sales")]
    assert display_name("column", column) == "email"
    assert validate("data_source", WASBS, "") == QualifiedName(WASBS, "")
    for asset_type, name in (("table", "/landing/sales"), ("file_set", "landing/sales"), ("schema", "a.b")):
        with pytest.raises(InvalidQualifiedName):
            validate(asset_type, WASBS, name)


def test_openlineage_wasbs_datasets_are_file_sets():
    asset_type, qn = parse_dataset(WASBS, "landing/crm/customers.csv")
    assert asset_type == "file_set" and qn == QualifiedName(WASBS, "/landing/crm/customers.csv")


def test_discovery_namespace_of_a_blob_source_is_valid():
    conn = AzureBlobConnection.model_validate(
        {"kind": "azure_blob", "account_url": "https://contosolake.blob.core.windows.net", "container": "raw"}
    )
    assert normalise_namespace(blob_namespace(conn)) == "wasbs://raw@contosolake.blob.core.windows.net"


def test_a_blob_file_set_upserts_into_the_catalog(database, workspace):
    discovered = DiscoveredTable.model_validate(
        {
            "namespace": WASBS,
            "name": "/landing/crm/customers.csv",
            "type": "file_set",
            "scan_id": "s1",
            "columns": [{"name": "email", "data_type": "string"}, {"name": "id", "data_type": "int64"}],
        }
    )
    with UnitOfWork(database) as uow:
        first = assets.upsert_discovered(uow, admin(), workspace, discovered)
    with UnitOfWork(database) as uow:
        again = assets.upsert_discovered(uow, admin(), workspace, discovered)
    assert first.asset.id == again.asset.id
    assert first.asset.qualified_name == f"{WASBS}/landing/crm/customers.csv"
