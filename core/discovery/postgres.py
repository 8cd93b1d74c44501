"""PostgreSQL as a data source: connection test, discovery and sampling through psycopg.

Every connection is read-only (``default_transaction_read_only``), bounded by the source's connect and
statement timeouts and tagged ``application_name=datawave-scanner``. Identifiers are always quoted
with ``psycopg.sql``; nothing from the catalog is interpolated as text.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from core.datasources.model import ConnectionTest, ErrorKind, PostgresConnection
from core.discovery import types
from core.discovery.model import (
    AssetSample,
    ColumnValues,
    DiscoveredAsset,
    DiscoveredColumn,
    DiscoveryResult,
    Fingerprint,
    ForeignKey,
    stable_hash,
)
from core.files.tabular import clean_column

MESSAGES: dict[str, str] = {
    "auth": "authentication failed: check the user name and credentials",
    "network": "the server could not be reached: check host, port, firewall and sslmode",
    "not_found": "the database does not exist",
    "permission": "the user may not connect to or read this database",
    "timeout": "the server did not answer in time",
    "config": "the connection settings are not usable here",
}


def namespace(conn: PostgresConnection) -> str:
    """``postgres://host:port`` (a local socket folder is named ``localhost``)."""
    host = "localhost" if conn.host.startswith("/") else conn.host
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"postgres://{host}:{conn.port}"


def connect(conn: PostgresConnection, password: str | None) -> psycopg.Connection[Any]:
    options = (
        f"-c statement_timeout={conn.statement_timeout_seconds * 1000} "
        "-c default_transaction_read_only=on -c lock_timeout=5000"
    )
    return psycopg.connect(
        host=conn.host,
        port=conn.port,
        dbname=conn.database,
        user=conn.username,
        password=password or None,
        sslmode=conn.sslmode,
        connect_timeout=max(2, conn.connect_timeout_seconds),
        options=options,
        application_name="datawave-scanner",
        autocommit=True,
    )


def classify_error(exc: BaseException) -> ErrorKind:
    """The error kind of a failed connection or query (SQLSTATE first, then libpq's wording)."""
    state = getattr(exc, "sqlstate", None)
    by_state = {"28P01": "auth", "28000": "auth", "3D000": "not_found", "42501": "permission", "57014": "timeout"}
    if state in by_state:
        return by_state[state]  # type: ignore[return-value]
    message = str(exc).lower()
    if "password" in message or "authentication" in message or "not permitted to log in" in message:
        return "auth"
    if "database" in message and "does not exist" in message:
        return "not_found"
    if "permission denied" in message:
        return "permission"
    if "timeout" in message or "timed out" in message:
        return "timeout"
    return "network"


def test_connection(conn: PostgresConnection, password: str | None) -> ConnectionTest:
    started = time.perf_counter()
    try:
        with connect(conn, password) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        kind = classify_error(exc)
        return ConnectionTest(ok=False, latency_ms=_ms(started), error=kind, message=MESSAGES[kind])
    return ConnectionTest(ok=True, latency_ms=_ms(started))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


_RELATIONS = """
SELECT c.oid, n.nspname AS schema_name, c.relname AS table_name, c.relkind,
       CASE WHEN c.relkind = 'p' THEN (
                SELECT sum(GREATEST(ch.reltuples, 0)) FROM pg_inherits i JOIN pg_class ch ON ch.oid = i.inhrelid
                WHERE i.inhparent = c.oid)
            ELSE c.reltuples END AS reltuples,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS viewdef
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%'
  AND (%(schemas)s::text[] IS NULL OR n.nspname = ANY(%(schemas)s::text[]))
ORDER BY n.nspname, c.relname
"""

_COLUMNS = """
SELECT a.attrelid AS oid, a.attname AS name, a.attnum AS ordinal,
       format_type(a.atttypid, a.atttypmod) AS data_type, NOT a.attnotnull AS nullable
FROM pg_attribute a
WHERE a.attrelid = ANY(%(oids)s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

_CONSTRAINTS = """
SELECT con.conrelid AS oid, con.contype, con.conname,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.i) AS columns,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, i)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.i) AS ref_columns,
       fn.nspname AS ref_schema, fc.relname AS ref_table
