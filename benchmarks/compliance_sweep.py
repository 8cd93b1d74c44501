"""Compliance sweep at scale: all five framework packs over 50,000 tables / 1,000,000 columns.

An embedded PostgreSQL (pgserver, temporary directory) is filled server-side with generate_series:
one workspace (eastus, so GDPR residency fires), 50,000 tables of 20 columns, 10% of columns
classified (PII, PHI, PCI, financial; 1/3 accepted), owners on half the tables, retention and masking
properties on some, a Viewer and an uncleared analyst assignment, and schema changes on 2% of tables.
Then one full sweep (``evaluate_workspace``: every pack policy, violations reconciled, risk history)
and a second one (steady state: everything deduplicated). Prints one ``name=value`` line per figure:
wall time and evaluations/s of each sweep, the headline last (``sweep_s``: the slower of the two, as
the target applies to both).

    .venv/bin/python benchmarks/compliance_sweep.py [--tables 50000] [--columns-per-table 20]

Target: a full sweep < 60 s, first and steady state.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.compliance.evaluation import evaluate_workspace  # noqa: E402
from core.compliance.packs import pack_rules  # noqa: E402
from core.db.database import Database  # noqa: E402
from core.db.migrations import apply_migrations  # noqa: E402
from core.db.unit_of_work import UnitOfWork  # noqa: E402

CLASSES = [
    ("email_address", "Confidential"),
    ("person_name", "Confidential"),
    ("medical_record_number", "Highly Confidential"),
    ("icd10_code", "Highly Confidential"),
    ("credit_card_number", "Highly Confidential"),
    ("iban", "Confidential"),
    ("bank_account_number", "Confidential"),
    ("us_ssn", "Highly Confidential"),
]


def load(db: Database, ws: uuid.UUID, tables: int, per_table: int) -> None:
    ns = "postgres://bench:5432"
    ids = ",".join(f"'{c}'" for c, _ in CLASSES)
    labels = ",".join(f"'{s}'" for _, s in CLASSES)
    with db.connection() as conn:
        conn.execute(
            "INSERT INTO workspaces (id, name, region, created_by) VALUES (%s, 'bench', 'eastus', 'bench')", (ws,)
        )
        source = uuid.uuid4()
        conn.execute(
            "INSERT INTO catalog_assets (id, workspace_id, type, namespace, name, display_name, created_by)"
            " VALUES (%s, %s, 'data_source', %s, '', 'bench', 'bench')",
            (source, ws, ns),
        )
        conn.execute(
            f"""
            INSERT INTO catalog_assets (id, workspace_id, type, namespace, name, display_name, parent_id,
                                        data_source_id, properties, created_by)
            SELECT md5('t' || i)::uuid, %(ws)s, 'table', %(ns)s, 'db.public.t' || i, 't' || i, %(src)s, %(src)s,
                   CASE WHEN i %% 3 = 0 THEN '{{"retention_days": 365}}'::jsonb ELSE '{{}}'::jsonb END, 'bench'
              FROM generate_series(1, {tables}) i
            """,
            {"ws": ws, "ns": ns, "src": source},
        )
        conn.execute(
            f"""
            INSERT INTO catalog_assets (id, workspace_id, type, namespace, name, display_name, parent_id,
                                        data_source_id, data_type, ordinal, properties, created_by,
                                        sensitivity, sensitivity_rank)
            SELECT md5('c' || i || '.' || j)::uuid, %(ws)s, 'column', %(ns)s, 'db.public.t' || i || '#c' || j,
                   'c' || j, md5('t' || i)::uuid, %(src)s, 'text', j,
                   CASE WHEN j %% 4 = 0 THEN '{{"masked": true}}'::jsonb ELSE '{{}}'::jsonb END, 'bench',
                   CASE WHEN (i * 7 + j) %% 10 = 0
                        THEN (ARRAY[{labels}])[((i + j) %% {len(CLASSES)}) + 1] END,
                   CASE WHEN (i * 7 + j) %% 10 = 0
                        THEN array_position(ARRAY['Public','Internal','Confidential','Highly Confidential'],
                             (ARRAY[{labels}])[((i + j) %% {len(CLASSES)}) + 1]) - 1 END
              FROM generate_series(1, {tables}) i, generate_series(1, {per_table}) j
            """,
            {"ws": ws, "ns": ns, "src": source},
        )
        conn.execute(
            f"""
            INSERT INTO catalog_classifications (id, workspace_id, asset_id, classification_id, source, status,
                                                 confidence, sensitivity, created_by)
            SELECT gen_random_uuid(), %(ws)s, md5('c' || i || '.' || j)::uuid,
                   (ARRAY[{ids}])[((i + j) %% {len(CLASSES)}) + 1], 'scan',
                   CASE WHEN (i + j) %% 3 = 0 THEN 'accepted' ELSE 'suggested' END, 0.9,
                   (ARRAY[{labels}])[((i + j) %% {len(CLASSES)}) + 1], 'bench'
              FROM generate_series(1, {tables}) i, generate_series(1, {per_table}) j
             WHERE (i * 7 + j) %% 10 = 0
            """,
            {"ws": ws},
        )
        conn.execute(
            f"""
            INSERT INTO catalog_owners (asset_id, workspace_id, principal_id, principal_type, role)
            SELECT md5('t' || i)::uuid, %(ws)s, 'owner' || (i %% 50), 'user', 'owner'
              FROM generate_series(1, {tables}) i WHERE i %% 2 = 0
            """,
            {"ws": ws},
        )
        conn.execute(
            f"""
            INSERT INTO catalog_schema_changes (workspace_id, asset_id, column_name, change, new_type, scan_id)
            SELECT %(ws)s, md5('t' || i)::uuid, 'c1', 'column_added', 'text', 'scan-' || i
              FROM generate_series(1, {tables}) i WHERE i %% 50 = 0
            """,
            {"ws": ws},
        )
        conn.execute(
            "INSERT INTO role_assignments (id, principal_id, principal_type, role, workspace_id, created_by) VALUES"
            " (gen_random_uuid(), 'viewer', 'user', 'Viewer', %(ws)s, 'bench'),"
            " (gen_random_uuid(), 'analyst', 'user', 'BusinessAnalyst', %(ws)s, 'bench')",
            {"ws": ws},
        )
        conn.execute("ANALYZE")
        conn.commit()


def sweep(db: Database, ws: uuid.UUID) -> tuple[float, object]:
    started = time.perf_counter()
    with UnitOfWork(db) as uow:
        summary = evaluate_workspace(uow, ws, "sweep", actor="benchmark")
        uow.commit()
    return time.perf_counter() - started, summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", type=int, default=50_000)
    parser.add_argument("--columns-per-table", type=int, default=20)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="dw-compliance-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="stop")
        url = server.get_uri()
        apply_migrations(url)
        db = Database(url, max_size=2)
        ws = uuid.uuid4()
        started = time.perf_counter()
        load(db, ws, args.tables, args.columns_per_table)
        print(f"tables={args.tables}")
        print(f"columns={args.tables * args.columns_per_table}")
        print(f"pack_policies={len(pack_rules())}")
        print(f"load_s={time.perf_counter() - started:.1f}")
        walls = []
        for name in ("first_sweep", "steady_sweep"):
            seconds, summary = sweep(db, ws)
            walls.append(seconds)
            print(f"{name}_s={seconds:.1f}")
            print(f"{name}_evaluations={summary.evaluations}")
            print(f"{name}_evaluations_per_s={summary.evaluations / seconds:.0f}")
            print(f"{name}_violating={summary.violating}")
            print(f"{name}_opened={summary.opened}")
            print(f"{name}_resolved={summary.resolved}")
        print(f"target_60s={'met' if max(walls) < 60 else 'MISSED'}")
        print(f"sweep_s={max(walls):.1f}")
        db.close()
        server.cleanup()


if __name__ == "__main__":
    main()
