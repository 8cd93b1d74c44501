"""The work of the scan saga's activities: discover the source, then for each asset sample →
profile → classify (pinned rule set) → catalog upsert → record. Idempotent per scan + asset: an asset
already recorded is not scanned again, and the catalog upsert is itself idempotent."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from uuid import UUID

from core.auth.access import WorkspaceScope
from core.auth.service_identity import service_access
from core.catalog import assets as catalog_assets
from core.catalog.model import DiscoveredClassification, DiscoveredColumn, DiscoveredTable
from core.classification.rule_sets import RuleSetDocument, template_rule_set
from core.classification.shared import get_engine
from core.datasources import service as datasources
from core.db.unit_of_work import savepoint
from core.discovery import connectors
from core.discovery.model import AssetProfile, AssetSample, DiscoveredAsset
from core.errors import DomainError, NotFound
from core.scans import service

if TYPE_CHECKING:
    from core.classification.engine import ClassificationEngine
    from core.classification.results import TableResult
    from core.datasources.model import DataSource
    from core.db.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
SAMPLE_ROWS = 100


def _scan(uow: UnitOfWork, scan_id: UUID) -> dict[str, Any]:
    row = uow.scans.get(WorkspaceScope(everywhere=True), scan_id)
    if row is None:
        raise NotFound(f"scan {scan_id} not found", code="scan_not_found")
    return row


def _source(uow: UnitOfWork, row: dict[str, Any]) -> tuple[DataSource, dict[str, str]]:
    access = service_access(row["workspace_id"], "datasources:read", f"scan:{row['id']}", "DataWave scan")
    source = datasources.get(uow, access, row["workspace_id"], row["data_source_id"])
    return source, datasources.credentials_of(source)


def _rule_set(uow: UnitOfWork, row: dict[str, Any]) -> RuleSetDocument:
    if row["rule_set_template"]:
        return template_rule_set(row["rule_set_template"])
    from core.scanrules import service as rule_sets

    access = service_access(row["workspace_id"], "scanrules:read", f"scan:{row['id']}", "DataWave scan")
    version = rule_sets.get_version(uow, access, row["workspace_id"], row["rule_set_id"], row["rule_set_version"])
    return version.document


def _message(exc: Exception) -> str:
    text = exc.message if isinstance(exc, DomainError) else str(exc)
    return f"{type(exc).__name__}: {text}"[:1000]


def discover(uow: UnitOfWork, scan_id: UUID) -> dict[str, Any]:
    """Discover the source's assets and record them; returns those still to scan and the scan's counts
    (a later round, for files that landed during the scan, finds only new or changed assets pending)."""
    service.begin(uow, scan_id)
    row = _scan(uow, scan_id)
    source, credentials = _source(uow, row)
    result = connectors.discover(source.connection, credentials)
    found = [(a.qualified_name, a.asset_type, a.fingerprint.value, a.model_dump_json()) for a in result.assets]
    pending = service.record_discovery(uow, scan_id, found)
    counts = uow.scans.progress(scan_id)
    return {
        "pending": pending,
        "total": counts["assets_total"],
        "skipped": counts["assets_skipped"],
        "done": counts["assets_done"],
        "failed": counts["assets_failed"],
    }


def _table(
    asset: DiscoveredAsset, scan_id: UUID, columns: dict[str, Any], rule_set: RuleSetDocument
) -> DiscoveredTable:
    types = {c.name: c.data_type for c in asset.columns}
    return DiscoveredTable(
        namespace=asset.namespace,
        name=asset.name,
        type=asset.asset_type,
        scan_id=str(scan_id),
        properties={"row_estimate": asset.row_estimate, "format": asset.format, "files": asset.file_count or None},
        columns=[
            DiscoveredColumn(
                name=name,
                data_type=types.get(name),
                classifications=[
                    DiscoveredClassification(
                        classification_id=c.id,
                        confidence=c.confidence,
                        sensitivity=c.label,
                        evidence=c.evidence.model_dump(mode="json"),
                        rule_set_id=rule_set.id,
                        rule_set_version=rule_set.version,
                    )
                    for c in result.classifications
                ],
            )
            for name, result in columns.items()
        ],
    )


def _profile_summary(profile: AssetProfile, columns: dict[str, Any]) -> dict[str, Any]:
    """The column statistics kept in the catalog: no extremes for a column the classifier flagged
    (a numeric card number's min/max would be raw sensitive values)."""
    summary: dict[str, Any] = {"rows_sampled": profile.rows_sampled, "columns": {}}
    for column in profile.columns:
        flagged = column.name in columns and bool(columns[column.name].classifications)
        summary["columns"][column.name] = {
            "null_pct": column.null_pct,
            "distinct_estimate": column.distinct_estimate,
            "avg_length": column.avg_length,
            "shapes": [{"shape": shape.shape, "count": shape.count} for shape in column.shapes[:3]],
            **({} if flagged else {"min": column.min, "max": column.max}),
        }
    return summary


def scan_assets(uow: UnitOfWork, scan_id: UUID, names: list[str]) -> dict[str, Any]:
    """Scan one batch of assets: sample and profile each, classify them together (one model call),
    catalog them together (set-based upsert) and record the batch in one transaction. A failing asset
    is recorded as failed and the batch goes on without it. Returns the batch's done and failed
    counts and the scan's status and pause sequence at the end; a batch that starts while the scan
    is paused does nothing and says it was ``deferred``."""
    row = _scan(uow, scan_id)
    if row["status"] != "running":  # paused: deferred until the resume; otherwise nothing more to do
        state = {"status": row["status"], "pause_seq": row["pause_seq"]}
        return {"done": 0, "failed": 0, **state, "deferred": row["status"] == "paused"}
    # Only this batch's rows: loading every asset of the scan per batch made a scan O(assets²).
    rows = {r["qualified_name"]: r for r in uow.scans.assets(scan_id, names=names)}
    source, credentials = _source(uow, row)
    rule_set = _rule_set(uow, row)
    engine = get_engine()
    catalog_access = service_access(row["workspace_id"], "catalog:write", f"scan:{scan_id}", "DataWave scan")
    counts = {"done": 0, "failed": 0}
    failed: dict[str, str] = {}
    sampled: list[tuple[str, DiscoveredAsset, AssetSample, AssetProfile]] = []
    for name in names:
        current = rows.get(name)
        if current is None:
            continue
        if current["status"] != "pending":  # recorded by an earlier run of this activity
            counts["done" if current["status"] == "done" else "failed"] += current["status"] in ("done", "failed")
            continue
        try:
            asset = DiscoveredAsset.model_validate(current["descriptor"])
            sample = connectors.sample(source.connection, credentials, asset, rows=SAMPLE_ROWS)
            sampled.append((name, asset, sample, connectors.profile(sample, asset)))
        except Exception as exc:  # noqa: BLE001 - a failed asset fails only itself
            failed[name] = _failure(scan_id, name, exc)

    tables: list[tuple[str, DiscoveredTable, dict[str, Any]]] = []
    for (name, asset, _, profile), result in zip(sampled, _classify(engine, sampled, rule_set), strict=True):
        try:
            if isinstance(result, Exception):
                raise result
            columns = {c.column: c for c in result.columns}
            table = _table(asset, scan_id, columns, rule_set)
            table.properties["profile"] = _profile_summary(profile, columns)
            found = {column: [c.id for c in r.classifications] for column, r in columns.items() if r.classifications}
            tables.append((name, table, found))
        except Exception as exc:  # noqa: BLE001
            failed[name] = _failure(scan_id, name, exc)

    catalogued = _catalog(uow, catalog_access, row["workspace_id"], scan_id, tables, failed)
    events = []
    done = []
    for name, table, found in tables:
        if name not in catalogued:
            continue
        asset_id = catalogued[name]
        if found:
            data = {
                "scan_id": str(scan_id),
                "asset_id": str(asset_id),
                "qualified_name": name,
                "columns": found,
                "rule_set": {"id": rule_set.id, "version": rule_set.version},
            }
            events.append(("datawave.classification.suggested", row["workspace_id"], f"assets/{asset_id}", data))
        done.append((name, len(table.columns), found, asset_id))
    uow.outbox.add_many(events)
    state = service.record_assets(uow, scan_id, done=done, failed=failed)
    uow.commit()
    counts["done"] += len(done)
    counts["failed"] += len(failed)
    return {**counts, **state}


def _failure(scan_id: UUID, name: str, exc: Exception) -> str:
    log.info("scan asset failed", extra={"scan_id": str(scan_id), "asset": name, "error_type": type(exc).__name__})
    return _message(exc)


def _classify(
    engine: ClassificationEngine, sampled: list[tuple[str, DiscoveredAsset, AssetSample, AssetProfile]], rule_set: Any
) -> list[TableResult | Exception]:
    """Every sampled table classified in one engine call; if that fails, table by table (so only the
    table that cannot be classified fails)."""
    try:
        return list(engine.classify_tables([sample.as_mapping() for _, _, sample, _ in sampled], rule_set))
    except Exception:  # noqa: BLE001
        results: list[TableResult | Exception] = []
        for _, _, sample, _ in sampled:
            try:
                results.append(engine.classify_table(sample.as_mapping(), rule_set))
            except Exception as exc:  # noqa: BLE001
                results.append(exc)
        return results


def _catalog(
    uow: UnitOfWork,
    access: Any,
    workspace_id: UUID,
    scan_id: UUID,
    tables: list[tuple[str, DiscoveredTable, dict[str, Any]]],
    failed: dict[str, str],
) -> dict[str, UUID]:
    """Upsert the batch's tables into the catalog together; if that fails, table by table, each in a
    savepoint (so only the table the catalog refuses fails). Returns catalog asset ids by name."""
    if not tables:
        return {}
    try:
        with savepoint(uow.connection):
            upserted = catalog_assets.upsert_discovered_many(
                uow, access, workspace_id, [table for _, table, _ in tables], commit=False
            )
        return {name: done.row["id"] for (name, _, _), done in zip(tables, upserted, strict=True)}
    except Exception:  # noqa: BLE001 - find the culprit below
        pass
    out: dict[str, UUID] = {}
    for name, table, _ in tables:
        try:
            with savepoint(uow.connection):
                (done,) = catalog_assets.upsert_discovered_many(uow, access, workspace_id, [table], commit=False)
            out[name] = done.row["id"]
        except Exception as exc:  # noqa: BLE001
            failed[name] = _failure(scan_id, name, exc)
    return out
