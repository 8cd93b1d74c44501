"""Risk scores (0-100) per asset, data source and workspace, with history for trends.

Asset (tables, views, file sets; a column's labels and violations count toward its table):

    score = min(100, round(S × E + V))
    S  sensitivity      Public/unlabeled 0, Internal 10, Confidential 25, Highly Confidential 40
                        (the highest label of the asset and its columns)
    E  exposure         1 + 0.5 if properties.public_access is true
                          + 0.1 per stored role assignment that can read the workspace's catalog
                            without a clearance condition (at most 5 counted)
    V  open violations  Σ severity weight (critical 40, high 25, medium 10, low 4) over the asset's
                        open violations; accepted risks count half, false positives not at all

Data source and workspace: ``round(0.6 × max + 0.4 × mean of the 10 highest)`` over their assets'
scores (0 when no asset scores). Every sweep appends the workspace's score, each data source's and
the 100 riskiest assets' to ``compliance_risk_history``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel

from core.auth.access import Access
from core.compliance import engine
from core.compliance.facts import ASSET_RANK_SQL, SHARED_RANK_SQL, shared_ref
from core.errors import NotFound

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

SENSITIVITY_POINTS = (0, 10, 25, 40)
HISTORY_ASSETS = 100

_SCORES = """
WITH readers AS (
    SELECT least(count(*), 5) AS n FROM role_assignments r
     WHERE (r.workspace_id = %(ws)s OR r.workspace_id IS NULL) AND lower(r.role) = ANY(%(reader_roles)s)
       AND r.conditions->>'clearance' IS NULL
), v AS (
    SELECT CASE WHEN a.type = 'column' THEN a.parent_id ELSE a.id END AS asset_id,
           sum(CASE v.severity WHEN 'critical' THEN 40 WHEN 'high' THEN 25 WHEN 'medium' THEN 10 ELSE 4 END
               * CASE WHEN v.status = 'accepted_risk' THEN 0.5 ELSE 1 END) AS points,
           count(*) AS open_violations
      FROM compliance_violations v JOIN catalog_assets a ON a.id = v.asset_id
     WHERE v.workspace_id = %(ws)s AND v.closed_at IS NULL AND v.status <> 'false_positive'
     GROUP BY 1
), s AS (
    SELECT a.id, a.data_source_id, a.type, a.namespace || '/' || a.name AS qualified_name,
           (ARRAY[0, 10, 25, 40])[coalesce({rank}, 0) + 1] AS sensitivity_points,
           1 + CASE WHEN lower(a.properties->>'public_access') = 'true' THEN 0.5 ELSE 0 END
             + 0.1 * (SELECT n FROM readers) AS exposure,
           coalesce(v.points, 0) AS violation_points, coalesce(v.open_violations, 0) AS open_violations
      FROM catalog_assets a LEFT JOIN v ON v.asset_id = a.id{rank_join}
     WHERE a.workspace_id = %(ws)s AND a.type IN ('table', 'view', 'file_set') AND a.removed_at IS NULL
       AND (%(ids)s::uuid[] IS NULL OR a.id = ANY(%(ids)s::uuid[]))
)
SELECT *, least(100, round(sensitivity_points * exposure + violation_points))::int AS score FROM s
 WHERE (%(ids)s::uuid[] IS NOT NULL OR sensitivity_points > 0 OR violation_points > 0)
"""


class AssetRisk(BaseModel):
    asset_id: UUID
    data_source_id: UUID | None
    type: str
    qualified_name: str
    score: int
    sensitivity_points: int
    exposure: float
    violation_points: float
    open_violations: int


class ScopeRisk(BaseModel):
    scope: str
    scope_id: UUID
    score: int
    assets_scored: int


class RiskPoint(BaseModel):
    score: int
    computed_at: datetime


class WorkspaceRisk(BaseModel):
    workspace: ScopeRisk
    data_sources: list[ScopeRisk]
    top_assets: list[AssetRisk]
    formula: str = "asset = min(100, round(S*E + V)); source/workspace = round(0.6*max + 0.4*mean(top 10))"


def aggregate(scores: Sequence[int]) -> int:
    if not scores:
        return 0
    top = sorted(scores, reverse=True)[:10]
    return round(0.6 * top[0] + 0.4 * sum(top) / len(top))


def _scores_sql(asset_ids: Sequence[UUID] | None, tables: Mapping[str, str] | None) -> str:
    """A few assets probe their columns' labels; the whole workspace joins the highest label of every
    asset's columns at once (the ``child_rank`` shared relation, from ``tables`` when given)."""
    if asset_ids is not None:
        return _SCORES.format(rank=ASSET_RANK_SQL, rank_join="")
    join = f" LEFT JOIN {shared_ref('child_rank')} s_child_rank ON s_child_rank.asset_id = a.id"
    return engine.expand(_SCORES.format(rank=SHARED_RANK_SQL, rank_join=join), tables)


