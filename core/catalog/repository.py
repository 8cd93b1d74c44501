"""Catalog persistence: assets, owners, classifications, schema changes. Every read that starts
from a caller's request is filtered by the caller's workspace scope here, not in services."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from core.auth.policy import WorkspaceScope

Row = dict[str, Any]

# Sensitivity labels by rank (core.auth.conditions.Sensitivity / classification SensitivityLabel order).
LABELS = ("Public", "Internal", "Confidential", "Highly Confidential")
_RANK_SQL = "array_position(ARRAY['Public','Internal','Confidential','Highly Confidential'], {col}) - 1"

# The searchable text of an asset: its name (whole and split into words) weighs most, then tags,
# glossary terms (names and synonyms), the full qualified name and the description.
_SEARCH_VECTOR = """
    setweight(to_tsvector('simple',
        a.display_name || ' ' || regexp_replace(a.display_name, '[^[:alnum:]]+', ' ', 'g')), 'A')
    || setweight(to_tsvector('simple', array_to_string(a.tags, ' ') || ' ' || coalesce(t.words, '')), 'B')
    || setweight(to_tsvector('simple', regexp_replace(a.namespace || ' ' || a.name, '[^[:alnum:]]+', ' ', 'g')), 'C')
    || setweight(to_tsvector('simple', a.description), 'D')
