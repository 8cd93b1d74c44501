"""Scan orchestration: request a scan (202 + status URLs), follow it, pause/resume/cancel it, see its
per-asset results and its diff to the previous scan. The saga itself: orchestrations/scan.py and
activities/scan.py, registered on this group's blueprint."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from uuid import UUID

import azure.durable_functions as df
import azure.functions as func

from activities import scan as scan_activities
from core.db.unit_of_work import UnitOfWork
from core.errors import ServiceUnavailable
from core.pagination import Page
from core.scans import service, triggers
from core.scans.model import Scan, ScanAccepted, ScanAsset, ScanDiff, ScanListQuery, ScanRequest
from functions.api import Api, RequestContext
from orchestrations import scan as scan_orchestration

log = logging.getLogger(__name__)
bp = df.Blueprint()
api = Api(bp, tag="scans")
scan_orchestration.register(bp)
scan_activities.register(bp)


def _start_saga(ctx: RequestContext, scan: Scan) -> ScanAccepted:
    try:
        ctx.durable.start(scan_orchestration.ORCHESTRATOR, str(scan.id), {"scan_id": str(scan.id)})
    except Exception as exc:  # noqa: BLE001 - the queued scan must not stay queued forever
        service.mark_start_failed(ctx.uow, scan.id, f"the scan could not be started: {type(exc).__name__}")
        raise ServiceUnavailable("the scan could not be started; retry later") from None
    links = {"scan": f"/api/v1/scans/{scan.id}", **ctx.durable.management_urls(str(scan.id))}
    return ScanAccepted(**scan.model_dump(), links=links)


@api.post("v1/scans", permission="scans:run", status=202, durable=True)
def request_scan(ctx: RequestContext, body: ScanRequest) -> ScanAccepted:
    """Scan a data source: 202 with the scan and the URLs to follow it."""
    return _start_saga(ctx, service.request_scan(ctx.uow, ctx.access, body.workspace_id, body))


@api.get("v1/workspaces/{workspace_id}/scans", permission="scans:read")
def list_scans(ctx: RequestContext, workspace_id: UUID, query: ScanListQuery) -> Page[Scan]:
    """Scan history, newest first (filter by data source or status)."""
    return service.list_scans(ctx.uow, ctx.access, workspace_id, query)


@api.get("v1/scans/{scan_id}", permission="scans:read")
def get_scan(ctx: RequestContext, scan_id: UUID) -> Scan:
    """Phase and progress (assets done/total/failed/skipped) of one scan."""
    return service.get_scan(ctx.uow, ctx.access, scan_id)


@api.get("v1/scans/{scan_id}/assets", permission="scans:read")
def list_scan_assets(ctx: RequestContext, scan_id: UUID) -> list[ScanAsset]:
    """What the scan found per asset (classification ids per column, failures with their reason)."""
    return service.list_assets(ctx.uow, ctx.access, scan_id)


@api.get("v1/scans/{scan_id}/diff", permission="scans:read")
def get_scan_diff(ctx: RequestContext, scan_id: UUID) -> ScanDiff:
    """New and removed assets and classification changes since the previous completed scan."""
    return service.diff(ctx.uow, ctx.access, scan_id)


@api.post("v1/scans/{scan_id}/pause", permission="scans:run")
def pause_scan(ctx: RequestContext, scan_id: UUID) -> Scan:
    """Stop scheduling new batches (batches already running finish)."""
    return service.pause(ctx.uow, ctx.access, scan_id)


@api.post("v1/scans/{scan_id}/resume", permission="scans:run", durable=True)
def resume_scan(ctx: RequestContext, scan_id: UUID) -> Scan:
    """Continue a paused scan."""
    scan, pause_seq = service.resume(ctx.uow, ctx.access, scan_id)
    ctx.durable.raise_event(str(scan_id), "resume", pause_seq)
    return scan


@api.post("v1/scans/{scan_id}/cancel", permission="scans:run", durable=True)
def cancel_scan(ctx: RequestContext, scan_id: UUID) -> Scan:
    """Cancel: the orchestration is terminated; results so far are kept as partial results."""
    scan = service.cancel(ctx.uow, ctx.access, scan_id)
    try:
        ctx.durable.terminate(str(scan_id), "cancelled by request")
    except Exception:  # noqa: BLE001 - an instance that already ended cannot be terminated; the scan is cancelled
        log.info("scan orchestration was not running when cancelled", extra={"scan_id": str(scan_id)})
    return scan


# -- event-triggered scans ---------------------------------------------------------------------------
async def _start_queued(client: Any, scan: Scan) -> None:
    """Start the saga of a scan queued by a message or a blob (the instance id is the scan id)."""
    try:
        await client.start_new(scan_orchestration.ORCHESTRATOR, str(scan.id), {"scan_id": str(scan.id)})
    except Exception as exc:
        if "already exists" in str(exc):
            return  # a redelivery raced the first delivery: the saga runs
        await asyncio.to_thread(_mark_start_failed, scan.id, type(exc).__name__)
        raise


def _mark_start_failed(scan_id: UUID, reason: str) -> None:
    with UnitOfWork() as uow:
        service.mark_start_failed(uow, scan_id, f"the scan could not be started: {reason}")


def _scan_from_message(message_id: str, body: bytes) -> Scan | None:
    with UnitOfWork() as uow:
        return triggers.scan_from_message(uow, message_id, body)


def _scans_for_blob(blob_path: str) -> list[Scan]:
    with UnitOfWork() as uow:
        return triggers.scans_for_landed_blob(uow, blob_path)


@bp.function_name(name="scan_request_received")
@bp.service_bus_queue_trigger(arg_name="msg", queue_name="scan-requests", connection="ServiceBusConnection")
@bp.durable_client_input(client_name="client")
async def scan_request_received(msg: func.ServiceBusMessage, client: Any) -> None:
    """A scan requested on the scan-requests queue (idempotent by message id; bad messages dead-letter)."""
    scan = await asyncio.to_thread(_scan_from_message, msg.message_id, msg.get_body())
    if scan is not None:
        await _start_queued(client, scan)


# Event Grid source: Flex Consumption runs blob triggers only from Event Grid (the default polling source
# never fires there); Elastic Premium supports it too. Azure delivers BlobCreated events of the landing
# container to the blobs extension webhook (infra/bicep/modules/landing-subscription.bicep, docs/deploy.md
# step 5); devhost has no Event Grid and detects new or changed blobs by listing (docs/devhost.md).
@bp.function_name(name="landing_blob_arrived")
@bp.blob_trigger(arg_name="blob", path="landing/{name}", connection="LandingStorage", source=func.BlobSource.EVENT_GRID)
@bp.durable_client_input(client_name="client")
async def landing_blob_arrived(blob: func.InputStream, client: Any) -> None:
    """A file landed in the landing container: incrementally scan every source that reads it."""
    for scan in await asyncio.to_thread(_scans_for_blob, blob.name or ""):
        await _start_queued(client, scan)
