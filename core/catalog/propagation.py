"""Classification propagation along lineage (Atlas-style).

An accepted classification that was not itself propagated (an *origin*) flows downstream along
every lineage edge that does not block propagation: table to table over table-level edges, column
to column over column-level edges. Each reached asset gets one ``propagated`` classification per
origin, pointing at it. ``propagate(origins)`` recomputes the reach of those origins from scratch —
adding what is newly reachable and removing what no longer is — so every change (accept, reject,
edge added, removed or blocked, asset deleted) is handled by recomputing the origins upstream of it.
The walk deduplicates on (origin, asset), so cycles end. A propagated classification a steward
rejected stays rejected while its origin still reaches it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

_REACH = """
WITH RECURSIVE origins AS (
    SELECT id AS origin_id, asset_id AS origin_asset_id, workspace_id, classification_id, sensitivity, confidence
    FROM catalog_classifications
    WHERE id = ANY(%(ids)s) AND origin_id IS NULL AND status = 'accepted'
), reach(origin_id, asset_id) AS (
    SELECT origin_id, origin_asset_id FROM origins
    UNION
    SELECT r.origin_id, e.target_id
    FROM reach r JOIN lineage_edges e ON e.source_id = r.asset_id AND NOT e.blocks_propagation
)
"""


def propagate(uow: UnitOfWork, origin_ids: Sequence[UUID]) -> set[UUID]:
    """Bring the propagated classifications of these origins in line with the lineage graph;
    returns the assets whose classifications changed (their search columns are refreshed)."""
    ids = list(set(origin_ids))
    if not ids:
        return set()
    conn = uow.connection
    removed = conn.execute(
        _REACH
        + """
        DELETE FROM catalog_classifications p
        WHERE p.origin_id = ANY(%(ids)s)
          AND NOT EXISTS (SELECT 1 FROM reach r JOIN origins o USING (origin_id)
                          WHERE r.origin_id = p.origin_id AND r.asset_id = p.asset_id)
        RETURNING p.asset_id, p.origin_id, p.classification_id
        """,
        {"ids": ids},
    ).fetchall()
    added = conn.execute(
        _REACH
        + """
        INSERT INTO catalog_classifications (id, workspace_id, asset_id, classification_id, source, status,
            confidence, sensitivity, evidence, origin_id, origin_asset_id, created_by)
        SELECT gen_random_uuid(), o.workspace_id, r.asset_id, o.classification_id, 'propagated', 'accepted',
               o.confidence, o.sensitivity, jsonb_build_object('propagated_from', o.origin_asset_id),
               o.origin_id, o.origin_asset_id, 'propagation'
        FROM reach r JOIN origins o USING (origin_id)
        WHERE r.asset_id <> o.origin_asset_id
        ON CONFLICT (asset_id, origin_id) WHERE origin_id IS NOT NULL DO NOTHING
        RETURNING asset_id, origin_id, classification_id, workspace_id
        """,
        {"ids": ids},
    ).fetchall()
    changed = {r["asset_id"] for r in removed} | {r["asset_id"] for r in added}
    uow.catalog.refresh_search(changed)
    _events(uow, "propagated", added)
    _events(uow, "unpropagated", removed)
    return changed


def _events(uow: UnitOfWork, kind: str, rows: Sequence[dict]) -> None:
    """One ``datawave.classification.<kind>`` event per origin, listing the assets it reached or left."""
    by_origin: dict[UUID, list[str]] = {}
    for row in rows:
        by_origin.setdefault(row["origin_id"], []).append(str(row["asset_id"]))
    for origin, assets in by_origin.items():
        workspace = next((r.get("workspace_id") for r in rows if r["origin_id"] == origin), None)
        uow.outbox.add(
            f"datawave.classification.{kind}",
            workspace_id=workspace or _workspace_of(uow, assets[0]),
            subject=f"classifications/{origin}",
            data={"origin_id": str(origin), "asset_ids": sorted(assets)},
        )


def _workspace_of(uow: UnitOfWork, asset_id: str) -> UUID | None:
    row = uow.connection.execute("SELECT workspace_id FROM catalog_assets WHERE id = %s", (asset_id,)).fetchone()
    return row["workspace_id"] if row else None


def unpropagate(uow: UnitOfWork, origin_ids: Sequence[UUID]) -> set[UUID]:
    """Remove everything these origins propagated (they were rejected, reopened or removed)."""
    removed = uow.catalog.remove_propagated_from(origin_ids)
    changed = {r["asset_id"] for r in removed}
    uow.catalog.refresh_search(changed)
    _events(uow, "unpropagated", removed)
    return changed
