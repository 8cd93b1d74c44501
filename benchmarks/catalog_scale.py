"""Catalog at scale: 50,000 tables, 1,000,000 columns and 500,000 lineage edges in an embedded
PostgreSQL (pgserver, temporary directory), bulk-loaded with COPY; then search and impact latency
through the real services (``core.catalog.search.search`` and ``core.catalog.lineage.impact``).

Graph shape: 50 domains x 20 layers x 50 tables; every table of layers 0-18 feeds 1-2 tables of the
next layer of its domain (50,000 table edges), each table edge carries 9 column edges (450,000).
Search: 1-2 word queries from the naming vocabulary, scoped to the workspace, limit 20, with facet
counts; a third also filter by type or classification. Impact: 10 hops downstream from tables of
layers 0-9, with owners and classifications.

    .venv/bin/python benchmarks/catalog_scale.py
"""

from __future__ import annotations

import logging
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.auth.access import build_access  # noqa: E402
from core.auth.policy import token_grants  # noqa: E402
from core.auth.principal import Principal  # noqa: E402
from core.catalog import lineage, search  # noqa: E402
from core.catalog.repository import _SEARCH_VECTOR  # noqa: E402
from core.db.database import Database  # noqa: E402
from core.db.migrations import apply_migrations  # noqa: E402
from core.db.unit_of_work import UnitOfWork  # noqa: E402

TABLES, COLUMNS_PER_TABLE, DOMAINS, LAYERS = 50_000, 20, 50, 20
COLUMN_EDGES_PER_TABLE_EDGE = 9
QUERIES = 200
NS = "postgres://warehouse.internal:5432"
WORDS = (
    "customer order invoice payment account address email phone product shipment supplier employee "
    "salary contract ledger balance transaction refund campaign lead session device location store "
    "inventory price discount tax currency country region patient claim policy premium loan card"
).split()
COLUMN_WORDS = WORDS + "id name code date amount status type created updated number total count".split()
CLASSES = [
    ("email_address", "Confidential"),
    ("phone_number", "Confidential"),
    ("us_ssn", "Highly Confidential"),
    ("credit_card_number", "Highly Confidential"),
    ("person_name", "Confidential"),
]
RANK = {"Public": 0, "Internal": 1, "Confidential": 2, "Highly Confidential": 3}
GIN = (
    "catalog_assets_search_idx",
    "catalog_assets_tags_idx",
    "catalog_assets_cls_idx",
    "catalog_assets_owner_idx",
    "catalog_assets_terms_idx",
)


def vector(name: str, tags: str, qualified: str, description: str) -> str:
    """A tsvector literal with the weights of core.catalog.repository._SEARCH_VECTOR (A name, B tags,
    C qualified name, D description): computing it in SQL for 1M rows took minutes."""
    out, pos = [], 1
    for text, weight in ((name, "A"), (tags, "B"), (qualified, "C"), (description, "D")):
        for word in re.findall(r"[^\W_]+", text.lower()):
            out.append(f"'{word}':{min(pos, 16383)}{weight}")
            pos += 1
    return " ".join(out)


