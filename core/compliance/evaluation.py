"""Evaluate a workspace's policies and reconcile violations, set-based in SQL.

One run (``evaluate_workspace``): accepted risks past their expiry reopen; each policy (every
framework pack policy plus the workspace's enabled custom policies) adds its violating assets to a
temporary hit list (one statement per policy; in a whole-workspace run the relations policies share,
such as classification elements or column labels, are filled once into temporary tables first); then
a few statements reconcile every policy at once against that list:

* violations are opened for hits without an open violation of the same policy and asset (one open
  violation per policy+asset: ``ON CONFLICT`` on the open-violation key), each with its ``detected``
  history entry and ``datawave.compliance.violation.detected`` outbox event;
* open violations no longer hit are closed (``resolution = 'automatic'``, ``auto_resolved`` history,
  ``resolved`` event; a false positive is closed as ``condition_cleared``);
* open violations still hit are left alone unless their policy version changed (then the version is
  updated). Their ``last_seen_at`` is not rewritten each run: the evaluation records its policy's
  version and ``seen_at`` (the run's transaction time), and a violation reads as last seen at the
  latest full evaluation of its policy while it was open (``ComplianceRepository``). Runs over some
  assets only (event-driven) are not full evaluations and refresh the stored ``last_seen_at`` of their
  few hits instead.

Then overdue violations escalate (history and ``overdue`` events, set-based), risk history is
appended (whole-workspace runs) and the run is audited when it changed anything.
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
from core.compliance.facts import shared_ref
from core.compliance.model import EvaluationSummary, Severity
from core.compliance.packs import pack_rules
from core.observability import current_correlation_id

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

ENGINE_ACTOR = "compliance-engine"
# Runs over at most this many assets evaluate each policy per asset instead of over the workspace.
PER_ASSET_LIMIT = 1000


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
    correlated: CompiledCondition  # the per-asset form (``set_based=False``), for runs over a few assets


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
        correlated=engine.compile_condition(condition, set_based=False),
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
            r.correlated,
        )
        for r in pack_rules()
    ]
    rules += [custom_rule(row) for row in uow.compliance.list_policies(workspace_id, enabled_only=True)]
    return rules


def context(uow: UnitOfWork) -> dict[str, Any]:
    return engine.reader_context(uow.connection, uow.authz.role_catalog())


_RULES = """rules AS (
    SELECT * FROM unnest(%(refs)s::text[], %(versions)s::int[], %(titles)s::text[], %(frameworks)s::text[],
                         %(severities)s::text[], %(dues)s::interval[])
        AS r(ref, version, title, framework, severity, due)
)"""

# The hits without an open violation (computed before inserting: an anti-join inside the INSERT
# would be planned against the table as it was before the statement, and a nested loop over the rows
# the statement inserts is quadratic on the first sweep of a large workspace).
_FRESH = """
CREATE TEMPORARY TABLE {fresh} ON COMMIT DROP AS
SELECT h.policy_ref, h.asset_id FROM {hits} h
 WHERE NOT EXISTS (SELECT 1 FROM compliance_violations v
                    WHERE v.policy_ref = h.policy_ref AND v.asset_id = h.asset_id AND v.closed_at IS NULL)
