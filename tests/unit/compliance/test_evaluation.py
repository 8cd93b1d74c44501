"""Evaluation: one open violation per policy and asset, automatic resolution, versions recorded,
escalation and accepted-risk expiry via outbox events."""

from __future__ import annotations

from core.compliance import evaluation, risk
from core.db.unit_of_work import UnitOfWork
from tests.unit.compliance.conftest import add_table, patch

REF = "pci_dss/card_numbers_unmasked"


def evaluate(database, workspace):
    with UnitOfWork(database) as uow:
        summary = evaluation.evaluate_workspace(uow, workspace, "sweep")
        uow.commit()
    return summary


def rows(database, sql, *args):
    with database.connection() as conn:
        return conn.execute(sql, args).fetchall()


def test_violations_are_deduplicated_and_resolved_automatically(database, workspace):
    t = add_table(database, workspace, {"pan": ["credit_card_number"]})
    first = evaluate(database, workspace)
    second = evaluate(database, workspace)
    assert first.opened >= 1 and second.opened == 0
    open_ = rows(database, "SELECT * FROM compliance_violations WHERE policy_ref = %s AND asset_id = %s", REF, t["pan"])
    assert len(open_) == 1 and open_[0]["status"] == "detected" and open_[0]["policy_version"] == 1
    patch(database, t["pan"], properties={"masked": True})
    third = evaluate(database, workspace)
    assert third.resolved >= 1
    closed = rows(database, "SELECT * FROM compliance_violations WHERE id = %s", open_[0]["id"])[0]
    assert (closed["status"], closed["resolution"]) == ("resolved", "automatic") and closed["closed_at"]
    actions = [
        r["action"]
        for r in rows(
            database,
            "SELECT action FROM compliance_violation_events WHERE violation_id = %s ORDER BY id",
            open_[0]["id"],
        )
    ]
    assert actions == ["detected", "auto_resolved"]
    types = {r["type"] for r in rows(database, "SELECT type FROM outbox_events WHERE workspace_id = %s", workspace)}
    assert {"datawave.compliance.violation.detected", "datawave.compliance.violation.resolved"} <= types
    evaluations = rows(
        database,
        "SELECT policy_version FROM compliance_evaluations WHERE workspace_id = %s AND policy_ref = %s",
        workspace,
        REF,
    )
    assert len(evaluations) == 3 and {e["policy_version"] for e in evaluations} == {1}
    audited = rows(
        database, "SELECT actor FROM audit_records WHERE chain = %s AND action = 'compliance.evaluate'", str(workspace)
    )
    assert len(audited) == 2 and audited[0]["actor"] == "compliance-engine"


def test_overdue_violations_escalate_once_and_expired_risks_reopen(database, workspace):
    t = add_table(database, workspace, {"pan": ["credit_card_number"]})
    evaluate(database, workspace)
    with database.connection() as conn:
        conn.execute(
            "UPDATE compliance_violations SET due_at = now() - interval '1 day' WHERE asset_id = %s", (t["pan"],)
        )
    assert evaluate(database, workspace).escalated == 1
    assert evaluate(database, workspace).escalated == 0
    with database.connection() as conn:
        conn.execute(
            "UPDATE compliance_violations SET status = 'accepted_risk', approver = 'ciso',"
            " accepted_until = now() - interval '1 minute' WHERE asset_id = %s",
            (t["pan"],),
        )
    assert evaluate(database, workspace).risk_expired == 1
    types = [r["type"] for r in rows(database, "SELECT type FROM outbox_events WHERE workspace_id = %s", workspace)]
    assert "datawave.compliance.violation.overdue" in types and "datawave.compliance.violation.risk_expired" in types


def test_risk_scores_follow_sensitivity_and_violations_with_history(database, workspace):
    t = add_table(database, workspace, {"pan": ["credit_card_number"]}, sensitivity="Highly Confidential")
    evaluate(database, workspace)
    with UnitOfWork(database) as uow:
        scores = {a.asset_id: a for a in risk.asset_scores(uow, workspace)}
    table = scores[t["table"]]
    assert table.sensitivity_points == 40 and table.open_violations >= 1
    assert table.score == min(100, round(40 * table.exposure + table.violation_points))
    history = rows(
        database, "SELECT score FROM compliance_risk_history WHERE workspace_id = %s AND scope = 'workspace'", workspace
    )
    assert history and history[-1]["score"] > 0
