"""Evaluate a workspace's policies and reconcile violations, set-based in SQL.

For each policy (every framework pack policy plus the workspace's enabled custom policies) one
statement finds the violating assets, opens a violation for each one without an open violation of
the same policy (``ON CONFLICT`` on the open-violation key: deduplicated), refreshes the ones still
violating, closes the ones whose condition no longer holds (``resolution = 'automatic'``), writes
their history and outbox events, and the evaluation is recorded with the policy's version. Then
accepted risks past their expiry reopen and overdue violations escalate (events).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from core.audit import service as audit
from core.audit.chain import change_hash
from core.audit.model import AuditEntry, Outcome
from core.auth.access import Access
from core.compliance import engine
from core.compliance.conditions import Condition
from core.compliance.engine import CompiledCondition
from core.compliance.model import EvaluationSummary, Severity
from core.compliance.packs import pack_rules
from core.observability import current_correlation_id

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

ENGINE_ACTOR = "compliance-engine"


@dataclass(frozen=True)
class Rule:
    """One policy version, ready to evaluate in a workspace."""

    ref: str
    version: int
    title: str
    framework: str | None
    control_ids: tuple[str, ...]
    severity: Severity
    asset_types: tuple[str, ...]
    compiled: CompiledCondition


def custom_rule(row: dict[str, Any]) -> Rule:
    from pydantic import TypeAdapter

    definition = row["definition"]
    condition = TypeAdapter(Condition).validate_python(definition["condition"])
    return Rule(
        ref=str(row["id"]),
        version=row["latest_version"],
        title=definition["title"],
        framework=row["framework"],
        control_ids=(row["control_id"],) if row["control_id"] else (),
        severity=Severity(definition["severity"]),
        asset_types=tuple(definition["asset_types"]),
        compiled=engine.compile_condition(condition),
    )


def workspace_rules(uow: UnitOfWork, workspace_id: UUID) -> list[Rule]:
    rules = [
        Rule(
            r.ref,
            r.version,
            r.policy.title,
            r.framework,
            r.control_ids,
            r.policy.severity,
            tuple(r.policy.asset_types),
            r.compiled,
        )
        for r in pack_rules()
    ]
    rules += [custom_rule(row) for row in uow.compliance.list_policies(workspace_id, enabled_only=True)]
    return rules


def context(uow: UnitOfWork) -> dict[str, Any]:
    return engine.reader_context(uow.connection, uow.authz.role_catalog())


_RECONCILE = """
WITH hits AS ({hits}),
upserted AS (
    INSERT INTO compliance_violations (id, workspace_id, policy_ref, policy_version, title, framework, severity,
                                       asset_id, status, due_at)
    SELECT gen_random_uuid(), %(workspace_id)s, %(ref)s, %(version)s, %(title)s, %(framework)s, %(severity)s,
           h.id, 'detected', now() + %(due)s
      FROM hits h
    ON CONFLICT (policy_ref, asset_id) WHERE closed_at IS NULL
    DO UPDATE SET last_seen_at = now(), policy_version = EXCLUDED.policy_version
    RETURNING id, asset_id, (xmax = 0) AS inserted
),
closed AS (
    UPDATE compliance_violations v SET
           status = CASE WHEN v.status = 'false_positive' THEN v.status ELSE 'resolved' END,
           resolution = CASE WHEN v.status = 'false_positive' THEN v.resolution ELSE 'automatic' END,
           resolved_by = CASE WHEN v.status = 'false_positive' THEN v.resolved_by ELSE %(actor)s END,
           resolved_at = CASE WHEN v.status = 'false_positive' THEN v.resolved_at ELSE now() END,
           closed_at = now()
     WHERE v.workspace_id = %(workspace_id)s AND v.policy_ref = %(ref)s AND v.closed_at IS NULL
       AND (%(asset_ids)s::uuid[] IS NULL OR v.asset_id = ANY(%(asset_ids)s::uuid[]))
       AND NOT EXISTS (SELECT 1 FROM hits h WHERE h.id = v.asset_id)
    RETURNING v.id, v.asset_id, v.status
),
history AS (
    INSERT INTO compliance_violation_events (violation_id, workspace_id, actor, action, to_status, note)
    SELECT id, %(workspace_id)s, %(actor)s, 'detected', 'detected', %(detected_note)s FROM upserted WHERE inserted
    UNION ALL
    SELECT id, %(workspace_id)s, %(actor)s,
           CASE WHEN status = 'resolved' THEN 'auto_resolved' ELSE 'condition_cleared' END, status,
           'the policy condition no longer holds' FROM closed
),
events AS (
    INSERT INTO outbox_events (id, type, source, subject, workspace_id, data)
    SELECT gen_random_uuid(), 'datawave.compliance.violation.' || kind, %(source)s, 'violations/' || id::text,
           %(workspace_id)s, jsonb_build_object('violation_id', id, 'asset_id', asset_id, 'policy_ref', %(ref)s,
           'policy_version', %(version)s, 'severity', %(severity)s)
      FROM (SELECT id, asset_id, 'detected' AS kind FROM upserted WHERE inserted
            UNION ALL SELECT id, asset_id, 'resolved' FROM closed WHERE status = 'resolved') x
)
SELECT (SELECT count(*) FROM hits) AS violating,
       (SELECT count(*) FROM upserted WHERE inserted) AS opened,
       (SELECT count(*) FROM closed) AS resolved
