"""Scan services: requesting and following scans (API side) and the saga's steps (activity side).

Every activity-side step is idempotent, keyed by scan id + asset: a replayed or re-run activity
(at-least-once, see docs/devhost.md) never duplicates rows or events.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from core.auth.access import Access
from core.classification.rule_sets import builtin_templates
from core.errors import Conflict, InvalidInput, NotFound
from core.pagination import Page, decode_time_cursor, encode_time_cursor
from core.scans.model import (
    DEFAULT_TEMPLATE,
    ClassificationChange,
    RuleSetPin,
    Scan,
    ScanAsset,
    ScanDiff,
    ScanListQuery,
    ScanProgress,
    ScanRequest,
)
from core.workspaces.quotas import QuotaKind, ensure_within_quota

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

Row = dict[str, Any]
ORCHESTRATOR = "scan_orchestrator"
# Discovery rounds of one scan: files landing while it runs make it discover again before it finishes;
# past this many rounds (a container that never stops receiving files) it finishes and later files
# start the next scan.
MAX_DISCOVERY_ROUNDS = 10


def _now() -> datetime:
    return datetime.now(UTC)


def view(row: Row) -> Scan:
    return Scan(
        id=row["id"],
        workspace_id=row["workspace_id"],
        data_source_id=row["data_source_id"],
        rule_set=RuleSetPin(
            rule_set_id=row["rule_set_id"], version=row["rule_set_version"], template=row["rule_set_template"]
        ),
        incremental=row["incremental"],
        trigger=row["trigger"],
        status=row["status"],
        phase=row["phase"],
        progress=ScanProgress(
            total=row["assets_total"],
            done=row["assets_done"],
            failed=row["assets_failed"],
            skipped=row["assets_skipped"],
        ),
        error=row["error"],
        summary=row["summary"] or {},
        previous_scan_id=row["previous_scan_id"],
        requested_by=row["requested_by"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


# -- API side ---------------------------------------------------------------------------------------
def _pin_rule_set(uow: UnitOfWork, access: Access, workspace_id: UUID, command: ScanRequest) -> dict[str, Any]:
    if command.rule_set_id:
        from core.scanrules import service as rule_sets

        rule_set = rule_sets.get_rule_set(uow, access, workspace_id, command.rule_set_id)
        if rule_set.status == "retired":
            raise Conflict(f"rule set {command.rule_set_id!r} is retired", code="rule_set_retired")
        version = command.rule_set_version or rule_set.latest_version
        rule_sets.get_version(uow, access, workspace_id, command.rule_set_id, version)  # 404 when missing
        return {"rule_set_id": command.rule_set_id, "rule_set_version": version, "rule_set_template": None}
    template = command.template or DEFAULT_TEMPLATE
    if template not in builtin_templates():
        raise InvalidInput(
            f"unknown template {template!r}",
            code="unknown_template",
            details={"field": "body.template", "known": sorted(builtin_templates())},
        )
    return {"rule_set_id": None, "rule_set_version": None, "rule_set_template": template}


def request_scan(
    uow: UnitOfWork,
    access: Access,
    workspace_id: UUID,
    command: ScanRequest,
    *,
    trigger: str = "api",
    commit: bool = True,
) -> Scan:
    """Queue a scan of one data source with a pinned rule set; the caller then starts the saga."""
    from core.datasources import service as datasources

    access.require_workspace(workspace_id)
    datasources.require_scannable(uow, access, workspace_id, command.data_source_id)
    pin = _pin_rule_set(uow, access, workspace_id, command)
    ensure_within_quota(uow, workspace_id, QuotaKind.CONCURRENT_SCANS, lambda: uow.scans.count_active(workspace_id))
    now = _now()
    previous = uow.scans.previous_completed(command.data_source_id, now)
    row = {
        "id": uuid.uuid4(),
        "workspace_id": workspace_id,
        "data_source_id": command.data_source_id,
        **pin,
        "incremental": command.incremental,
        "trigger": trigger,
        "status": "queued",
        "phase": "queued",
        "previous_scan_id": previous["id"] if previous else None,
        "requested_by": access.principal.subject,
        "created_at": now,
    }
    uow.scans.add(row)
    uow.outbox.add(
        "datawave.scan.requested",
        workspace_id=workspace_id,
        subject=f"scans/{row['id']}",
        data={
            "scan_id": str(row["id"]),
            "data_source_id": str(command.data_source_id),
            "trigger": trigger,
            "rule_set": pin,
        },
    )
    uow.audit_note.workspace_id = workspace_id
    uow.audit_note.target = f"scans/{row['id']}"
    if commit:
        uow.commit()
    return view(
        {
            **row,
            "assets_total": 0,
            "assets_done": 0,
            "assets_failed": 0,
            "assets_skipped": 0,
            "error": None,
            "summary": {},
            "started_at": None,
            "finished_at": None,
        }
    )


def _load(uow: UnitOfWork, access: Access, scan_id: UUID) -> Row:
    row = uow.scans.get(access.scope, scan_id)
    if row is None:
        raise NotFound("scan not found", code="scan_not_found")
    return row


def get_scan(uow: UnitOfWork, access: Access, scan_id: UUID) -> Scan:
    return view(_load(uow, access, scan_id))


def list_scans(uow: UnitOfWork, access: Access, workspace_id: UUID, query: ScanListQuery) -> Page[Scan]:
    access.require_workspace(workspace_id)
    before = decode_time_cursor(query.cursor)
    rows = uow.scans.list(access.scope, workspace_id, query.data_source_id, query.status, before, query.limit + 1)
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        next_cursor = encode_time_cursor(rows[-1]["created_at"], rows[-1]["id"])
    return Page[Scan](items=[view(r) for r in rows], next_cursor=next_cursor)


def list_assets(uow: UnitOfWork, access: Access, scan_id: UUID) -> list[ScanAsset]:
    _load(uow, access, scan_id)
    return [ScanAsset.model_validate(r) for r in uow.scans.assets(scan_id)]


def diff(uow: UnitOfWork, access: Access, scan_id: UUID) -> ScanDiff:
    """What changed since the previous completed scan of the same source."""
    row = _load(uow, access, scan_id)
    current = {r["qualified_name"]: r for r in uow.scans.assets(scan_id) if r["status"] in ("done", "skipped")}
    previous: dict[str, Row] = {}
    if row["previous_scan_id"]:
        previous = {
            r["qualified_name"]: r
            for r in uow.scans.assets(row["previous_scan_id"])
            if r["status"] in ("done", "skipped")
        }
    changes = []
    for name in sorted(set(current) & set(previous)):
        now_cls, before_cls = current[name]["classifications"] or {}, previous[name]["classifications"] or {}
        for column in sorted(set(now_cls) | set(before_cls)):
            added = sorted(set(now_cls.get(column, [])) - set(before_cls.get(column, [])))
            removed = sorted(set(before_cls.get(column, [])) - set(now_cls.get(column, [])))
            if added or removed:
                changes.append(ClassificationChange(qualified_name=name, column=column, added=added, removed=removed))
    return ScanDiff(
        scan_id=scan_id,
        previous_scan_id=row["previous_scan_id"],
        new_assets=sorted(set(current) - set(previous)) if row["previous_scan_id"] else sorted(current),
        removed_assets=sorted(set(previous) - set(current)),
        classification_changes=changes,
    )


def _transition(uow: UnitOfWork, access: Access, scan_id: UUID, allowed: tuple[str, ...], action: str) -> Row:
    row = _load(uow, access, scan_id)
    access.require_workspace(row["workspace_id"])
    locked = uow.scans.get_for_update(scan_id)
    assert locked is not None
    if locked["status"] not in allowed:
        raise Conflict(f"cannot {action} a scan that is {locked['status']}", code="invalid_scan_state")
    uow.audit_note.workspace_id = row["workspace_id"]
    uow.audit_note.target = f"scans/{scan_id}"
    return locked


def pause(uow: UnitOfWork, access: Access, scan_id: UUID) -> Scan:
    """Stop scheduling new batches; batches already running finish."""
    row = _transition(uow, access, scan_id, ("queued", "running"), "pause")
    uow.scans.update(scan_id, status="paused", pause_seq=row["pause_seq"] + 1)
    uow.commit()
    return get_scan(uow, access, scan_id)


def resume(uow: UnitOfWork, access: Access, scan_id: UUID) -> tuple[Scan, int]:
    """Back to running; returns the pause sequence the resume event must carry."""
    row = _transition(uow, access, scan_id, ("paused",), "resume")
    uow.scans.update(scan_id, status="running" if row["started_at"] else "queued")
    uow.commit()
    return get_scan(uow, access, scan_id), row["pause_seq"]


def cancel(uow: UnitOfWork, access: Access, scan_id: UUID) -> Scan:
    """Cancel: results recorded so far are kept as partial results."""
    _transition(uow, access, scan_id, ("queued", "running", "paused"), "cancel")
    uow.scans.update(scan_id, status="cancelled", phase="done", finished_at=_now(), **uow.scans.progress(scan_id))
    row = uow.scans.get_for_update(scan_id)
    assert row is not None
    uow.outbox.add(
        "datawave.scan.cancelled",
        workspace_id=row["workspace_id"],
        subject=f"scans/{scan_id}",
        data={"scan_id": str(scan_id), "data_source_id": str(row["data_source_id"])},
    )
    uow.commit()
    return get_scan(uow, access, scan_id)


def mark_start_failed(uow: UnitOfWork, scan_id: UUID, error: str) -> None:
    """The saga could not be started: the queued scan ends failed (nothing was scanned)."""
    uow.scans.update(scan_id, status="failed", phase="done", error=error[:2000], finished_at=_now())
    uow.commit()


# -- activity side -----------------------------------------------------------------------------------
def _active_row(uow: UnitOfWork, scan_id: UUID) -> Row:
    row = uow.scans.get_for_update(scan_id)
    if row is None:
        raise NotFound(f"scan {scan_id} not found", code="scan_not_found")
    return row


def checkpoint(uow: UnitOfWork, scan_id: UUID) -> dict[str, Any]:
    """Where the scan stands for its orchestrator: status and pause sequence."""
    row = _active_row(uow, scan_id)
    return {"status": row["status"], "pause_seq": row["pause_seq"]}


def begin(uow: UnitOfWork, scan_id: UUID) -> Row:
    """A discovery round starts: it sees every file whose landing the scan has joined so far."""
    row = _active_row(uow, scan_id)
    started = {
        "phase": "discovering",
        "started_at": row["started_at"] or _now(),
        "discovered_seq": row["landed_seq"],
        "discovery_rounds": row["discovery_rounds"] + 1,
    }
    if row["status"] == "queued":
        uow.scans.update(scan_id, status="running", **started)
    elif row["status"] in ("running", "paused"):
        # A scan paused while still queued has started now: its resume must make it running again.
        uow.scans.update(scan_id, **started)
    uow.commit()
    return row


def join_landing(uow: UnitOfWork, data_source_id: UUID) -> UUID | None:
    """A file landed for a source that is being scanned: make its active scan discover it (again, after
    the round under way, if discovery has already listed the source). Returns the scan joined; None when
    the source has no active scan any more (request one) or the scan has used its discovery rounds (the
    caller retries later). The caller commits."""
    row = uow.scans.active_for_source_for_update(data_source_id)
    if row is None or row["discovery_rounds"] >= MAX_DISCOVERY_ROUNDS:
        return None
    uow.scans.update(row["id"], landed_seq=row["landed_seq"] + 1)
    return row["id"]


def record_discovery(
    uow: UnitOfWork, scan_id: UUID, assets: list[tuple[str, str, str | None, dict[str, Any] | str]]
) -> list[str]:
    """Store what discovery found (name, type, fingerprint, descriptor as a dict or JSON text);
    unchanged assets of an incremental scan are skipped (their previous findings carried over).
    Returns the qualified names still to scan."""
    row = _active_row(uow, scan_id)
    skip: set[str] = set()
    if row["incremental"] and row["previous_scan_id"]:
        before = {r["qualified_name"]: r for r in uow.scans.assets(row["previous_scan_id"])}
        skip = {
            qn
            for qn, _, fingerprint, _ in assets
            if fingerprint
            and qn in before
            and before[qn]["fingerprint"] == fingerprint
            and before[qn]["status"] in ("done", "skipped")
        }
    uow.scans.add_assets(
        scan_id,
        row["workspace_id"],
        [(qn, kind, fp, "skipped" if qn in skip else "pending", descriptor) for qn, kind, fp, descriptor in assets],
    )
    if skip:
        uow.scans.copy_results(scan_id, row["previous_scan_id"], sorted(skip))
    uow.scans.update(scan_id, phase="scanning", **uow.scans.progress(scan_id))
    uow.commit()
    return uow.scans.names(scan_id, "pending")


def record_assets(
    uow: UnitOfWork,
    scan_id: UUID,
    *,
    done: list[tuple[str, int, dict[str, list[str]], UUID]],
    failed: dict[str, str],
) -> dict[str, Any]:
    """Record a batch's outcome: ``done`` as (name, columns, classifications, catalog asset id),
    ``failed`` as name → error; then the scan's progress (the caller commits). Returns the scan's
    status and pause sequence as they stand now (the orchestrator stops starting batches on a pause)."""
    row = _active_row(uow, scan_id)
    uow.scans.record_assets(scan_id, done, {name: error[:2000] for name, error in failed.items()})
    uow.scans.update(scan_id, **uow.scans.progress(scan_id))
    return {"status": row["status"], "pause_seq": row["pause_seq"]}


def finish(uow: UnitOfWork, scan_id: UUID) -> dict[str, Any]:
    """Complete the scan: counts, a summary, and the completion event (once). Unless files it joined
    landed after its last discovery round listed the source: then ``{"rediscover": True}`` and the saga
    discovers again (under the row lock, so a landing either counts here or finds the scan completed)."""
    row = _active_row(uow, scan_id)
    ended = row["status"] in ("completed", "cancelled", "failed")
    if not ended and row["landed_seq"] > row["discovered_seq"] and row["discovery_rounds"] < MAX_DISCOVERY_ROUNDS:
        uow.rollback()
        return {"rediscover": True}
    progress = uow.scans.progress(scan_id)
    summary = {**progress, "assets_with_classifications": uow.scans.count_classified(scan_id)}
    if ended:
        return summary
    uow.scans.update(scan_id, status="completed", phase="done", finished_at=_now(), summary=summary, **progress)
    uow.outbox.add(
        "datawave.scan.completed",
        workspace_id=row["workspace_id"],
        subject=f"scans/{scan_id}",
        data={"scan_id": str(scan_id), "data_source_id": str(row["data_source_id"]), **summary},
    )
    uow.commit()
    return summary


def fail(uow: UnitOfWork, scan_id: UUID, error: str) -> None:
    """Compensation: the scan ends failed; what was recorded stays as partial results."""
    row = _active_row(uow, scan_id)
    if row["status"] in ("completed", "cancelled", "failed"):
        return
    uow.scans.update(
        scan_id, status="failed", phase="done", error=error[:2000], finished_at=_now(), **uow.scans.progress(scan_id)
    )
    uow.outbox.add(
        "datawave.scan.failed",
        workspace_id=row["workspace_id"],
        subject=f"scans/{scan_id}",
        data={"scan_id": str(scan_id), "data_source_id": str(row["data_source_id"]), "error": error[:500]},
    )
    uow.commit()
