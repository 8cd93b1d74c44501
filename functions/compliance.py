"""Compliance: framework packs, custom policies (versioned, dry-run), evaluation, violations to
resolution, risk scores and reports. The sweep orchestration and the event consumer are registered
on this group's blueprint too."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

import azure.durable_functions as df
import azure.functions as func
from pydantic import BaseModel, ConfigDict, Field

from activities import compliance as sweep_activities
from core.compliance import evaluation, monitoring, policies, reports, risk, violations
from core.compliance.model import (
    Assignment,
    Comment,
    CommentCreate,
    Decision,
    DryRun,
    EvaluationSummary,
    FrameworkSummary,
    Policy,
    PolicyCreate,
    PolicyPatch,
    PolicyVersion,
    StatusChange,
    Violation,
    ViolationEvent,
    ViolationQuery,
)
from core.pagination import Page
from functions.api import Api, RequestContext, Response
from orchestrations import compliance_sweep

log = logging.getLogger(__name__)
bp = df.Blueprint()
api = Api(bp, tag="compliance")
compliance_sweep.register(bp)
sweep_activities.register(bp)
SWEEP_SCHEDULE = "0 0 * * * *"  # NCRONTAB: at the top of every hour


@bp.function_name(name="compliance_sweep_timer")
@bp.timer_trigger(arg_name="timer", schedule=SWEEP_SCHEDULE, use_monitor=True)
@bp.durable_client_input(client_name="client")
async def compliance_sweep_timer(timer: func.TimerRequest, client: Any) -> None:
    """Every hour: start the sweep orchestration over all workspaces (one instance per hour slot)."""
    instance = "compliance-sweep-" + datetime.now(UTC).strftime("%Y%m%dT%H")
    status = await client.get_status(instance)
    if status is not None and getattr(status, "runtime_status", None) is not None:
        return  # this slot's sweep already started (timer retried or ran twice)
    await client.start_new(compliance_sweep.ORCHESTRATOR, instance, None)
    log.info("compliance sweep started", extra={"instance": instance, "past_due": timer.past_due})


@bp.function_name(name="compliance_event_received")
@bp.service_bus_topic_trigger(
    arg_name="msg", topic_name="datawave-events", subscription_name="compliance", connection="ServiceBusConnection"
)
def compliance_event_received(msg: func.ServiceBusMessage) -> None:
    """Re-evaluate what a scan, classification or grant change affects (idempotent by CloudEvent id)."""
    result = monitoring.handle_event(msg.get_body())
    log.info("compliance event handled", extra={"result": result})


class RiskHistoryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: Literal["workspace", "data_source", "asset"] = "workspace"
    scope_id: UUID | None = Field(None, description="The data source or asset (default: the workspace)")
    limit: int = Field(100, ge=1, le=1000)


# -- frameworks and policies ----------------------------------------------------------------------
@api.get("v1/compliance/frameworks", permission="compliance:read")
def list_frameworks(ctx: RequestContext) -> list[FrameworkSummary]:
    """The framework packs (GDPR, CCPA, HIPAA, SOX, PCI DSS) every workspace is evaluated against."""
    return policies.frameworks()


@api.get("v1/compliance/frameworks/{framework}", permission="compliance:read")
def get_framework(ctx: RequestContext, framework: str) -> dict[str, Any]:
    """One pack: controls, the policies each maps to, and their conditions."""
    return policies.framework(framework)


@api.post("v1/workspaces/{workspace_id}/compliance/policies", permission="compliance:write", status=201)
def create_policy(ctx: RequestContext, workspace_id: UUID, body: PolicyCreate) -> Policy:
    """Add a custom policy (version 1; disabled unless enabled is true)."""
    return policies.create_policy(ctx.uow, ctx.access, workspace_id, body)


@api.get("v1/workspaces/{workspace_id}/compliance/policies", permission="compliance:read")
def list_policies(ctx: RequestContext, workspace_id: UUID) -> list[Policy]:
    """The workspace's custom policies, latest versions."""
    return policies.list_policies(ctx.uow, ctx.access, workspace_id)


@api.post("v1/workspaces/{workspace_id}/compliance/policies/dry-run", permission="compliance:read", audit=False)
def dry_run_definition(ctx: RequestContext, workspace_id: UUID, body: PolicyCreate) -> DryRun:
    """What an unsaved policy would flag right now (nothing is stored)."""
    return policies.dry_run_definition(ctx.uow, ctx.access, workspace_id, body)


@api.get("v1/compliance/policies/{policy_id}", permission="compliance:read")
def get_policy(ctx: RequestContext, policy_id: UUID) -> Policy:
    """One custom policy, latest version."""
    return policies.get_policy(ctx.uow, ctx.access, policy_id)


@api.patch("v1/compliance/policies/{policy_id}", permission="compliance:write")
def update_policy(ctx: RequestContext, policy_id: UUID, body: PolicyPatch) -> Policy:
    """Change a policy: a new definition is a new version; enabled toggles evaluation."""
    return policies.update_policy(ctx.uow, ctx.access, policy_id, body)


@api.get("v1/compliance/policies/{policy_id}/versions", permission="compliance:read")
def list_policy_versions(ctx: RequestContext, policy_id: UUID) -> list[PolicyVersion]:
    """Every version of a policy's definition, oldest first."""
    return policies.versions(ctx.uow, ctx.access, policy_id)


@api.post("v1/compliance/policies/{policy_id}/dry-run", permission="compliance:read", audit=False)
def dry_run_policy(ctx: RequestContext, policy_id: UUID) -> DryRun:
    """What the policy's latest version would flag right now (before enabling it)."""
    return policies.dry_run(ctx.uow, ctx.access, policy_id)