FROM pg_constraint con
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.contype IN ('p', 'f') AND con.conrelid = ANY(%(oids)s)
ORDER BY con.conrelid, con.conname
"""


def discover(conn: PostgresConnection, password: str | None) -> DiscoveryResult:
    """Every table, view, materialized view and foreign table of the database (partitions are folded
    into their parent), with columns, types, keys and row estimates (``pg_class.reltuples``; None
    until the table was analyzed)."""
    ns = namespace(conn)
    with connect(conn, password) as connection, connection.cursor(row_factory=dict_row) as cur:
        relations = cur.execute(_RELATIONS, {"schemas": conn.include_schemas}).fetchall()
        oids = [r["oid"] for r in relations]
        columns: dict[int, list[dict[str, Any]]] = {}
        for row in cur.execute(_COLUMNS, {"oids": oids}).fetchall():
            columns.setdefault(row["oid"], []).append(row)
        constraints: dict[int, list[dict[str, Any]]] = {}
        for row in cur.execute(_CONSTRAINTS, {"oids": oids}).fetchall():
            constraints.setdefault(row["oid"], []).append(row)
    assets = []
    for rel in relations:
        cons = constraints.get(rel["oid"], [])
        pk = next((c["columns"] for c in cons if c["contype"] == "p"), [])
        fks = [
            ForeignKey(
                name=c["conname"],
                columns=list(c["columns"]),
                references=f"{ns}/{conn.database}.{c['ref_schema']}.{c['ref_table']}",
                referenced_columns=list(c["ref_columns"]),
            )
            for c in cons
            if c["contype"] == "f"
        ]
        cols = [
            DiscoveredColumn(
                name=c["name"],
                ordinal=c["ordinal"],
                data_type=c["data_type"],
                logical_type=types.from_postgres(c["data_type"]),
                nullable=c["nullable"],
                is_primary_key=c["name"] in pk,
            )
            for c in columns.get(rel["oid"], [])
        ]
        reltuples = rel["reltuples"]
        row_estimate = int(reltuples) if reltuples is not None and reltuples >= 0 else None
        if rel["relkind"] in ("v", "f"):
            row_estimate = None
        ddl = {
            "relkind": rel["relkind"],
            "columns": [[c.name, c.data_type, c.nullable] for c in cols],
            "primary_key": list(pk),
            "foreign_keys": [fk.model_dump() for fk in fks],
            "viewdef": rel["viewdef"],
        }
        name = f"{conn.database}.{rel['schema_name']}.{rel['table_name']}"
        assets.append(
            DiscoveredAsset(
                namespace=ns,
                name=name,
                qualified_name=f"{ns}/{name}",
                asset_type="view" if rel["relkind"] in ("v", "m") else "table",
                columns=cols,
                row_estimate=row_estimate,
                fingerprint=Fingerprint.of(stable_hash(ddl), row_estimate),
                schema_name=rel["schema_name"],
                table_name=rel["table_name"],
                relkind=rel["relkind"],
                primary_key=list(pk),
                foreign_keys=fks,
            )
        )
    return DiscoveryResult(assets=assets)


def sample_query(asset: DiscoveredAsset, rows: int) -> tuple[sql.Composed, str]:
    """The sampling query for ``asset`` and its method: ``TABLESAMPLE SYSTEM`` on tables large enough
    for block sampling to pay off (about 3x the rows wanted, so a sparse page still fills the
    sample), otherwise ``LIMIT``."""
    table = sql.Identifier(asset.schema_name or "", asset.table_name or "")
    estimate = asset.row_estimate or 0
    if asset.relkind in ("r", "m") and estimate > rows * 10:
        percent = min(100.0, max(0.0001, rows * 3 * 100.0 / estimate))
        query = sql.SQL("SELECT * FROM {} TABLESAMPLE SYSTEM ({}) LIMIT {}").format(
            table, sql.Literal(round(percent, 6)), sql.Literal(rows)
        )
        return query, "tablesample"
    return sql.SQL("SELECT * FROM {} LIMIT {}").format(table, sql.Literal(rows)), "limit"


def sample(conn: PostgresConnection, password: str | None, asset: DiscoveredAsset, rows: int = 100) -> AssetSample:
    """Up to ``rows`` rows of a table or view; a block sample that came back short is topped up with
    ``LIMIT`` (small or skewed tables)."""
    query, method = sample_query(asset, rows)
    logical = {c.name: c.logical_type for c in asset.columns}
    with connect(conn, password) as connection, connection.cursor() as cur:
        cur.execute(query)
        records = cur.fetchall()
        names = [d.name for d in cur.description or []]
        if method == "tablesample" and len(records) < rows:
            cur.execute(
                sql.SQL("SELECT * FROM {} LIMIT {}").format(
                    sql.Identifier(asset.schema_name or "", asset.table_name or ""), sql.Literal(rows)
                )
            )
            records, method = cur.fetchall(), "limit"
    cells = list(zip(*records, strict=True)) if records else [() for _ in names]  # the values column by column
    columns = [
        ColumnValues(name=name, logical_type=logical.get(name, "other"), values=clean_column(cells[i]))
        for i, name in enumerate(names)
    ]
    return AssetSample(qualified_name=asset.qualified_name, method=method, rows_sampled=len(records), columns=columns)  # type: ignore[arg-type]
