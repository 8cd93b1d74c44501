"""Risk aggregates computed from the ranked rows SQL returns agree with aggregating every asset's
score in Python (the documented formula), across data sources with more than ten scored assets."""

from __future__ import annotations

from collections import defaultdict

from core.catalog import assets
from core.catalog.model import DiscoveredTable
from core.compliance import evaluation, risk
from core.db.unit_of_work import UnitOfWork
from tests.unit.compliance.conftest import add_table, admin

LABELS = ["Internal", "Confidential", "Highly Confidential"]


def _reference(scored: list[risk.AssetRisk]) -> tuple[int, int, dict]:
    by_source = defaultdict(list)
    for a in scored:
        if a.data_source_id is not None:
            by_source[a.data_source_id].append(a.score)
    sources = {s: (risk.aggregate(v), len(v)) for s, v in by_source.items()}
    return risk.aggregate([a.score for a in scored]), len(scored), sources


def test_sql_ranked_aggregates_match_the_formula_over_every_asset(database, workspace):
    for i in range(14):
        classes = ["credit_card_number"] if i % 3 == 0 else (["email_address"] if i % 3 == 1 else ["iban"])
        add_table(database, workspace, {"c": classes, "d": []}, sensitivity=LABELS[i % 3])
    for i in range(3):
        table = DiscoveredTable.model_validate(
            {
                "namespace": "postgres://other.internal:5432",
                "name": f"db.public.t{i}",
                "columns": [
                    {
                        "name": "mrn",
                        "data_type": "text",
                        "classifications": [
                            {"classification_id": "medical_record_number", "confidence": 0.9, "sensitivity": "Internal"}
                        ],
                    }
                ],
            }
        )
        with UnitOfWork(database) as uow:
            assets.upsert_discovered(uow, admin(), workspace, table)
    with UnitOfWork(database) as uow:
        evaluation.evaluate_workspace(uow, workspace, "sweep")
        uow.commit()
    with UnitOfWork(database) as uow:
        scored = risk.asset_scores(uow, workspace)
        computed = risk.compute(uow, workspace)
    score, count, sources = _reference(scored)
    assert len(sources) == 2 and max(n for _, n in sources.values()) > 10
    assert (computed.workspace.score, computed.workspace.assets_scored) == (score, count)
    assert {s.scope_id: (s.score, s.assets_scored) for s in computed.data_sources} == sources
    assert [s.score for s in computed.data_sources] == sorted((s for s, _ in sources.values()), reverse=True)
    assert {a.asset_id for a in computed.top_assets} == {a.asset_id for a in scored}  # fewer than 100
    assert [a.score for a in computed.top_assets] == sorted((a.score for a in scored), reverse=True)
    with database.connection() as conn:
        recorded = conn.execute(
            "SELECT scope, count(*) AS n FROM compliance_risk_history WHERE workspace_id = %s GROUP BY scope",
            (workspace,),
        ).fetchall()
    assert {r["scope"]: r["n"] for r in recorded} == {"workspace": 1, "data_source": 2, "asset": count}