"""


def reconcile(
    uow: UnitOfWork, rule: Rule, workspace_id: UUID, ctx: dict[str, Any], asset_ids: Sequence[UUID] | None
) -> tuple[int, int, int]:
    """(violating, opened, resolved) for one policy in one workspace."""
    hits, params = engine.violation_query(rule.compiled, rule.asset_types)
    row = uow.connection.execute(
        _RECONCILE.format(hits=hits),
        {
            **params,
            **ctx,
            "workspace_id": workspace_id,
            "asset_ids": list(asset_ids) if asset_ids is not None else None,
            "ref": rule.ref,
            "version": rule.version,
            "title": rule.title,
            "framework": rule.framework,
            "severity": rule.severity.value,
            "due": rule.severity.due_in,
            "actor": ENGINE_ACTOR,
            "detected_note": f"policy {rule.ref} version {rule.version}",
            "source": f"/datawave/workspaces/{workspace_id}/compliance",
        },
    ).fetchone()
    return int(row["violating"]), int(row["opened"]), int(row["resolved"])


def _expire_accepted_risks(uow: UnitOfWork, workspace_id: UUID) -> int:
    rows = uow.connection.execute(
        "UPDATE compliance_violations SET status = 'detected', escalated_at = NULL"
        " WHERE workspace_id = %s AND status = 'accepted_risk' AND closed_at IS NULL AND accepted_until <= now()"
        " RETURNING id, asset_id, policy_ref",
        (workspace_id,),
    ).fetchall()
    for row in rows:
        uow.compliance.add_event(
            row["id"],
            workspace_id,
            ENGINE_ACTOR,
            "risk_expired",
            "accepted_risk",
            "detected",
            "the risk acceptance expired",
        )
        uow.outbox.add(
            "datawave.compliance.violation.risk_expired",
            workspace_id=workspace_id,
            subject=f"violations/{row['id']}",
            data={"violation_id": str(row["id"]), "asset_id": str(row["asset_id"]), "policy_ref": row["policy_ref"]},
        )
    return len(rows)


def escalate_overdue(uow: UnitOfWork, workspace_id: UUID) -> int:
    """Mark open violations past their due date escalated, once, with an outbox event each."""
    rows = uow.connection.execute(
        "UPDATE compliance_violations SET escalated_at = now()"
        " WHERE workspace_id = %s AND closed_at IS NULL AND escalated_at IS NULL"
        " AND status IN ('detected', 'investigating', 'remediating') AND due_at < now()"
        " RETURNING id, asset_id, policy_ref, severity, assignee, due_at",
        (workspace_id,),
    ).fetchall()
    for row in rows:
        uow.compliance.add_event(
            row["id"], workspace_id, ENGINE_ACTOR, "escalated", None, None, f"overdue since {row['due_at'].isoformat()}"
        )
        uow.outbox.add(
            "datawave.compliance.violation.overdue",
            workspace_id=workspace_id,
            subject=f"violations/{row['id']}",
            data={
                "violation_id": str(row["id"]),
                "asset_id": str(row["asset_id"]),
                "policy_ref": row["policy_ref"],
                "severity": row["severity"],
                "assignee": row["assignee"],
                "due_at": row["due_at"].isoformat(),
            },
        )
    return len(rows)


def evaluate_workspace(
    uow: UnitOfWork,
    workspace_id: UUID,
    trigger: str = "sweep",
    asset_ids: Sequence[UUID] | None = None,
    actor: str = ENGINE_ACTOR,
) -> EvaluationSummary:
    """Evaluate every applicable policy over the workspace (or only ``asset_ids``) and reconcile
    violations; the caller commits. Background callers pass their job name as ``actor``."""
    from core.compliance import risk

    started = time.perf_counter()
    run_id = uuid.uuid4()
    ctx = context(uow)
    expired = _expire_accepted_risks(uow, workspace_id)
    scoped: dict[tuple[str, ...], int] = {}
    totals = {"violating": 0, "opened": 0, "resolved": 0, "evaluations": 0}
    rules = workspace_rules(uow, workspace_id)
    for rule in rules:
        if rule.asset_types not in scoped:
            scoped[rule.asset_types] = engine.scoped_count(uow.connection, rule.asset_types, workspace_id, asset_ids)
        violating, opened, resolved = reconcile(uow, rule, workspace_id, ctx, asset_ids)
        uow.compliance.add_evaluation(
            workspace_id,
            run_id,
            trigger,
            rule.ref,
            rule.version,
            asset_ids is not None,
            scoped[rule.asset_types],
            violating,
            opened,
            resolved,
        )
        totals["violating"] += violating
        totals["opened"] += opened
        totals["resolved"] += resolved
        totals["evaluations"] += scoped[rule.asset_types]
    escalated = escalate_overdue(uow, workspace_id)
    if asset_ids is None:
        risk.record_history(uow, workspace_id)
    summary = EvaluationSummary(
        workspace_id=workspace_id,
        run_id=run_id,
        trigger=trigger,
        policies=len(rules),
        assets_evaluated=max(scoped.values(), default=0),
        escalated=escalated,
        risk_expired=expired,
        seconds=round(time.perf_counter() - started, 3),
        **totals,
    )
    if totals["opened"] or totals["resolved"] or escalated or expired:
        _audit(uow, workspace_id, actor, summary)
    uow.outbox.add(
        "datawave.compliance.evaluated",
        workspace_id=workspace_id,
        subject=f"evaluations/{run_id}",
        data=summary.model_dump(mode="json"),
    )
    return summary


def _audit(uow: UnitOfWork, workspace_id: UUID, actor: str, summary: EvaluationSummary) -> None:
    """Changes made by the engine are audited like the API's (one record per evaluation run)."""
    if uow.audit_note.workspace_id is not None:
        return  # inside an API request: the route layer records the change
    change = summary.model_dump(mode="json", exclude={"seconds"})
    audit.record(
        uow,
        AuditEntry(
            workspace_id=workspace_id,
            recorded_at=datetime.now(UTC),
            actor=actor,
            action="compliance.evaluate",
            target=f"compliance/evaluations/{summary.run_id}",
            outcome=Outcome.SUCCESS,
            status=200,
            correlation_id=current_correlation_id() or str(summary.run_id),
            change_hash=change_hash(change),
        ),
    )


def evaluate_now(uow: UnitOfWork, access: Access, workspace_id: UUID) -> EvaluationSummary:
    """Evaluate the workspace now on behalf of the caller (audited by the route layer)."""
    access.require_workspace(workspace_id)
    uow.audit_note.workspace_id = workspace_id
    summary = evaluate_workspace(uow, workspace_id, "manual", actor=access.principal.subject)
    uow.audit_note.target = f"compliance/evaluations/{summary.run_id}"
    uow.audit_note.change = summary.model_dump(mode="json", exclude={"seconds"})
    uow.commit()
    return summary
