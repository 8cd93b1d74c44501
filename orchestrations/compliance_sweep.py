"""The compliance sweep: list every workspace, evaluate each in its own activity (fan-out), fan in.

Deterministic: no I/O here; activities read and write the database."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

ORCHESTRATOR = "compliance_sweep_orchestrator"
RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=5000, max_number_of_attempts=3)


def compliance_sweep_orchestrator(context: df.DurableOrchestrationContext) -> Any:
    workspaces = yield context.call_activity("compliance_list_workspaces", None)
    results = yield context.task_all(
        [context.call_activity_with_retry("compliance_sweep_workspace", RETRY, ws) for ws in workspaces]
    )
    return {
        "workspaces": len(workspaces),
        "opened": sum(r.get("opened", 0) for r in results),
        "resolved": sum(r.get("resolved", 0) for r in results),
        "evaluations": sum(r.get("evaluations", 0) for r in results),
    }


def register(bp: df.Blueprint) -> None:
    bp.orchestration_trigger(context_name="context", orchestration=ORCHESTRATOR)(compliance_sweep_orchestrator)
