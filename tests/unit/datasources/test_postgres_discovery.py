"""Discovery and sampling with the embedded PostgreSQL itself as the source."""

from __future__ import annotations

import psycopg
import pytest

from core.datasources.model import PostgresConnection
from core.discovery import connectors, postgres
from core.discovery.profile import profile_sample, shape
from tests.unit.datasources.conftest import socket_of


@pytest.fixture(scope="module")
def conn(pg_server, source_db) -> PostgresConnection:
    host, port = socket_of(pg_server)
    return PostgresConnection(
        host=host, port=port, database=source_db, username="postgres", sslmode="disable", connect_timeout_seconds=3
    )


@pytest.fixture(scope="module")
def assets(conn):
    return {a.name.split(".", 1)[1]: a for a in connectors.discover(conn, {}).assets}


def test_discovers_tables_views_and_quoted_names(assets, conn):
    assert set(assets) == {"sales.customers", "sales.orders", "sales.big_orders", "HR Data.Employee Records"}
    customers = assets["sales.customers"]
    assert customers.namespace == f"postgres://localhost:{conn.port}"
    assert customers.qualified_name == f"postgres://localhost:{conn.port}/{conn.database}.sales.customers"
    assert customers.asset_type == "table" and assets["sales.big_orders"].asset_type == "view"


def test_columns_types_and_keys(assets, conn):
    customers = assets["sales.customers"]
    cols = {c.name: c for c in customers.columns}
    assert [c.name for c in customers.columns] == ["id", "email", "full_name", "born", "balance", "active"]
    assert cols["full_name"].data_type == "character varying(200)" and cols["full_name"].logical_type == "string"
    assert cols["balance"].logical_type == "decimal" and cols["born"].logical_type == "date"
    assert cols["email"].nullable is False and cols["id"].is_primary_key
    orders = assets["sales.orders"]
    assert orders.primary_key == ["order_id", "line"]
    [fk] = orders.foreign_keys
    assert fk.columns == ["customer_id"] and fk.referenced_columns == ["id"]
    assert fk.references.endswith(f"/{conn.database}.sales.customers")


def test_row_estimates_and_fingerprints(assets, conn, pg_server):
    assert assets["sales.orders"].row_estimate == 20000
    assert assets["sales.big_orders"].row_estimate is None
    before = assets["sales.customers"].fingerprint
    again = {a.name: a for a in connectors.discover(conn, {}).assets}[f"{conn.database}.sales.customers"]
    assert again.fingerprint == before  # nothing changed: incremental scans skip it
    with psycopg.connect(pg_server.get_uri(conn.database), autocommit=True) as db:
        db.execute("ALTER TABLE sales.customers ADD COLUMN nickname text")
        try:
            changed = {a.name: a for a in connectors.discover(conn, {}).assets}[f"{conn.database}.sales.customers"]
        finally:
            db.execute("ALTER TABLE sales.customers DROP COLUMN nickname")
    assert changed.fingerprint.ddl_hash != before.ddl_hash and changed.fingerprint.value != before.value


def test_include_schemas_filters(conn):
    only = conn.model_copy(update={"include_schemas": ["HR Data"]})
    assert [a.table_name for a in connectors.discover(only, {}).assets] == ["Employee Records"]


def test_large_tables_use_tablesample_small_ones_limit(assets, conn):
    query, method = postgres.sample_query(assets["sales.orders"], 100)
    assert method == "tablesample"
    assert "TABLESAMPLE SYSTEM" in query.as_string(None) and '"sales"."orders"' in query.as_string(None)
    sample = connectors.sample(conn, {}, assets["sales.orders"], rows=100)
    assert sample.rows_sampled == 100 and sample.method in ("tablesample", "limit")
    small = connectors.sample(conn, {}, assets["HR Data.Employee Records"], rows=100)
    assert small.method == "limit" and small.rows_sampled == 2
    assert small.as_mapping()["SSN"] == ["123-45-6789", None]


