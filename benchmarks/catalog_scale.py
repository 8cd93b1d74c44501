"""Catalog at scale: 50,000 tables, 1,000,000 columns and 500,000 lineage edges in an embedded
PostgreSQL (pgserver, temporary directory), bulk-loaded with COPY; then search and impact latency
through the real services (``core.catalog.search.search`` and ``core.catalog.lineage.impact``).

Graph shape: 50 domains x 20 layers x 50 tables; every table of layers 0-18 feeds 1-2 tables of the
next layer of its domain (50,000 table edges), each table edge carries 9 column edges (450,000).
Search: 1-2 word queries from the naming vocabulary, scoped to the workspace, limit 20, with facet
counts (the default); a third also filter by type or classification. Searches consider at most
core.catalog.search.WINDOW candidates (docs/catalog.md); search_capped_share is the share of queries
with more matches than that. Impact: 10 hops downstream from tables of
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


LOADED = ("catalog_assets", "catalog_classifications", "catalog_owners", "lineage_edges")


def vector(name: str, tags: str, qualified: str, description: str) -> str:
    """The tsvector literal core.catalog.repository._SEARCH_VECTOR gives a table or column of this
    data (no glossary terms): A the display name whole and split into words (the same words twice
    here, as the parser splits on ``_`` too), B the tags, C namespace + qualified name split on
    punctuation, D the description; positions run on across the parts like ``||``. Computing it in
    SQL for 1M rows takes minutes; ``check_vectors`` compares a sample with the SQL expression."""
    lexemes: dict[str, list[str]] = {}
    pos = 1
    for text, weight in ((f"{name} {name}", "A"), (tags, "B"), (qualified, "C"), (description, "D")):
        for word in re.findall(r"[^\W_]+", text.lower()):
            lexemes.setdefault(word, []).append(f"{min(pos, 16383)}{weight}")
            pos += 1
    return " ".join(f"'{word}':{','.join(positions)}" for word, positions in sorted(lexemes.items()))


def copy_lines(conn, table: str, columns: str, lines) -> None:
    """COPY text-format lines (tab-separated, ``\\N`` for NULL; no value here needs escaping)."""
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        chunk: list[str] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= 5000:
                copy.write("".join(chunk))
                chunk.clear()
        if chunk:
            copy.write("".join(chunk))


def schema_of(conn) -> list[tuple[str, str]]:
    """Indexes and constraints of the loaded tables (and foreign keys into them), to drop them for
    the bulk load, recreate them afterwards and check the schema came back identical."""
    rows = conn.execute(
        """
        SELECT 'c:' || conrelid::regclass::text || ':' || conname AS key, pg_get_constraintdef(oid) AS def,
               contype::text AS kind
        FROM pg_constraint WHERE contype IN ('p', 'u', 'f')
          AND (conrelid::regclass::text = ANY(%(t)s) OR confrelid::regclass::text = ANY(%(t)s))
        UNION ALL
        SELECT 'i:' || tablename || ':' || indexname, indexdef, 'i' FROM pg_indexes
        WHERE schemaname = 'public' AND tablename = ANY(%(t)s)
          AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))
        ORDER BY 1
        """,
        {"t": list(LOADED)},
    ).fetchall()
    return [(r["key"], r["def"], r["kind"]) for r in rows]


def check_vectors(conn, sample: int = 3000) -> int:
    """How many of a random sample of tables and columns have a search vector other than the one
    the app computes (core.catalog.repository._SEARCH_VECTOR, no glossary terms)."""
    return conn.execute(
        f"""
        SELECT count(*) AS bad FROM (
            SELECT a.*, NULL::text AS words FROM catalog_assets a
            WHERE a.type IN ('table', 'column') ORDER BY random() LIMIT {sample}
        ) a WHERE a.search_vector IS DISTINCT FROM ({_SEARCH_VECTOR.replace("t.words", "a.words")})
        """
    ).fetchone()["bad"]


def load(db: Database, ws: uuid.UUID, rnd: random.Random) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Bulk load the way pg_restore does: drop the loaded tables' keys, indexes and foreign keys,
    stream COPY text while generating rows, then recreate them (checked identical) and analyse."""
    with db.connection() as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute(
            "INSERT INTO workspaces (id, name, region, created_by) VALUES (%s, 'bench', 'westeurope', 'b')", (ws,)
        )
        schema = schema_of(conn)
        for key, _, kind in sorted(schema, key=lambda s: "fpui".index(s[2])):  # foreign keys first
            _, table, name = key.split(":")
            conn.execute(f"DROP INDEX {name}" if kind == "i" else f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        source, database = uuid.uuid4(), uuid.uuid4()
        schemas = [uuid.uuid4() for _ in range(DOMAINS)]
        tables = [uuid.uuid4() for _ in range(TABLES)]
        columns: list[list[uuid.UUID]] = []
        cls_rows: list[str] = []
        n = "\\N"

        def assets():
            empty = ("", n, n, "{}", n, n, "{}", "{}", "", "bench")  # description .. created_by
            yield "\t".join(map(str, (source, ws, "data_source", NS, "", NS, n, n, *empty))) + "\n"
            yield "\t".join(map(str, (database, ws, "database", NS, "dw", "dw", source, source, *empty))) + "\n"
            for d, sid in enumerate(schemas):
                yield "\t".join(map(str, (sid, ws, "schema", NS, f"dw.d{d}", f"d{d}", database, source, *empty))) + "\n"
            ns_words = NS.replace(":", " ").replace("/", " ").replace(".", " ")
            for t, tid in enumerate(tables):
                domain = t // (TABLES // DOMAINS)
                name = f"{rnd.choice(WORDS)}_{rnd.choice(WORDS)}_{t}"
                desc = f"{rnd.choice(WORDS)} {rnd.choice(WORDS)} data for the {rnd.choice(WORDS)} team"
                tag = rnd.choice(["gold", "silver", "bronze", "raw"])
                owner = f"team-{domain % 10}"
                tvec = vector(name, tag, f"{ns_words} dw d{domain} {name}", desc)
                yield (
                    f"{tid}\t{ws}\ttable\t{NS}\tdw.d{domain}.{name}\t{name}\t{schemas[domain]}\t{source}\t{desc}"
                    f"\t{n}\t{n}\t{{{tag}}}\t{n}\t{n}\t{{{owner}}}\t{{}}\t{tvec}\tbench\n"
                )
                cols = []
                for c in range(COLUMNS_PER_TABLE):
                    cid = uuid.uuid4()
                    cols.append(cid)
                    cname = f"{rnd.choice(COLUMN_WORDS)}_{rnd.choice(COLUMN_WORDS)}_{c}"
                    cls, label, rank = "{}", n, n
                    if rnd.random() < 0.05:
                        klass, label = rnd.choice(CLASSES)
                        cls, rank = "{" + klass + "}", RANK[label]
                        cls_rows.append(f"{uuid.uuid4()}\t{ws}\t{cid}\t{klass}\tscan\tsuggested\t0.9\t{label}\tbench\n")
                    cvec = vector(cname, "", f"{ns_words} dw d{domain} {name} {cname}", "")
                    yield (
                        f"{cid}\t{ws}\tcolumn\t{NS}\tdw.d{domain}.{name}#{cname}\t{cname}\t{tid}\t{source}\t"
                        f"\ttext\t{c}\t{{}}\t{label}\t{rank}\t{{}}\t{cls}\t{cvec}\tbench\n"
                    )
                columns.append(cols)

        started = time.perf_counter()
        copy_lines(
            conn,
            "catalog_assets",
            "id, workspace_id, type, namespace, name, display_name, parent_id, data_source_id, description,"
            " data_type, ordinal, tags, sensitivity, sensitivity_rank, owner_ids, classification_ids, search_vector,"
            " created_by",
            assets(),
        )
        copy_lines(
            conn,
            "catalog_classifications",
            "id, workspace_id, asset_id, classification_id, source, status, confidence, sensitivity, created_by",
            cls_rows,
        )
        copy_lines(
            conn,
            "catalog_owners",
            "asset_id, workspace_id, principal_id, principal_type, role",
            (f"{tid}\t{ws}\tteam-{(t // (TABLES // DOMAINS)) % 10}\tgroup\towner\n" for t, tid in enumerate(tables)),
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
                yield f"{uuid.uuid4()}\t{ws}\t{tables[s]}\t{tables[t]}\ttable\topenlineage\tbench\n"
                for c in range(COLUMN_EDGES_PER_TABLE_EDGE):
                    yield f"{uuid.uuid4()}\t{ws}\t{columns[s][c]}\t{columns[t][c]}\tcolumn\topenlineage\tbench\n"

        copy_lines(
            conn, "lineage_edges", "id, workspace_id, source_id, target_id, level, origin, created_by", edge_rows()
        )
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        # The data source, database and schemas (52 rows) get their vector from the app's expression.
        conn.execute(
            f"UPDATE catalog_assets a SET search_vector = {_SEARCH_VECTOR} FROM (SELECT NULL::text AS words) t"
            " WHERE a.type IN ('data_source', 'database', 'schema')"
        )
        for key, definition, kind in sorted(schema, key=lambda s: "puif".index(s[2])):  # keys first
            _, table, name = key.split(":")
            conn.execute(definition if kind == "i" else f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        if schema_of(conn) != schema:
            raise SystemExit("the schema after the bulk load differs from the migrated one")
        bad = check_vectors(conn)
        if bad:
            raise SystemExit(f"{bad} search vectors differ from core.catalog.repository._SEARCH_VECTOR")
        conn.commit()
    with db.connection() as conn:
        conn.autocommit = True
        conn.execute(f"VACUUM ANALYZE {', '.join(LOADED)}")
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

        search_ms, hits, capped = [], [], []
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
                capped.append(result.capped)
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
    print(f"search_considered_median={statistics.median(hits):.0f}")
    print(f"search_capped_share={sum(capped) / len(capped):.2f}")
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
