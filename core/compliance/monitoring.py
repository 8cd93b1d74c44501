"""Continuous compliance: the sweep over every workspace and event-driven re-evaluation.

Event consumer (CloudEvents from the ``datawave-events`` topic, subscription ``compliance``),
idempotent by CloudEvent id (claimed in ``consumed_messages`` as consumer ``compliance``, in the same
transaction as the re-evaluation, so a redelivered event changes nothing):

| event type | re-evaluates |
|---|---|
| ``datawave.scan.completed`` / ``.failed`` / ``.cancelled`` | the whole workspace |
| ``datawave.classification.*`` | the asset (``asset_id`` / ``asset_ids``), its table and its columns |
| ``datawave.classification.suggested`` with a ``scan_id`` | nothing: the scan's end does it |
| ``datawave.authz.*`` (grant changes) | the workspace named by the event, else every workspace |

Other types are acknowledged and ignored. Background work acts as ``compliance-sweep`` /
``compliance-events`` (audit actor).
"""

from __future__ import annotations

import json
import logging
from typing import Any
from uuid import UUID

from core.compliance.evaluation import evaluate_workspace
from core.db.unit_of_work import UnitOfWork
from core.events.consumers import claim, record_result

log = logging.getLogger(__name__)

SWEEP_ACTOR = "compliance-sweep"
EVENTS_ACTOR = "compliance-events"
CONSUMER = "compliance"
SCAN_ENDED = ("datawave.scan.completed", "datawave.scan.failed", "datawave.scan.cancelled")


class InvalidEvent(ValueError):
    """Not a CloudEvent this consumer can read (dead-lettered after retries)."""


def all_workspaces(uow: UnitOfWork) -> list[str]:
    return [str(r["id"]) for r in uow.connection.execute("SELECT id FROM workspaces ORDER BY created_at, id")]


def sweep_workspace(workspace_id: str) -> dict[str, Any]:
    """One workspace's full evaluation (the sweep's activity; safe to repeat)."""
    with UnitOfWork() as uow:
        exists = uow.connection.execute("SELECT 1 FROM workspaces WHERE id = %s", (workspace_id,)).fetchone()
        if exists is None:
            return {"workspace_id": workspace_id, "skipped": "deleted"}
        summary = evaluate_workspace(uow, UUID(workspace_id), "sweep", actor=SWEEP_ACTOR)
        uow.commit()
    return summary.model_dump(mode="json")


def _affected_assets(uow: UnitOfWork, ids: list[str]) -> list[UUID]:
    rows = uow.connection.execute(
        "SELECT DISTINCT x.id FROM catalog_assets a JOIN catalog_assets x"
        " ON x.id = a.id OR x.id = a.parent_id OR x.parent_id = a.id WHERE a.id = ANY(%s::uuid[])",
        (ids,),
    ).fetchall()
    return [r["id"] for r in rows]


def handle_event(body: bytes | str) -> dict[str, Any]:
    """Re-evaluate what a CloudEvent affects, once per event id."""
    try:
        event = json.loads(body)
        event_id, event_type = str(event["id"]), str(event["type"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidEvent(f"not a CloudEvents JSON body: {type(exc).__name__}") from None
    data = event.get("data") or {}
    workspace = event.get("workspaceid") or (data.get("workspace_id") if isinstance(data, dict) else None)
    if not (event_type in SCAN_ENDED or event_type.startswith(("datawave.classification.", "datawave.authz."))):
        # Nothing to evaluate (asset, lineage and scan-progress events: the hourly sweep covers what
        # they change), so nothing is written and a redelivery needs no claim either.
        return {"event_id": event_id, "type": event_type, "evaluated": [], "ignored": True}
    if event_type == "datawave.classification.suggested" and isinstance(data, dict) and data.get("scan_id"):
        # A scan suggests per asset as it goes; the event that ends it (completed, failed or cancelled,
        # partial results included) re-evaluates the workspace once instead. Nothing is written, so a
        # redelivery needs no claim either.
        return {"event_id": event_id, "type": event_type, "evaluated": [], "deferred_to": "end of scan"}
    with UnitOfWork() as uow:
        if claim(uow, CONSUMER, event_id) is not None:
            return {"event_id": event_id, "duplicate": True}
        result: dict[str, Any] = {"event_id": event_id, "type": event_type, "evaluated": []}
        targets: list[tuple[str, list[UUID] | None]] = []
        if event_type in SCAN_ENDED and workspace:
            targets = [(workspace, None)]
        elif event_type.startswith("datawave.classification.") and workspace and isinstance(data, dict):
            ids = [data["asset_id"]] if data.get("asset_id") else list(data.get("asset_ids") or [])
            if ids:
                targets = [(workspace, _affected_assets(uow, ids))]
        elif event_type.startswith("datawave.authz."):
            targets = [(w, None) for w in ([workspace] if workspace else all_workspaces(uow))]
        for ws, assets in targets:
            summary = evaluate_workspace(uow, UUID(ws), "event", asset_ids=assets, actor=EVENTS_ACTOR)
            result["evaluated"].append({"workspace_id": ws, "opened": summary.opened, "resolved": summary.resolved})
        record_result(uow, CONSUMER, event_id, result)
        uow.commit()
    return result
