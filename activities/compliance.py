"""Compliance sweep activities: thin calls into core.compliance.monitoring (idempotent: a repeated
evaluation reconciles to the same violations)."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from core.compliance import monitoring
from core.db.unit_of_work import UnitOfWork


def compliance_list_workspaces(unused: Any) -> list[str]:
    with UnitOfWork() as uow:
        return monitoring.all_workspaces(uow)


def compliance_sweep_workspace(workspace_id: str) -> dict[str, Any]:
    return monitoring.sweep_workspace(workspace_id)


def register(bp: df.Blueprint) -> None:
    bp.activity_trigger(input_name="unused", activity="compliance_list_workspaces")(compliance_list_workspaces)
    bp.activity_trigger(input_name="workspace_id", activity="compliance_sweep_workspace")(compliance_sweep_workspace)