"""

# ON CONFLICT: a concurrent run may have opened the same violation meanwhile (one open violation
# per policy+asset); it is skipped, without history or event.
_OPEN = """
WITH {rules},
opened AS (
    INSERT INTO compliance_violations (id, workspace_id, policy_ref, policy_version, title, framework, severity,
                                       asset_id, status, due_at)
    SELECT gen_random_uuid(), %(workspace_id)s, r.ref, r.version, r.title, r.framework, r.severity, f.asset_id,
           'detected', now() + r.due
      FROM {fresh} f JOIN rules r ON r.ref = f.policy_ref
    ON CONFLICT (policy_ref, asset_id) WHERE closed_at IS NULL DO NOTHING
    RETURNING id, asset_id, policy_ref, policy_version, severity
),
history AS (
    INSERT INTO compliance_violation_events (violation_id, workspace_id, actor, action, to_status, note)
    SELECT id, %(workspace_id)s, %(actor)s, 'detected', 'detected',
           'policy ' || policy_ref || ' version ' || policy_version
      FROM opened
),
events AS (
    INSERT INTO outbox_events (id, type, source, subject, workspace_id, data)
    SELECT gen_random_uuid(), 'datawave.compliance.violation.detected', %(source)s, 'violations/' || id::text,
           %(workspace_id)s, jsonb_build_object('violation_id', id, 'asset_id', asset_id, 'policy_ref', policy_ref,
           'policy_version', policy_version, 'severity', severity)
      FROM opened
)
SELECT policy_ref, count(*) AS n FROM opened GROUP BY policy_ref
"""

# Still violating: only a changed policy version is written (a rare, whole-policy change). The open
# violations of another version are found first (usually none), then checked against the hits.
_NEW_VERSION = """
WITH {rules},
stale AS MATERIALIZED (
    SELECT v.id, v.policy_ref, v.asset_id, r.version FROM compliance_violations v JOIN rules r ON r.ref = v.policy_ref
     WHERE v.workspace_id = %(workspace_id)s AND v.closed_at IS NULL AND v.policy_version <> r.version
)
UPDATE compliance_violations v SET policy_version = s.version
  FROM stale s
 WHERE v.id = s.id AND EXISTS (SELECT 1 FROM {hits} h WHERE h.policy_ref = s.policy_ref AND h.asset_id = s.asset_id)
"""

# A run over some assets only is not a full evaluation: its hits record when they were last seen.
_SEEN = """
UPDATE compliance_violations v SET last_seen_at = now()
  FROM {hits} h
 WHERE v.policy_ref = h.policy_ref AND v.asset_id = h.asset_id AND v.closed_at IS NULL AND v.last_seen_at < now()