def _params(uow: UnitOfWork, workspace_id: UUID, asset_ids: Sequence[UUID] | None) -> dict[str, Any]:
    ctx = engine.reader_context(uow.connection, uow.authz.role_catalog())
    return {
        "ws": workspace_id,
        "workspace_id": workspace_id,
        "ids": list(asset_ids) if asset_ids is not None else None,
        **ctx,
    }


def _asset(row: dict[str, Any]) -> AssetRisk:
    return AssetRisk(asset_id=row["id"], **{k: row[k] for k in AssetRisk.model_fields if k in row and k != "asset_id"})


def asset_scores(
    uow: UnitOfWork,
    workspace_id: UUID,
    asset_ids: Sequence[UUID] | None = None,
    tables: Mapping[str, str] | None = None,
) -> list[AssetRisk]:
    """Scores of the workspace's assets that carry any risk (or of exactly ``asset_ids``)."""
    rows = uow.connection.execute(_scores_sql(asset_ids, tables), _params(uow, workspace_id, asset_ids)).fetchall()
    return [_asset(r) for r in rows]


# Only what the aggregates and the history need leaves the database: the workspace's 100 riskiest
# assets and each data source's 10 riskiest, with how many assets each scope scored.
_RANKED = """
WITH scored AS ({scores})
SELECT * FROM (
    SELECT s.*, count(*) OVER () AS workspace_assets,
           count(*) OVER (PARTITION BY s.data_source_id) AS source_assets,
           row_number() OVER (ORDER BY s.score DESC, s.id) AS workspace_rank,
           row_number() OVER (PARTITION BY s.data_source_id ORDER BY s.score DESC, s.id) AS source_rank
      FROM scored s
) r
 WHERE workspace_rank <= %(top)s OR source_rank <= 10
 ORDER BY workspace_rank
"""


def compute(uow: UnitOfWork, workspace_id: UUID, tables: Mapping[str, str] | None = None) -> WorkspaceRisk:
    """The workspace's and its data sources' scores and the riskiest assets (``tables``: shared
    relations already filled by a sweep)."""
    rows = uow.connection.execute(
        _RANKED.format(scores=_scores_sql(None, tables)),
        {**_params(uow, workspace_id, None), "top": HISTORY_ASSETS},
    ).fetchall()
    by_source: dict[UUID, list[int]] = defaultdict(list)
    counts: dict[UUID, int] = {}
    for r in rows:
        if r["data_source_id"] is not None and r["source_rank"] <= 10:
            by_source[r["data_source_id"]].append(r["score"])
            counts[r["data_source_id"]] = r["source_assets"]
    sources = [
        ScopeRisk(scope="data_source", scope_id=s, score=aggregate(v), assets_scored=counts[s])
        for s, v in by_source.items()
    ]
    sources.sort(key=lambda s: -s.score)
    workspace = ScopeRisk(
        scope="workspace",
        scope_id=workspace_id,
        score=aggregate([r["score"] for r in rows if r["workspace_rank"] <= 10]),
        assets_scored=rows[0]["workspace_assets"] if rows else 0,
    )
    top = [_asset(r) for r in rows if r["workspace_rank"] <= HISTORY_ASSETS]
    return WorkspaceRisk(workspace=workspace, data_sources=sources, top_assets=top)


def record_history(uow: UnitOfWork, workspace_id: UUID, tables: Mapping[str, str] | None = None) -> WorkspaceRisk:
    """Append the current scores to the history (each sweep; ``tables``: the sweep's shared relations)."""
    risk = compute(uow, workspace_id, tables)
    rows: list[tuple[str, UUID, int, dict[str, Any]]] = [
        ("workspace", workspace_id, risk.workspace.score, {"assets_scored": risk.workspace.assets_scored})
    ]
    rows += [("data_source", s.scope_id, s.score, {"assets_scored": s.assets_scored}) for s in risk.data_sources]
    rows += [("asset", a.asset_id, a.score, {"open_violations": a.open_violations}) for a in risk.top_assets]
    uow.compliance.add_risk(workspace_id, rows, datetime.now(UTC))
    return risk


def workspace_risk(uow: UnitOfWork, access: Access, workspace_id: UUID) -> WorkspaceRisk:
    access.require_workspace(workspace_id)
    return compute(uow, workspace_id)


def history(
    uow: UnitOfWork, access: Access, workspace_id: UUID, scope: str, scope_id: UUID | None, limit: int
) -> list[RiskPoint]:
    access.require_workspace(workspace_id)
    rows = uow.compliance.risk_history(workspace_id, scope, scope_id or workspace_id, limit)
    return [RiskPoint(score=r["score"], computed_at=r["computed_at"]) for r in rows]


def asset_risk(uow: UnitOfWork, access: Access, asset_id: UUID) -> AssetRisk:
    row = uow.catalog.get(access.scope, asset_id)
    if row is None:
        raise NotFound("asset not found")
    target = row["parent_id"] if row["type"] == "column" and row["parent_id"] else asset_id
    found = asset_scores(uow, row["workspace_id"], [target])
    if not found:
        raise NotFound("this asset type carries no risk score (tables, views and file sets do)")
    return found[0]