@api.post("v1/workspaces/{workspace_id}/compliance/evaluate", permission="compliance:write")
def evaluate_workspace(ctx: RequestContext, workspace_id: UUID) -> EvaluationSummary:
    """Evaluate every pack policy and enabled custom policy now, reconciling violations."""
    return evaluation.evaluate_now(ctx.uow, ctx.access, workspace_id)


# -- violations -----------------------------------------------------------------------------------
@api.get("v1/workspaces/{workspace_id}/compliance/violations", permission="compliance:read")
def list_violations(ctx: RequestContext, workspace_id: UUID, query: ViolationQuery) -> Page[Violation]:
    """Violations, newest first (filter by status, severity, policy, asset, open)."""
    return violations.list_violations(ctx.uow, ctx.access, workspace_id, query)


@api.get("v1/compliance/violations/{violation_id}", permission="compliance:read")
def get_violation(ctx: RequestContext, violation_id: UUID) -> Violation:
    """One violation."""
    return violations.get_violation(ctx.uow, ctx.access, violation_id)


@api.post("v1/compliance/violations/{violation_id}/status", permission="compliance:write")
def change_violation_status(ctx: RequestContext, violation_id: UUID, body: StatusChange) -> Violation:
    """Move a violation to investigating or remediating (409 illegal_transition otherwise)."""
    return violations.change_status(ctx.uow, ctx.access, violation_id, body)


@api.post("v1/compliance/violations/{violation_id}/decision", permission="compliance:review")
def decide_violation(ctx: RequestContext, violation_id: UUID, body: Decision) -> Violation:
    """Resolve, accept the risk (expiry + approver) or mark a false positive (reason)."""
    return violations.decide(ctx.uow, ctx.access, violation_id, body)


@api.put("v1/compliance/violations/{violation_id}/assignment", permission="compliance:write")
def assign_violation(ctx: RequestContext, violation_id: UUID, body: Assignment) -> Violation:
    """Assign a violation (and optionally override its due date)."""
    return violations.assign(ctx.uow, ctx.access, violation_id, body)


@api.post("v1/compliance/violations/{violation_id}/comments", permission="compliance:write", status=201)
def add_violation_comment(ctx: RequestContext, violation_id: UUID, body: CommentCreate) -> Comment:
    """Comment on a violation."""
    return violations.add_comment(ctx.uow, ctx.access, violation_id, body)


@api.get("v1/compliance/violations/{violation_id}/comments", permission="compliance:read")
def list_violation_comments(ctx: RequestContext, violation_id: UUID) -> list[Comment]:
    """A violation's comments, oldest first."""
    return violations.comments(ctx.uow, ctx.access, violation_id)


@api.get("v1/compliance/violations/{violation_id}/history", permission="compliance:read")
def violation_history(ctx: RequestContext, violation_id: UUID) -> list[ViolationEvent]:
    """Detection, status changes, assignments, escalations and automatic resolution, in order."""
    return violations.history(ctx.uow, ctx.access, violation_id)


# -- risk -----------------------------------------------------------------------------------------
@api.get("v1/workspaces/{workspace_id}/compliance/risk", permission="compliance:read")
def workspace_risk(ctx: RequestContext, workspace_id: UUID) -> risk.WorkspaceRisk:
    """Risk score of the workspace, its data sources and its riskiest assets (formula: docs/compliance.md)."""
    return risk.workspace_risk(ctx.uow, ctx.access, workspace_id)


@api.get("v1/workspaces/{workspace_id}/compliance/risk/history", permission="compliance:read")
def risk_history(ctx: RequestContext, workspace_id: UUID, query: RiskHistoryQuery) -> list[risk.RiskPoint]:
    """Scores recorded by sweeps, newest first (trend)."""
    return risk.history(ctx.uow, ctx.access, workspace_id, query.scope, query.scope_id, query.limit)


@api.get("v1/compliance/assets/{asset_id}/risk", permission="compliance:read")
def asset_risk(ctx: RequestContext, asset_id: UUID) -> risk.AssetRisk:
    """One asset's risk score with its parts (a column answers for its table)."""
    return risk.asset_risk(ctx.uow, ctx.access, asset_id)


# -- reports --------------------------------------------------------------------------------------
class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["json", "csv", "html"] = "json"


@api.get("v1/workspaces/{workspace_id}/compliance/reports/{framework}", permission="compliance:read")
def framework_report(ctx: RequestContext, workspace_id: UUID, framework: str, query: ReportQuery) -> Response:
    """A framework's controls with pass/fail, evidence and open violations: JSON, CSV or standalone HTML."""
    body, content_type = reports.render(reports.report(ctx.uow, ctx.access, workspace_id, framework), query.format)
    return Response(body, content_type=content_type)


class WorkspaceReportQuery(ReportQuery):
    workspace_id: UUID


@api.get("v1/compliance/reports/{framework}", permission="compliance:read")
def framework_report_by_query(ctx: RequestContext, framework: str, query: WorkspaceReportQuery) -> Response:
    """The same report with the workspace in the query (`?workspace_id=…&format=json|csv|html`)."""
    body, content_type = reports.render(
        reports.report(ctx.uow, ctx.access, query.workspace_id, framework), query.format
    )
    return Response(body, content_type=content_type)


@api.get("v1/workspaces/{workspace_id}/compliance/summary", permission="compliance:read")
def compliance_summary(ctx: RequestContext, workspace_id: UUID) -> reports.WorkspaceSummary:
    """Risk score, open violations by severity, overdue count and pass/fail per framework."""
    return reports.workspace_summary(ctx.uow, ctx.access, workspace_id)