"""


_COLUMN_FIELDS = (
    "namespace",
    "name",
    "display_name",
    "parent_id",
    "data_source_id",
    "data_type",
    "ordinal",
    "description",
)


def records_json(records: Sequence[Row]) -> Jsonb:
    """Rows as one JSON array parameter for ``jsonb_to_recordset``: one C-speed ``json.dumps`` instead
    of adapting a Python list per column (ids and other non-JSON values become their text)."""
    return Jsonb(list(records), dumps=_dumps_records)


def _dumps_records(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


class CatalogRepository:
    def __init__(self, connection: psycopg.Connection) -> None:
        self._conn = connection

    # -- assets ---------------------------------------------------------------------------------
    def find(self, workspace_id: UUID, namespace: str, name: str) -> Row | None:
        return self._conn.execute(
            "SELECT * FROM catalog_assets WHERE workspace_id = %s AND namespace = %s AND name = %s",
            (workspace_id, namespace, name),
        ).fetchone()

    def ensure(
        self,
        workspace_id: UUID,
        asset_type: str,
        namespace: str,
        name: str,
        *,
        display_name: str,
        parent_id: UUID | None,
        data_source_id: UUID | None,
        actor: str,
    ) -> tuple[Row, bool]:
        """The asset with this qualified name, inserted when missing; (row, created)."""
        row = self._conn.execute(
            "INSERT INTO catalog_assets (id, workspace_id, type, namespace, name, display_name, parent_id,"
            " data_source_id, created_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (workspace_id, namespace, name) DO NOTHING RETURNING *",
            (uuid.uuid4(), workspace_id, asset_type, namespace, name, display_name, parent_id, data_source_id, actor),
        ).fetchone()
        if row is not None:
            return row, True
        existing = self.find(workspace_id, namespace, name)
        assert existing is not None
        return existing, False

    def ensure_many(self, workspace_id: UUID, assets: Sequence[Row], actor: str) -> list[tuple[Row, bool]]:
        """``ensure`` for many assets in two statements: each of ``assets`` (type, namespace, name,
        display_name, parent_id, data_source_id, optional properties and description; distinct
        qualified names) inserted when missing; (row, created) in input order. An inserted row has no
        owners, terms or classifications yet, so its search columns are written with it: it needs no
        ``refresh_search``."""
        if not assets:
            return []
        records = [
            {
                "id": uuid.uuid4(),
                "type": a["type"],
                "namespace": a["namespace"],
                "name": a["name"],
                "display_name": a["display_name"],
                "parent_id": a["parent_id"],
                "data_source_id": a["data_source_id"],
                "properties": a.get("properties") or {},
                "description": a.get("description") or "",
                "n": n,
            }
            for n, a in enumerate(assets)
        ]
        inserted = self._conn.execute(
            "INSERT INTO catalog_assets (id, workspace_id, type, namespace, name, display_name, parent_id,"
            " data_source_id, properties, description, created_by, search_vector)"
            " SELECT a.id, %s, a.type, a.namespace, a.name, a.display_name, a.parent_id, a.data_source_id,"
            f" a.properties, a.description, %s, {_SEARCH_VECTOR}"
            " FROM (SELECT v.*, '{}'::text[] AS tags FROM jsonb_to_recordset(%s) AS v(id uuid, type text,"
            " namespace text, name text, display_name text, parent_id uuid, data_source_id uuid, properties jsonb,"
            " description text, n int)) a CROSS JOIN (SELECT NULL::text AS words) t"
            " ORDER BY a.n ON CONFLICT (workspace_id, namespace, name) DO NOTHING RETURNING *",
            (workspace_id, actor, records_json(records)),
        ).fetchall()
        found = {(r["namespace"], r["name"]): (r, True) for r in inserted}
        missing = [a for a in assets if (a["namespace"], a["name"]) not in found]
        if missing:
            # Planned at each call (prepare=False): a plan cached while a new workspace's catalog was
            # nearly empty (a scan's first batches) would keep scanning the whole table as it grows.
            for row in self._conn.execute(
                "SELECT a.* FROM catalog_assets a JOIN unnest(%s::text[], %s::text[]) AS v(namespace, name)"
                " ON a.namespace = v.namespace AND a.name = v.name WHERE a.workspace_id = %s",
                ([a["namespace"] for a in missing], [a["name"] for a in missing], workspace_id),
                prepare=False,
            ):
                found[(row["namespace"], row["name"])] = (row, False)
        return [found[(a["namespace"], a["name"])] for a in assets]

    def insert_columns(self, workspace_id: UUID, columns: Sequence[Row], actor: str) -> list[Row]:
        """Column assets (namespace, name, display_name, parent_id, data_source_id, data_type, ordinal,
        description, and ``suggested``: the ids and sensitivity labels of the scan suggestions about to
        be written for it) inserted with their search columns as ``refresh_search`` would compute them
        once those suggestions exist. One that already exists gets the given type, ordinal and
        description only, and comes back with ``inserted`` false: it needs ``refresh_search``. Returns
        the id, namespace, name and ``inserted`` of each, not whole rows (a scan writes thousands)."""
        if not columns:
            return []
        records = [
            {
                **{k: c[k] for k in _COLUMN_FIELDS},
                "classification_ids": [cid for cid, _ in c["suggested"]],
                "sensitivity_rank": max(
                    (LABELS.index(label) for _, label in c["suggested"] if label in LABELS), default=None
                ),
                "n": n,
            }
            for n, c in enumerate(columns)
        ]
        return self._conn.execute(
            "INSERT INTO catalog_assets (id, workspace_id, type, namespace, name, display_name, parent_id,"
            " data_source_id, data_type, ordinal, description, created_by, classification_ids, sensitivity_rank,"
            " sensitivity, search_vector)"
            " SELECT gen_random_uuid(), %s, 'column', a.namespace, a.name, a.display_name, a.parent_id,"
            " a.data_source_id, a.data_type, a.ordinal, a.description, %s,"
            " ARRAY(SELECT DISTINCT x FROM jsonb_array_elements_text(a.classification_ids) x ORDER BY x),"
            f" a.sensitivity_rank, (ARRAY{list(LABELS)!r}::text[])[a.sensitivity_rank + 1], {_SEARCH_VECTOR}"
            " FROM (SELECT v.*, '{}'::text[] AS tags FROM jsonb_to_recordset(%s) AS v(namespace text,"
            " name text, display_name text, parent_id uuid, data_source_id uuid, data_type text, ordinal int,"
            " description text, classification_ids jsonb, sensitivity_rank smallint, n int)) a"
            " CROSS JOIN (SELECT NULL::text AS words) t"
            " ORDER BY a.n ON CONFLICT (workspace_id, namespace, name) DO UPDATE SET"
            " data_type = EXCLUDED.data_type, ordinal = EXCLUDED.ordinal, description = EXCLUDED.description,"
            " updated_at = now() RETURNING id, namespace, name, (xmax = 0) AS inserted",
            (workspace_id, actor, records_json(records)),
        ).fetchall()

    def update_datasets(self, updates: Sequence[tuple[UUID, dict[str, Any] | None, str | None]]) -> None:
        """(asset id, new properties or None to keep, new description or None to keep), set-based."""
        if not updates:
            return
        self._conn.execute(
            "UPDATE catalog_assets a SET properties = coalesce(v.properties, a.properties),"
            " description = coalesce(v.description, a.description), updated_at = now()"
            " FROM unnest(%s::uuid[], %s::jsonb[], %s::text[]) AS v(id, properties, description) WHERE a.id = v.id",
            (
                [u[0] for u in updates],
                [Jsonb(u[1]) if u[1] is not None else None for u in updates],
                [u[2] for u in updates],
            ),
        )

    def update_columns(self, updates: Sequence[Row]) -> None:
        """Existing columns (id, revive, data_type, ordinal, description or None to keep), set-based;
        ``revive`` clears ``removed_at``."""
        if not updates:
            return
        self._conn.execute(
            "UPDATE catalog_assets a SET removed_at = CASE WHEN v.revive THEN NULL ELSE a.removed_at END,"
            " data_type = v.data_type, ordinal = v.ordinal, description = coalesce(v.description, a.description),"
            " updated_at = now()"
            " FROM unnest(%s::uuid[], %s::bool[], %s::text[], %s::int[], %s::text[])"
            " AS v(id, revive, data_type, ordinal, description) WHERE a.id = v.id",
            (
                [u["id"] for u in updates],
                [u["revive"] for u in updates],
                [u["data_type"] for u in updates],
                [u["ordinal"] for u in updates],
                [u["description"] for u in updates],
            ),
        )

    def mark_removed(self, asset_ids: Sequence[UUID]) -> None:
        if asset_ids:
            self._conn.execute(
                "UPDATE catalog_assets SET removed_at = now(), updated_at = now() WHERE id = ANY(%s)",
                (list(asset_ids),),
            )

    def update(self, asset_id: UUID, **fields: Any) -> None:
        if not fields:
            return
        sets = ", ".join(f"{key} = %({key})s" for key in fields)
        values = {k: Jsonb(v) if k == "properties" else v for k, v in fields.items()}
        self._conn.execute(
            f"UPDATE catalog_assets SET {sets}, updated_at = now() WHERE id = %(asset_id)s",
            {**values, "asset_id": asset_id},
        )

    def get(self, scope: WorkspaceScope, asset_id: UUID) -> Row | None:
        where, params = scope.sql("workspace_id")
        return self._conn.execute(
            f"SELECT * FROM catalog_assets WHERE id = %(id)s AND {where}", {"id": asset_id, **params}
        ).fetchone()

    def get_many(self, ids: Sequence[UUID]) -> list[Row]:
        return self._conn.execute("SELECT * FROM catalog_assets WHERE id = ANY(%s)", (list(ids),)).fetchall()

    def children_of(self, parent_ids: Sequence[UUID]) -> dict[UUID, list[Row]]:
        """``children`` of several assets, by parent."""
        out: dict[UUID, list[Row]] = defaultdict(list)
        for row in self._conn.execute(
            "SELECT * FROM catalog_assets WHERE parent_id = ANY(%s) ORDER BY parent_id, ordinal NULLS LAST, name",
            (list(parent_ids),),
        ):
            out[row["parent_id"]].append(row)
        return out

    def children(self, asset_id: UUID) -> list[Row]:
        return self._conn.execute(
            "SELECT * FROM catalog_assets WHERE parent_id = %s ORDER BY ordinal NULLS LAST, name", (asset_id,)
        ).fetchall()

    def delete(self, asset_id: UUID) -> None:
        self._conn.execute("DELETE FROM catalog_assets WHERE id = %s", (asset_id,))

    def subtree_ids(self, asset_id: UUID) -> list[UUID]:
        rows = self._conn.execute(
            "WITH RECURSIVE sub(id) AS (SELECT %s::uuid UNION ALL"
            " SELECT a.id FROM catalog_assets a JOIN sub ON a.parent_id = sub.id) SELECT id FROM sub",
            (asset_id,),
        ).fetchall()
        return [r["id"] for r in rows]

    # -- owners ---------------------------------------------------------------------------------
    def set_owners(self, asset_id: UUID, workspace_id: UUID, owners: Iterable[Any]) -> None:
        self._conn.execute("DELETE FROM catalog_owners WHERE asset_id = %s", (asset_id,))
        for owner in owners:
            self._conn.execute(
                "INSERT INTO catalog_owners (asset_id, workspace_id, principal_id, principal_type, role)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (asset_id, workspace_id, owner.principal_id, owner.principal_type, owner.role),
            )

    def owners(self, asset_ids: Sequence[UUID]) -> dict[UUID, list[Row]]:
        out: dict[UUID, list[Row]] = defaultdict(list)
        for row in self._conn.execute(
            "SELECT asset_id, principal_id, principal_type, role FROM catalog_owners WHERE asset_id = ANY(%s)"
            " ORDER BY principal_id, role",
            (list(asset_ids),),
        ):
            out[row.pop("asset_id")].append(row)
        return out

    # -- classifications ------------------------------------------------------------------------
    def classifications(self, asset_ids: Sequence[UUID]) -> dict[UUID, list[Row]]:
        out: dict[UUID, list[Row]] = defaultdict(list)
        for row in self._conn.execute(
            "SELECT * FROM catalog_classifications WHERE asset_id = ANY(%s)"
            " ORDER BY confidence DESC, classification_id, created_at",
            (list(asset_ids),),
        ):
            out[row["asset_id"]].append(row)
        return out

    def get_classification(self, scope: WorkspaceScope, classification_id: UUID) -> Row | None:
        where, params = scope.sql("workspace_id")
        return self._conn.execute(
            f"SELECT * FROM catalog_classifications WHERE id = %(id)s AND {where} FOR UPDATE",
            {"id": classification_id, **params},
        ).fetchone()

    def find_direct_classification(self, asset_id: UUID, classification_id: str) -> Row | None:
        return self._conn.execute(
            "SELECT * FROM catalog_classifications WHERE asset_id = %s AND classification_id = %s"
            " AND origin_id IS NULL FOR UPDATE",
            (asset_id, classification_id),
        ).fetchone()

    def upsert_suggestion(self, workspace_id: UUID, asset_id: UUID, result: Any, actor: str) -> Row | None:
        """Insert a scan suggestion, or refresh it when it is still suggested; a human decision
        (accepted / rejected) or a manual classification is never touched. Returns the written row."""
        return self._conn.execute(
            "INSERT INTO catalog_classifications (id, workspace_id, asset_id, classification_id, source, status,"
            " confidence, sensitivity, evidence, rule_set_id, rule_set_version, created_by)"
            " VALUES (%s, %s, %s, %s, 'scan', 'suggested', %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (asset_id, classification_id) WHERE origin_id IS NULL DO UPDATE SET"
            " confidence = EXCLUDED.confidence, sensitivity = EXCLUDED.sensitivity, evidence = EXCLUDED.evidence,"
            " rule_set_id = EXCLUDED.rule_set_id, rule_set_version = EXCLUDED.rule_set_version, updated_at = now()"
            " WHERE catalog_classifications.status = 'suggested' AND catalog_classifications.source = 'scan'"
            " RETURNING *",
            (
                uuid.uuid4(),
                workspace_id,
                asset_id,
                result.classification_id,
                result.confidence,
                str(result.sensitivity),
                Jsonb(result.evidence),
                result.rule_set_id,
                result.rule_set_version,
                actor,
            ),
        ).fetchone()

    def drop_stale_suggestions(self, asset_id: UUID, keep: Sequence[str]) -> int:
        """Scan suggestions of ``asset_id`` the latest scan no longer makes (decided ones stay)."""
        cur = self._conn.execute(
            "DELETE FROM catalog_classifications WHERE asset_id = %s AND source = 'scan' AND status = 'suggested'"
            " AND NOT (classification_id = ANY(%s))",
            (asset_id, list(keep)),
        )
        return cur.rowcount

    def upsert_suggestions(self, workspace_id: UUID, suggestions: Sequence[tuple[UUID, Any]], actor: str) -> None:
        """``upsert_suggestion`` for many (asset id, result) pairs in one statement (a pair at most once)."""
        if not suggestions:
            return
        records = [
            {
                "asset_id": asset_id,
                "classification_id": r.classification_id,
                "confidence": r.confidence,
                "sensitivity": str(r.sensitivity),
                "evidence": r.evidence,
                "rule_set_id": r.rule_set_id,
                "rule_set_version": r.rule_set_version,
                "n": n,
            }
            for n, (asset_id, r) in enumerate(suggestions)
        ]
        self._conn.execute(
            "INSERT INTO catalog_classifications (id, workspace_id, asset_id, classification_id, source, status,"
            " confidence, sensitivity, evidence, rule_set_id, rule_set_version, created_by)"
            " SELECT gen_random_uuid(), %s, v.asset_id, v.classification_id, 'scan', 'suggested', v.confidence,"
            " v.sensitivity, coalesce(v.evidence, '{}'), v.rule_set_id, v.rule_set_version, %s"
            " FROM jsonb_to_recordset(%s) AS v(asset_id uuid, classification_id text, confidence real,"
            " sensitivity text, evidence jsonb, rule_set_id text, rule_set_version int, n int) ORDER BY v.n"
            " ON CONFLICT (asset_id, classification_id) WHERE origin_id IS NULL DO UPDATE SET"
            " confidence = EXCLUDED.confidence, sensitivity = EXCLUDED.sensitivity, evidence = EXCLUDED.evidence,"
            " rule_set_id = EXCLUDED.rule_set_id, rule_set_version = EXCLUDED.rule_set_version, updated_at = now()"
            " WHERE catalog_classifications.status = 'suggested' AND catalog_classifications.source = 'scan'",
            (workspace_id, actor, records_json(records)),
        )

    def drop_stale_suggestions_of(self, asset_ids: Sequence[UUID], keep: Sequence[tuple[UUID, str]]) -> int:
        """``drop_stale_suggestions`` for many assets: their scan suggestions not among the (asset id,
        classification id) pairs in ``keep`` are deleted (decided ones stay)."""
        if not asset_ids:
            return 0
        cur = self._conn.execute(
            "DELETE FROM catalog_classifications c WHERE c.asset_id = ANY(%s) AND c.source = 'scan'"
            " AND c.status = 'suggested' AND NOT EXISTS (SELECT 1 FROM unnest(%s::uuid[], %s::text[])"
            " AS k(asset_id, classification_id) WHERE k.asset_id = c.asset_id"
            " AND k.classification_id = c.classification_id)",
            (list(asset_ids), [a for a, _ in keep], [c for _, c in keep]),
        )
        return cur.rowcount

    def add_manual(
        self,
        workspace_id: UUID,
        asset_id: UUID,
        classification_id: str,
        sensitivity: str,
        actor: str,
        reason: str | None,
    ) -> Row:
        return self._conn.execute(
            "INSERT INTO catalog_classifications (id, workspace_id, asset_id, classification_id, source, status,"
            " confidence, sensitivity, created_by, decided_by, decided_at, reason)"
            " VALUES (%s, %s, %s, %s, 'manual', 'accepted', 1.0, %s, %s, %s, now(), %s) RETURNING *",
            (uuid.uuid4(), workspace_id, asset_id, classification_id, sensitivity, actor, actor, reason),
        ).fetchone()

    def decide(self, classification_id: UUID, status: str, actor: str, reason: str) -> Row:
        return self._conn.execute(
            "UPDATE catalog_classifications SET status = %s, decided_by = %s, decided_at = now(), reason = %s,"
            " updated_at = now() WHERE id = %s RETURNING *",
            (status, actor, reason, classification_id),
        ).fetchone()

    def remove_propagated_from(self, origin_ids: Sequence[UUID]) -> list[Row]:
        """Delete what these origins propagated: (asset_id, origin_id, workspace_id) of each row deleted."""
        return self._conn.execute(
            "DELETE FROM catalog_classifications WHERE origin_id = ANY(%s) RETURNING asset_id, origin_id, workspace_id",
            (list(origin_ids),),
        ).fetchall()

    # -- schema changes -------------------------------------------------------------------------
    def add_schema_change(
        self,
        workspace_id: UUID,
        asset_id: UUID,
        column: str,
        change: str,
        old_type: str | None,
        new_type: str | None,
        scan_id: str | None,
    ) -> Row:
        return self._conn.execute(
            "INSERT INTO catalog_schema_changes (workspace_id, asset_id, column_name, change, old_type, new_type,"
            " scan_id) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING *",
            (workspace_id, asset_id, column, change, old_type, new_type, scan_id),
        ).fetchone()

    def add_schema_changes(self, workspace_id: UUID, changes: Sequence[Row]) -> list[Row]:
        """Many ``add_schema_change`` rows (asset_id, column_name, change, old_type, new_type, scan_id),
        returned in input order."""
        if not changes:
            return []
        rows = self._conn.execute(
            "INSERT INTO catalog_schema_changes (workspace_id, asset_id, column_name, change, old_type, new_type,"
            " scan_id) SELECT %s, v.asset_id, v.column_name, v.change, v.old_type, v.new_type, v.scan_id"
            " FROM jsonb_to_recordset(%s) AS v(asset_id uuid, column_name text, change text, old_type text,"
            " new_type text, scan_id text, n int) ORDER BY v.n RETURNING *",
            (workspace_id, records_json([{**c, "n": n} for n, c in enumerate(changes)])),
        ).fetchall()
        return sorted(rows, key=lambda r: r["id"])

    def schema_changes(self, asset_id: UUID, after: int | None, limit: int) -> list[Row]:
        return self._conn.execute(
            "SELECT * FROM catalog_schema_changes WHERE asset_id = %s AND id > %s ORDER BY id LIMIT %s",
            (asset_id, after or 0, limit),
        ).fetchall()

    # -- terms ----------------------------------------------------------------------------------
    def terms(self, asset_ids: Sequence[UUID]) -> dict[UUID, list[Row]]:
        out: dict[UUID, list[Row]] = defaultdict(list)
        for row in self._conn.execute(
            "SELECT l.asset_id, t.id, t.name FROM catalog_asset_terms l JOIN glossary_terms t ON t.id = l.term_id"
            " WHERE l.asset_id = ANY(%s) ORDER BY t.name",
            (list(asset_ids),),
        ):
            out[row.pop("asset_id")].append(row)
        return out

    # -- search columns -------------------------------------------------------------------------
    def refresh_search(self, asset_ids: Iterable[UUID]) -> None:
        """Recompute the denormalised search columns (classifications, sensitivity, owners, terms,
        text) of these assets from their source tables."""
        ids = list(set(asset_ids))
        if not ids:
            return
        self._conn.execute(
            f"""
            UPDATE catalog_assets a SET
                classification_ids = coalesce(c.ids, '{{}}'),
                sensitivity_rank = c.top,
                sensitivity = (ARRAY{list(LABELS)!r}::text[])[c.top + 1],
                owner_ids = coalesce(o.ids, '{{}}'),
                term_ids = coalesce(t.ids, '{{}}'),
                search_vector = {_SEARCH_VECTOR}
            FROM unnest(%s::uuid[]) AS ids(id)
            LEFT JOIN LATERAL (
                SELECT array_agg(DISTINCT x.classification_id ORDER BY x.classification_id) AS ids,
                       max({_RANK_SQL.format(col="x.sensitivity")}) AS top
                FROM catalog_classifications x WHERE x.asset_id = ids.id AND x.status <> 'rejected'
            ) c ON true
            LEFT JOIN LATERAL (
                SELECT array_agg(DISTINCT y.principal_id) AS ids FROM catalog_owners y WHERE y.asset_id = ids.id
            ) o ON true
            LEFT JOIN LATERAL (
                SELECT array_agg(g.id) AS ids,
                       string_agg(g.name || ' ' || array_to_string(g.synonyms, ' '), ' ') AS words
                FROM catalog_asset_terms l JOIN glossary_terms g ON g.id = l.term_id WHERE l.asset_id = ids.id
            ) t ON true
            WHERE a.id = ids.id
            """,
            (ids,),
        )