"""

_CLOSE = """
WITH {rules},
closed AS (
    UPDATE compliance_violations v SET
           status = CASE WHEN v.status = 'false_positive' THEN v.status ELSE 'resolved' END,
           resolution = CASE WHEN v.status = 'false_positive' THEN v.resolution ELSE 'automatic' END,
           resolved_by = CASE WHEN v.status = 'false_positive' THEN v.resolved_by ELSE %(actor)s END,
           resolved_at = CASE WHEN v.status = 'false_positive' THEN v.resolved_at ELSE now() END,
           closed_at = now()
      FROM rules r
     WHERE v.workspace_id = %(workspace_id)s AND v.policy_ref = r.ref AND v.closed_at IS NULL
       AND (%(asset_ids)s::uuid[] IS NULL OR v.asset_id = ANY(%(asset_ids)s::uuid[]))
       AND NOT EXISTS (SELECT 1 FROM {hits} h WHERE h.policy_ref = v.policy_ref AND h.asset_id = v.asset_id)
    RETURNING v.id, v.asset_id, v.status, v.policy_ref, r.version, r.severity
),
history AS (
    INSERT INTO compliance_violation_events (violation_id, workspace_id, actor, action, to_status, note)
    SELECT id, %(workspace_id)s, %(actor)s,
           CASE WHEN status = 'resolved' THEN 'auto_resolved' ELSE 'condition_cleared' END, status,
           'the policy condition no longer holds' FROM closed
),
events AS (
    INSERT INTO outbox_events (id, type, source, subject, workspace_id, data)
    SELECT gen_random_uuid(), 'datawave.compliance.violation.resolved', %(source)s, 'violations/' || id::text,
           %(workspace_id)s, jsonb_build_object('violation_id', id, 'asset_id', asset_id, 'policy_ref', policy_ref,
           'policy_version', version, 'severity', severity)
      FROM closed WHERE status = 'resolved'
)
SELECT policy_ref, count(*) AS n FROM closed GROUP BY policy_ref
"""


def _rule_params(rules: Sequence[Rule]) -> dict[str, Any]:
    return {
        "refs": [r.ref for r in rules],
        "versions": [r.version for r in rules],
        "titles": [r.title for r in rules],
        "frameworks": [r.framework for r in rules],
        "severities": [r.severity.value for r in rules],
        "dues": [r.severity.due_in for r in rules],
    }


def reconcile(
    uow: UnitOfWork, rules: Sequence[Rule], workspace_id: UUID, hits: str, asset_ids: Sequence[UUID] | None
) -> tuple[dict[str, int], dict[str, int]]:
    """Reconcile every rule's violations with the hit list ``hits`` (a table of policy_ref, asset_id):
    (opened, resolved) counts by policy ref."""
    conn = uow.connection
    params = {
        **_rule_params(rules),
        "workspace_id": workspace_id,
        "asset_ids": list(asset_ids) if asset_ids is not None else None,
        "actor": ENGINE_ACTOR,
        "source": f"/datawave/workspaces/{workspace_id}/compliance",
    }
    fmt = {"rules": _RULES, "hits": hits, "fresh": f"{hits}_fresh"}
    conn.execute(_FRESH.format(**fmt))
    opened = {r["policy_ref"]: int(r["n"]) for r in conn.execute(_OPEN.format(**fmt), params).fetchall()}
    conn.execute("DROP TABLE {fresh}".format(**fmt))
    conn.execute(_NEW_VERSION.format(**fmt), params)
    if asset_ids is not None:
        conn.execute(_SEEN.format(**fmt))
    resolved = {r["policy_ref"]: int(r["n"]) for r in conn.execute(_CLOSE.format(**fmt), params).fetchall()}
    return opened, resolved


_EXPIRE = """
WITH expired AS (
    UPDATE compliance_violations SET status = 'detected', escalated_at = NULL
     WHERE workspace_id = %(workspace_id)s AND status = 'accepted_risk' AND closed_at IS NULL
       AND accepted_until <= now()
    RETURNING id, asset_id, policy_ref
),
history AS (
    INSERT INTO compliance_violation_events (violation_id, workspace_id, actor, action, from_status, to_status, note)
    SELECT id, %(workspace_id)s, %(actor)s, 'risk_expired', 'accepted_risk', 'detected', 'the risk acceptance expired'
      FROM expired
),
events AS (
    INSERT INTO outbox_events (id, type, source, subject, workspace_id, data)
    SELECT gen_random_uuid(), 'datawave.compliance.violation.risk_expired', %(source)s, 'violations/' || id::text,
           %(workspace_id)s, jsonb_build_object('violation_id', id, 'asset_id', asset_id, 'policy_ref', policy_ref)
      FROM expired
)
SELECT count(*) AS n FROM expired
"""


def _expire_accepted_risks(uow: UnitOfWork, workspace_id: UUID) -> int:
    """Accepted risks past their expiry are detected again (history entry and event each)."""
    row = uow.connection.execute(
        _EXPIRE,
        {
            "workspace_id": workspace_id,
            "actor": ENGINE_ACTOR,
            "source": f"/datawave/workspaces/{workspace_id}/compliance",
        },
    ).fetchone()
    return int(row["n"])


# ``due_at`` as ``datetime.isoformat`` writes it (microseconds only when not zero; the offset of the
# session's time zone, which is also the one psycopg hands Python).
_ESCALATE = """
WITH escalated AS (
    UPDATE compliance_violations SET escalated_at = now()
     WHERE workspace_id = %(workspace_id)s AND closed_at IS NULL AND escalated_at IS NULL
       AND status IN ('detected', 'investigating', 'remediating') AND due_at < now()
    RETURNING id, asset_id, policy_ref, severity, assignee,
              to_char(due_at, 'YYYY-MM-DD"T"HH24:MI:SS')
              || CASE WHEN extract(microseconds FROM due_at)::bigint %% 1000000 = 0 THEN ''
                      ELSE to_char(due_at, '.US') END
              || to_char(due_at, 'TZH:TZM') AS due_at
),
history AS (
    INSERT INTO compliance_violation_events (violation_id, workspace_id, actor, action, note)
    SELECT id, %(workspace_id)s, %(actor)s, 'escalated', 'overdue since ' || due_at FROM escalated
),
events AS (
    INSERT INTO outbox_events (id, type, source, subject, workspace_id, data)
    SELECT gen_random_uuid(), 'datawave.compliance.violation.overdue', %(source)s, 'violations/' || id::text,
           %(workspace_id)s, jsonb_build_object('violation_id', id, 'asset_id', asset_id, 'policy_ref', policy_ref,
           'severity', severity, 'assignee', assignee, 'due_at', due_at)
      FROM escalated
)
SELECT count(*) AS n FROM escalated
"""


def escalate_overdue(uow: UnitOfWork, workspace_id: UUID) -> int:
    """Mark open violations past their due date escalated, once, with a history entry and an outbox
    event each."""
    row = uow.connection.execute(
        _ESCALATE,
        {
            "workspace_id": workspace_id,
            "actor": ENGINE_ACTOR,
            "source": f"/datawave/workspaces/{workspace_id}/compliance",
        },
    ).fetchone()
    return int(row["n"])


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
    conn = uow.connection
    ctx = context(uow)
    expired = _expire_accepted_risks(uow, workspace_id)
    rules = workspace_rules(uow, workspace_id)
    prefix = f"compliance_run_{run_id.hex[:12]}"
    hits = f"{prefix}_hits"
    conn.execute(f"CREATE TEMPORARY TABLE {hits} (policy_ref text NOT NULL, asset_id uuid NOT NULL) ON COMMIT DROP")
    # Up to PER_ASSET_LIMIT assets (event-driven runs) are probed one by one (the correlated form);
    # otherwise what policies share is filled once for the run and joined (the set-based form).
    per_asset = asset_ids is not None and len(asset_ids) <= PER_ASSET_LIMIT
    shared = None if per_asset else engine.SharedTables(conn, {**ctx, "workspace_id": workspace_id}, prefix)
    scoped: dict[tuple[str, ...], int] = {}
    violating: dict[str, int] = {}
    ids = list(asset_ids) if asset_ids is not None else None
    for rule in rules:
        if rule.asset_types not in scoped:
            scoped[rule.asset_types] = engine.scoped_count(conn, rule.asset_types, workspace_id, asset_ids)
        compiled = rule.correlated if per_asset else rule.compiled
        tables = shared.for_query(" ".join([*compiled.joins, compiled.sql]), rule.asset_types) if shared else None
        sql, params = engine.violation_query(compiled, rule.asset_types, tables)
        cur = conn.execute(
            f"INSERT INTO {hits} (policy_ref, asset_id) SELECT %(ref)s, h.id FROM ({sql}) h",
            {**params, **ctx, "workspace_id": workspace_id, "asset_ids": ids, "ref": rule.ref},
        )
        violating[rule.ref] = cur.rowcount
    conn.execute(f"ANALYZE {hits}")
    opened, resolved = reconcile(uow, rules, workspace_id, hits, asset_ids)
    uow.compliance.add_evaluations(
        workspace_id,
        run_id,
        trigger,
        asset_ids is not None,
        [
            (r.ref, r.version, scoped[r.asset_types], violating[r.ref], opened.get(r.ref, 0), resolved.get(r.ref, 0))
            for r in rules
        ],
    )
    totals = {
        "violating": sum(violating.values()),
        "opened": sum(opened.values()),
        "resolved": sum(resolved.values()),
        "evaluations": sum(scoped[r.asset_types] for r in rules),
    }
    escalated = escalate_overdue(uow, workspace_id)
    if asset_ids is None and shared is not None:
        risk.record_history(uow, workspace_id, shared.for_query(shared_ref("child_rank"), ()))
    if shared is not None:
        shared.drop()
    conn.execute(f"DROP TABLE {hits}")
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
