"""Evaluation: one open violation per policy and asset, automatic resolution, versions recorded,
escalation and accepted-risk expiry via outbox events."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

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


def _violation(database, workspace, violation_id):
    with UnitOfWork(database) as uow:
        found = uow.compliance.list_violations(workspace, {}, None, 500)
    return next(v for v in found if v["id"] == violation_id)


def test_still_open_violations_are_not_rewritten_and_read_as_last_seen_at_the_latest_sweep(database, workspace):
    t = add_table(database, workspace, {"pan": ["credit_card_number"]})
    evaluate(database, workspace)
    stored = rows(
        database,
        "SELECT id, xmin::text AS version, detected_at, last_seen_at FROM compliance_violations"
        " WHERE policy_ref = %s AND asset_id = %s",
        REF,
        t["pan"],
    )[0]
    assert _violation(database, workspace, stored["id"])["last_seen_at"] == stored["detected_at"]
    evaluate(database, workspace)
    again = rows(database, "SELECT xmin::text AS version FROM compliance_violations WHERE id = %s", stored["id"])[0]
    assert again["version"] == stored["version"]  # the second sweep did not write the row
    second_run = rows(
        database,
        "SELECT seen_at FROM compliance_evaluations WHERE workspace_id = %s AND policy_ref = %s ORDER BY id",
        workspace,
        REF,
    )[-1]["seen_at"]
    assert second_run > stored["detected_at"]
    assert _violation(database, workspace, stored["id"])["last_seen_at"] == second_run
    patch(database, t["pan"], properties={"masked": True})
    assert evaluate(database, workspace).resolved >= 1
    closed = _violation(database, workspace, stored["id"])
    # the run that closed it did not see it: last seen by the previous one
    assert closed["closed_at"] is not None and closed["last_seen_at"] == second_run


def test_a_run_over_some_assets_refreshes_their_last_seen_at_and_closes_only_in_scope(database, workspace):
    a = add_table(database, workspace, {"pan": ["credit_card_number"]})
    b = add_table(database, workspace, {"pan": ["credit_card_number"]})
    evaluate(database, workspace)
    patch(database, a["pan"], properties={"masked": True})
    patch(database, b["pan"], properties={"masked": True})
    with UnitOfWork(database) as uow:
        partial = evaluation.evaluate_workspace(uow, workspace, "event", asset_ids=[a["pan"]])
        uow.commit()
    assert partial.resolved == 1 and partial.opened == 0
    open_ = {
        r["asset_id"]
        for r in rows(
            database,
            "SELECT asset_id FROM compliance_violations WHERE workspace_id = %s AND closed_at IS NULL",
            workspace,
        )
    }
    assert b["pan"] in open_ and a["pan"] not in open_
    patch(database, b["pan"], properties={"masked": False})
    before = rows(database, "SELECT last_seen_at FROM compliance_violations WHERE asset_id = %s", b["pan"])[0]
    with UnitOfWork(database) as uow:
        evaluation.evaluate_workspace(uow, workspace, "event", asset_ids=[b["pan"]])
        uow.commit()
    after = rows(database, "SELECT last_seen_at FROM compliance_violations WHERE asset_id = %s", b["pan"])[0]
    assert after["last_seen_at"] > before["last_seen_at"]
    partial_runs = rows(
        database,
        "SELECT partial FROM compliance_evaluations WHERE workspace_id = %s AND policy_ref = %s AND partial",
        workspace,
        REF,
    )
    assert len(partial_runs) == 2


def test_a_new_policy_version_is_written_on_the_violations_it_still_flags(database, workspace, monkeypatch):
    t = add_table(database, workspace, {"pan": ["credit_card_number"]})
    evaluate(database, workspace)
    rules = evaluation.workspace_rules

    def bumped(uow, ws):
        return [replace(r, version=r.version + 1) if r.ref == REF else r for r in rules(uow, ws)]

    monkeypatch.setattr(evaluation, "workspace_rules", bumped)
    summary = evaluate(database, workspace)
    assert summary.opened == 0
    found = rows(database, "SELECT policy_version FROM compliance_violations WHERE asset_id = %s", t["pan"])
    assert [r["policy_version"] for r in found] == [2]
    recorded = rows(
        database,
        "SELECT policy_version FROM compliance_evaluations WHERE workspace_id = %s AND policy_ref = %s ORDER BY id",
        workspace,
        REF,
    )
    assert [r["policy_version"] for r in recorded] == [1, 2]


def test_escalation_and_expiry_write_one_history_entry_and_event_each(database, workspace):
    tables = [add_table(database, workspace, {"pan": ["credit_card_number"]}) for _ in range(3)]
    evaluate(database, workspace)
    pans = [t["pan"] for t in tables]
    with database.connection() as conn:
        conn.execute(
            "UPDATE compliance_violations SET due_at = '2026-01-02T03:04:05.25+00:00', assignee = 'kim'"
            " WHERE asset_id = ANY(%s)",
            (pans[:2],),
        )
        conn.execute(
            "UPDATE compliance_violations SET due_at = '2026-01-02T03:04:05+00:00' WHERE asset_id = %s", (pans[2],)
        )
    assert evaluate(database, workspace).escalated == 3
    escalated = rows(
        database,
        "SELECT v.asset_id, v.due_at, e.note FROM compliance_violation_events e"
        " JOIN compliance_violations v ON v.id = e.violation_id WHERE v.asset_id = ANY(%s) AND e.action = 'escalated'",
        pans,
    )
    assert len(escalated) == 3
    assert {e["due_at"] for e in escalated} == {
        datetime(2026, 1, 2, 3, 4, 5, 250000, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    }
    # as the per-row code wrote them: datetime.isoformat() (microseconds only when not zero)
    assert all(e["note"] == f"overdue since {e['due_at'].isoformat()}" for e in escalated)
    due = {str(e["asset_id"]): e["due_at"].isoformat() for e in escalated}
    events = rows(
        database,
        "SELECT data FROM outbox_events WHERE workspace_id = %s AND type = 'datawave.compliance.violation.overdue'",
        workspace,
    )
    assert len(events) == 3
    assert {(e["data"]["asset_id"], e["data"]["due_at"], e["data"]["assignee"]) for e in events} == {
        (str(pans[0]), due[str(pans[0])], "kim"),
        (str(pans[1]), due[str(pans[1])], "kim"),
        (str(pans[2]), due[str(pans[2])], None),
    }
    assert {e["data"]["asset_id"] for e in events} == {str(p) for p in pans}
    with database.connection() as conn:
        conn.execute(
            "UPDATE compliance_violations SET status = 'accepted_risk', approver = 'ciso',"
            " accepted_until = now() - interval '1 minute' WHERE asset_id = ANY(%s)",
            (pans[:2],),
        )
    assert evaluate(database, workspace).risk_expired == 2
    history = rows(
        database,
        "SELECT e.from_status, e.to_status FROM compliance_violation_events e"
        " JOIN compliance_violations v ON v.id = e.violation_id"
        " WHERE v.asset_id = ANY(%s) AND e.action = 'risk_expired'",
        pans,
    )
    assert [(h["from_status"], h["to_status"]) for h in history] == [("accepted_risk", "detected")] * 2
    expired = rows(
        database,
        "SELECT count(*) AS n FROM outbox_events WHERE workspace_id = %s"
        " AND type = 'datawave.compliance.violation.risk_expired'",
        workspace,
    )
    assert expired[0]["n"] == 2


@pytest.mark.parametrize("per_asset_limit", [1000, 0])
def test_a_run_over_some_assets_flags_the_same_per_asset_or_set_based(
    database, workspace, monkeypatch, per_asset_limit
):
    monkeypatch.setattr(evaluation, "PER_ASSET_LIMIT", per_asset_limit)
    t = add_table(database, workspace, {"pan": ["credit_card_number"], "mrn": ["medical_record_number"], "x": []})
    other = add_table(database, workspace, {"pan": ["credit_card_number"]})
    with UnitOfWork(database) as uow:
        scope = [t["table"], t["pan"], t["mrn"], t["x"]]
        partial = evaluation.evaluate_workspace(uow, workspace, "event", asset_ids=scope)
        uow.commit()
    flagged = rows(
        database,
        "SELECT policy_ref, asset_id FROM compliance_violations WHERE workspace_id = %s AND closed_at IS NULL",
        workspace,
    )
    assert {r["asset_id"] for r in flagged} <= set(scope) and partial.opened == len(flagged)
    full = evaluate(database, workspace)
    assert full.opened > 0  # the other table, outside the partial run's scope
    everything = rows(
        database,
        "SELECT policy_ref, asset_id FROM compliance_violations WHERE workspace_id = %s AND closed_at IS NULL",
        workspace,
    )
    in_scope = {(r["policy_ref"], r["asset_id"]) for r in everything if r["asset_id"] in scope}
    assert {(r["policy_ref"], r["asset_id"]) for r in flagged} == in_scope
    assert full.resolved == 0 and other["pan"] in {r["asset_id"] for r in everything}