def test_profile_of_a_sample(assets, conn):
    sample = connectors.sample(conn, {}, assets["sales.customers"], rows=200)
    profile = connectors.profile(sample, assets["sales.customers"])
    cols = {c.name: c for c in profile.columns}
    assert cols["id"].min is not None and cols["id"].distinct_estimate == 5000  # unique in sample → unique
    assert cols["email"].min is None and cols["email"].max is None  # text extremes are never kept
    assert cols["email"].shapes[0].shape.startswith("aaaa9") and cols["email"].min_length >= 16
    assert cols["active"].distinct_in_sample == 2 and cols["active"].distinct_estimate == 2
    assert cols["full_name"].null_pct == 0.0


def test_profile_counts_nulls_and_shapes():
    from core.discovery.model import AssetSample, ColumnValues

    sample = AssetSample(
        qualified_name="file:///x",
        method="first_rows",
        rows_sampled=4,
        columns=[ColumnValues(name="c", logical_type="string", values=["John 42", "Mary 7", None, "John 42"])],
    )
    [col] = profile_sample(sample).columns
    assert col.null_pct == 25.0 and col.distinct_in_sample == 2
    assert col.shapes[0].shape == "Aaaa 99" and col.shapes[0].count == 2
    assert (col.min_length, col.max_length) == (6, 7)
    assert shape("AB-12 x") == "AA-99 a"


def _profile(logical_type, values, row_estimate=None):
    from core.discovery.model import AssetSample, ColumnValues

    sample = AssetSample(
        qualified_name="file:///x",
        method="first_rows",
        rows_sampled=len(values),
        columns=[ColumnValues(name="c", logical_type=logical_type, values=values)],
    )
    return profile_sample(sample, row_estimate).columns[0]


def test_profile_shapes_of_long_unicode_and_nul_values_keep_first_seen_order_for_ties():
    long = "x" * 40
    values = ["Zoë 7", long, "", "ab", "Zoë 7", long + "Y", "٣ǅ", None, "-"]
    col = _profile("string", values)
    expected = [("Aaa 9", 2), ("a" * 32 + "…", 2), ("aa", 1), ("9a", 1), ("-", 1)]  # ǅ is title case, not upper
    assert [(s.shape, s.count) for s in col.shapes] == expected
    assert (col.count, col.null_count, col.distinct_in_sample, col.min_length, col.max_length) == (9, 2, 6, 1, 41)
    with_nul = _profile("string", ["a\x00b", *values])  # a NUL in a value: shaped one distinct value at a time
    nul_expected = [("Aaa 9", 2), ("a" * 32 + "…", 2), ("a\x00a", 1), ("aa", 1), ("9a", 1)]
    assert [(s.shape, s.count) for s in with_nul.shapes] == nul_expected
    assert _profile("string", ["é" * 33]).shapes[0].shape == "a" * 32 + "…"


def test_profile_min_max_of_ordered_types():
    numbers = _profile("integer", ["10", "9", "-3", "10", "", None], row_estimate=1000)
    assert (numbers.min, numbers.max, numbers.null_count) == (-3, 10, 2)
    assert numbers.distinct_estimate == 6  # Duj1: 4·3 / (4 − 2 + 2·4/667), not assumed unique
    decimals = _profile("decimal", ["1.50", "abc", "0.25", "1e2"])  # unparsable values are left out
    assert (decimals.min, decimals.max) == (0.25, 100)
    assert _profile("decimal", ["abc"]).min is None
    dates = _profile("date", ["2024-03-01", "2023-12-31", "2024-01-15"])
    assert (dates.min, dates.max) == ("2023-12-31", "2024-03-01")


def test_profile_of_values_that_are_not_text():
    col = _profile("other", [True, False, 0, "", None, 1.5, "True"])
    # non-text values count by their str(); only None and "" are nulls (False and 0 are values)
    assert (col.null_count, col.distinct_in_sample, col.min_length, col.max_length) == (2, 4, 1, 5)
    assert [(s.shape, s.count) for s in col.shapes] == [("Aaaa", 2), ("Aaaaa", 1), ("9", 1), ("9.9", 1)]