def copy_rows(conn, table: str, columns: str, rows) -> None:
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load(db: Database, ws: uuid.UUID, rnd: random.Random) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    with db.connection() as conn:
        conn.execute(
            "INSERT INTO workspaces (id, name, region, created_by) VALUES (%s, 'bench', 'westeurope', 'b')", (ws,)
        )
        index_defs = [
            conn.execute("SELECT pg_get_indexdef(%s::regclass) AS d", (name,)).fetchone()["d"] for name in GIN
        ]
        for name in GIN:
            conn.execute(f"DROP INDEX {name}")
        conn.execute("ALTER TABLE catalog_assets ALTER created_by SET DEFAULT 'bench'")  # this throwaway DB only
        source, database = uuid.uuid4(), uuid.uuid4()
        schemas = [uuid.uuid4() for _ in range(DOMAINS)]
        tables = [uuid.uuid4() for _ in range(TABLES)]
        columns: list[list[uuid.UUID]] = []
        cls_rows = []

        def assets():
            yield (source, ws, "data_source", NS, "", NS, None, None, "", None, None, "{}", None, None, "{}")
            yield (database, ws, "database", NS, "dw", "dw", source, source, "", None, None, "{}", None, None, "{}")
            for d, sid in enumerate(schemas):
                yield (
                    sid,
                    ws,
                    "schema",
                    NS,
                    f"dw.d{d}",
                    f"d{d}",
                    database,
                    source,
                    "",
                    None,
                    None,
                    "{}",
                    None,
                    None,
                    "{}",
                )
            for t, tid in enumerate(tables):
                domain = t // (TABLES // DOMAINS)
                name = f"{rnd.choice(WORDS)}_{rnd.choice(WORDS)}_{t}"
                desc = f"{rnd.choice(WORDS)} {rnd.choice(WORDS)} data for the {rnd.choice(WORDS)} team"
                tags = "{" + rnd.choice(["gold", "silver", "bronze", "raw"]) + "}"
                owner = "{" + f"team-{domain % 10}" + "}"
                yield (
                    tid,
                    ws,
                    "table",
                    NS,
                    f"dw.d{domain}.{name}",
                    name,
                    schemas[domain],
                    source,
                    desc,
                    None,
                    None,
                    tags,
                    None,
                    None,
                    owner,
                    "{}",
                    vector(name, tags, f"dw d{domain} {name}", desc),
                )
                cols = []
                for c in range(COLUMNS_PER_TABLE):
                    cid = uuid.uuid4()
                    cols.append(cid)
                    cname = f"{rnd.choice(COLUMN_WORDS)}_{rnd.choice(COLUMN_WORDS)}_{c}"
                    cls, label, rank = "{}", None, None
                    if rnd.random() < 0.05:
                        klass, label = rnd.choice(CLASSES)
                        cls, rank = "{" + klass + "}", RANK[label]
                        cls_rows.append((uuid.uuid4(), ws, cid, klass, "scan", "suggested", 0.9, label, "bench"))
                    yield (
                        cid,
                        ws,
                        "column",
                        NS,
                        f"dw.d{domain}.{name}#{cname}",
                        cname,
                        tid,
                        source,
                        "",
                        "text",
                        c,
                        "{}",
                        label,
                        rank,
                        "{}",
                        cls,
                        vector(cname, "", f"dw d{domain} {name} {cname}", ""),
                    )
                columns.append(cols)

        started = time.perf_counter()
        base = (
            "id, workspace_id, type, namespace, name, display_name, parent_id, data_source_id, description,"
            " data_type, ordinal, tags, sensitivity, sensitivity_rank, owner_ids"
        )
        rows = list(assets())
        copy_rows(conn, "catalog_assets", base, (r for r in rows if len(r) == 15))
        copy_rows(
            conn, "catalog_assets", base + ", classification_ids, search_vector", (r for r in rows if len(r) == 17)
        )
        copy_rows(
            conn,
            "catalog_classifications",
            "id, workspace_id, asset_id, classification_id, source, status, confidence, sensitivity, created_by",
            cls_rows,
        )
        copy_rows(
            conn,
            "catalog_owners",
            "asset_id, workspace_id, principal_id, principal_type, role",
            ((tid, ws, f"team-{(t // (TABLES // DOMAINS)) % 10}", "group", "owner") for t, tid in enumerate(tables)),
        )
        edges = []
        per_layer = TABLES // DOMAINS // LAYERS
        for t in range(TABLES):
            local = t % (TABLES // DOMAINS)
            layer = local // per_layer
            if layer == LAYERS - 1:
                continue
            base_index = t - local + (layer + 1) * per_layer
            for target in rnd.sample(range(per_layer), 2 if rnd.random() < 0.05 else 1):
                edges.append((t, base_index + target))
        while len(edges) < TABLES:  # top up to exactly 50,000 table edges
            t = rnd.randrange(TABLES)
            local = t % (TABLES // DOMAINS)
            layer = local // per_layer
            if layer < LAYERS - 1:
                target = t - local + (layer + 1) * per_layer + rnd.randrange(per_layer)
                edges.append((t, target))
            edges = list(dict.fromkeys(edges))
        edges = edges[:TABLES]

        def edge_rows():
            for s, t in edges:
                yield (uuid.uuid4(), ws, tables[s], tables[t], "table", "openlineage", "bench")
                for c in range(COLUMN_EDGES_PER_TABLE_EDGE):
                    yield (uuid.uuid4(), ws, columns[s][c], columns[t][c], "column", "openlineage", "bench")

        copy_rows(
            conn, "lineage_edges", "id, workspace_id, source_id, target_id, level, origin, created_by", edge_rows()
        )
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute(
            f"UPDATE catalog_assets a SET search_vector = {_SEARCH_VECTOR} FROM (SELECT NULL::text AS words) t"
        )
        for definition in index_defs:
            conn.execute(definition)
        conn.commit()
    with db.connection() as conn:
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM catalog_assets WHERE type='table') AS tables,"
            " (SELECT count(*) FROM catalog_assets WHERE type='column') AS columns,"
            " (SELECT count(*) FROM lineage_edges) AS edges"
        ).fetchone()
        conn.autocommit = False
    indexed = time.perf_counter() - started
    print(f"tables={counts['tables']}")
    print(f"columns={counts['columns']}")
    print(f"lineage_edges={counts['edges']}")
    print(f"load_copy_s={loaded:.1f}")
    print(f"index_and_search_vector_s={indexed:.1f}")
    per_domain = TABLES // DOMAINS
    roots = [tables[d * per_domain + i] for d in range(DOMAINS) for i in range(per_domain // 2)]
    return tables, roots


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    logging.disable(logging.WARNING)
    rnd = random.Random(6)
    with tempfile.TemporaryDirectory(prefix="dw-catalog-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="stop")
        url = server.get_uri()
        apply_migrations(url)
        db = Database(url, max_size=2)
        ws = uuid.uuid4()
        _, roots = load(db, ws, rnd)
        principal = Principal("bench", roles=frozenset({"Admin"}))
        read = build_access(principal, "catalog:read", token_grants(principal))
        lineage_read = build_access(principal, "lineage:read", token_grants(principal))

        search_ms, hits = [], []
        for i in range(QUERIES + 10):
            q = " ".join(rnd.sample(WORDS, rnd.choice([1, 2])))
            params: dict[str, object] = {"q": q, "workspace_id": ws, "limit": 20}
            if i % 3 == 1:
                params["type"] = "table"
            elif i % 3 == 2:
                params["classification"] = rnd.choice(CLASSES)[0]
            query = search.SearchQuery.model_validate(params)
            started = time.perf_counter()
            with UnitOfWork(db) as uow:
                result = search.search(uow, read, query)
            if i >= 10:  # warm-up excluded
                search_ms.append((time.perf_counter() - started) * 1000)
                hits.append(sum(result.facets["type"].values()))
        impact_ms, reached = [], []
        for i in range(QUERIES + 10):
            root = rnd.choice(roots)
            started = time.perf_counter()
            with UnitOfWork(db) as uow:
                result = lineage.impact(uow, lineage_read, root, lineage.ImpactQuery(depth=10))
            if i >= 10:
                impact_ms.append((time.perf_counter() - started) * 1000)
                reached.append(len(result.items))
        db.close()
    print(f"search_matches_median={statistics.median(hits):.0f}")
    print(f"search_p50_ms={pct(search_ms, 50):.1f}")
    print(f"search_p95_ms={pct(search_ms, 95):.1f}")
    print(f"impact_downstream_assets_median={statistics.median(reached):.0f}")
    print(f"impact_downstream_assets_max={max(reached)}")
    print(f"impact_10hop_p50_ms={pct(impact_ms, 50):.1f}")
    print(f"impact_10hop_p95_ms={pct(impact_ms, 95):.1f}")
    print(
        f"headline=search_p95_ms:{pct(search_ms, 95):.1f}(target<100),"
        f"impact_10hop_p95_ms:{pct(impact_ms, 95):.1f}(target<200)"
    )


if __name__ == "__main__":
    main()
