"""Lineage: table- and column-level edges from OpenLineage RunEvents and from people; graphs,
impact analysis, and the propagation every edge change triggers."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from core.auth.access import Access
from core.catalog import assets, propagation, views
from core.catalog.model import AssetSummary, Classification, Owner
from core.catalog.names import DATASET_TYPES, QualifiedName, parse_dataset, validate
from core.catalog.openlineage import RunEvent, column_lineage, schema_fields
from core.errors import DomainError, InvalidInput, NotFound

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

Row = dict[str, Any]
MAX_NODES = 1000


class Edge(BaseModel):
    id: UUID
    workspace_id: UUID
    source_id: UUID
    target_id: UUID
    level: Literal["table", "column"]
    blocks_propagation: bool
    origin: Literal["openlineage", "manual"]
    job_namespace: str | None
    job_name: str | None
    run_id: str | None
    transformation: str | None
    created_by: str
    created_at: datetime


class EdgeCreate(BaseModel):
    """A lineage edge recorded by hand: both ends are tables/views/file sets, or both are columns."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "source_id": "3f1c1d7e-8a59-4a53-9d0e-4cf2f3c0f6a1",
                    "target_id": "9b2e4c1a-1d3f-4e5a-8b7c-6d5e4f3a2b1c",
                    "blocks_propagation": False,
                    "transformation": "nightly copy",
                }
            ]
        },
    )

    source_id: UUID
    target_id: UUID
    blocks_propagation: bool = False
    transformation: str | None = Field(None, max_length=2000)


class EdgePatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"blocks_propagation": True}]})

    blocks_propagation: bool


class LineageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    direction: Literal["upstream", "downstream", "both"] = "both"
    depth: int = Field(3, ge=1, le=20)


class ImpactQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    depth: int = Field(10, ge=1, le=20)


class LineageGraph(BaseModel):
    root: AssetSummary
    nodes: list[AssetSummary]
    edges: list[Edge]
    truncated: bool = Field(description=f"more than {MAX_NODES} assets were reachable; the nearest are shown")


class ImpactItem(BaseModel):
    asset: AssetSummary
    depth: int
    owners: list[Owner]
    classifications: list[Classification]


class Impact(BaseModel):
    root: AssetSummary
    items: list[ImpactItem]
    truncated: bool


class IngestResult(BaseModel):
    events: int
    edges_added: int
    edges_seen: int
    assets_created: int


class SelfLoop(DomainError):
    status = 422
    code = "lineage_self_loop"


class CrossWorkspace(DomainError):
    status = 422
    code = "cross_workspace_lineage"


class LevelMismatch(DomainError):
    status = 422
    code = "lineage_level_mismatch"


class InvalidEvent(DomainError):
    status = 422
    code = "invalid_openlineage_event"


class WorkspaceRequired(DomainError):
    status = 422
    code = "workspace_required"


def level_of(asset_type: str) -> str | None:
    return "column" if asset_type == "column" else "table" if asset_type in DATASET_TYPES else None


# -- OpenLineage ---------------------------------------------------------------------------------
def default_workspace(access: Access) -> UUID:
    """The workspace of ``POST /v1/lineage``: the only one where the caller may write lineage."""
    if access.scope.everywhere or len(access.scope.ids) != 1:
        raise WorkspaceRequired(
            "the token may write lineage in several workspaces: post to /api/v1/workspaces/{workspace_id}/lineage"
        )
    return next(iter(access.scope.ids))


def record_events(uow: UnitOfWork, access: Access, workspace_id: UUID, events: list[RunEvent]) -> IngestResult:
    """Record the lineage of OpenLineage RunEvents. Every event is checked before anything is written:
    one invalid event rejects the whole batch, with the reasons."""
    access.require_workspace(workspace_id)
    plans, problems = [], []
    for index, event in enumerate(events):
        prefix = f"events[{index}]." if len(events) > 1 else ""
        plan, errs = _plan(event)
        problems += [{"field": prefix + field, "message": message} for field, message in errs]
        plans.append(plan)
    if problems:
        self_loop = all("self-loop" in p["message"] for p in problems)
        error = SelfLoop if self_loop else InvalidEvent
        raise error("the OpenLineage event is invalid: nothing was recorded", details=problems)

    actor = access.principal.subject
    created_assets = added = seen = 0
    sources: list[UUID] = []
    for event, plan in zip(events, plans, strict=True):
        ids: dict[tuple[str, str], UUID] = {}
        for asset_type, qn, columns in plan["datasets"]:
            row, created = assets.ensure_asset(uow, workspace_id, asset_type, qn, actor, any_relation=True)
            created_assets += created
            ids[(qn.namespace, qn.name)] = row["id"]
            for column, data_type in columns:
                col, col_created = assets.ensure_asset(
                    uow, workspace_id, "column", QualifiedName(qn.namespace, f"{qn.name}#{column}"), actor
                )
                created_assets += col_created
                if data_type and col["data_type"] is None:
                    uow.catalog.update(col["id"], data_type=data_type)
                ids[(qn.namespace, f"{qn.name}#{column}")] = col["id"]
        for source, target, level, transformation in plan["edges"]:
            row, created = uow.lineage.add_edge(
                workspace_id,
                ids[source],
                ids[target],
                level,
                origin="openlineage",
                actor=actor,
                job_namespace=event.job.namespace,
                job_name=event.job.name,
                run_id=str(event.run.runId),
                transformation=transformation,
            )
            seen += 1
            if created:
                added += 1
                sources.append(row["source_id"])
                _edge_event(uow, "added", row)
    if sources:
        propagation.propagate(uow, uow.lineage.origins_upstream_of(sources))
    uow.audit_note.workspace_id = workspace_id
    uow.audit_note.target = "lineage"
    uow.audit_note.change = {"runs": [str(e.run.runId) for e in events], "edges_added": added}
    uow.commit()
    return IngestResult(events=len(events), edges_added=added, edges_seen=seen, assets_created=created_assets)


def _plan(event: RunEvent) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """What an event will write (datasets with columns, edges), or why it cannot be written."""
    errors: list[tuple[str, str]] = []
    datasets: dict[tuple[str, str], list[Any]] = {}

    def dataset(path: str, namespace: str, name: str) -> tuple[str, str] | None:
        try:
            asset_type, qn = parse_dataset(namespace, name)
        except InvalidInput as exc:
            errors.append((path, exc.message))
            return None
        key = (qn.namespace, qn.name)
        datasets.setdefault(key, [asset_type, qn, {}])
        return key

    def column(path: str, key: tuple[str, str], field: str, data_type: str | None = None) -> tuple[str, str] | None:
        try:
            validate("column", key[0], f"{key[1]}#{field}")
        except InvalidInput as exc:
            errors.append((path, exc.message))
            return None
        columns = datasets[key][2]
        if columns.get(field) is None:
            columns[field] = data_type
        return (key[0], f"{key[1]}#{field}")

    edges: list[tuple[tuple[str, str], tuple[str, str], str, str | None]] = []
    inputs = []
    for i, ds in enumerate(event.inputs):
        key = dataset(f"inputs[{i}]", ds.namespace, ds.name)
        if key:
            inputs.append(key)
            for name, data_type in schema_fields(ds):
                column(f"inputs[{i}].facets.schema", key, name, data_type)
    for o, ds in enumerate(event.outputs):
        out = dataset(f"outputs[{o}]", ds.namespace, ds.name)
        if out is None:
            continue
        for name, data_type in schema_fields(ds):
            column(f"outputs[{o}].facets.schema", out, name, data_type)
        for key in inputs:
            if key == out:
                errors.append((f"outputs[{o}]", f"self-loop: {key[0]}/{key[1]} is both input and output"))
            else:
                edges.append((key, out, "table", None))
        col_edges, problems = column_lineage(ds)
        errors += [(f"outputs[{o}].{p.split(' ', 1)[0]}", p) for p in problems]
        for ns, name, field, out_field, transformations in col_edges:
            path = f"outputs[{o}].facets.columnLineage.fields.{out_field}"
            src_ds = dataset(path, ns, name)
            if src_ds is None:
                continue
            src = column(path, src_ds, field)
            dst = column(path, out, out_field)
            if src and dst:
                if src == dst:
                    errors.append((path, f"self-loop: column {field} feeds itself"))
                else:
                    text = json.dumps(transformations) if transformations else None
                    edges.append((src, dst, "column", text))
    plan = {
        "datasets": [(t, qn, list(cols.items())) for t, qn, cols in datasets.values()],
        "edges": edges,
    }
    return plan, errors


# -- manual edges ---------------------------------------------------------------------------------
def create_edge(uow: UnitOfWork, access: Access, workspace_id: UUID, command: EdgeCreate) -> Edge:
    access.require_workspace(workspace_id)
    if command.source_id == command.target_id:
        raise SelfLoop("an asset cannot be its own upstream")
    ends = [assets.load(uow, access, command.source_id), assets.load(uow, access, command.target_id)]
    if any(e["workspace_id"] != workspace_id for e in ends):
        raise CrossWorkspace("both ends of an edge must be assets of this workspace")
    levels = {level_of(e["type"]) for e in ends}
    if None in levels or len(levels) != 1:
        raise LevelMismatch("an edge joins two tables/views/file sets or two columns")
    row, created = uow.lineage.add_edge(
        workspace_id,
        command.source_id,
        command.target_id,
        levels.pop() or "table",
        origin="manual",
        actor=access.principal.subject,
        blocks_propagation=command.blocks_propagation,
        transformation=command.transformation,
    )
    if not created and row["blocks_propagation"] != command.blocks_propagation:
        row = uow.lineage.set_blocking(row["id"], command.blocks_propagation)
    if created:
        _edge_event(uow, "added", row)
    propagation.propagate(uow, uow.lineage.origins_upstream_of([command.source_id]))
    _note(uow, row)
    uow.commit()
    return Edge.model_validate(row)


def update_edge(uow: UnitOfWork, access: Access, edge_id: UUID, command: EdgePatch) -> Edge:
    row = _load_edge(uow, access, edge_id)
    row = uow.lineage.set_blocking(edge_id, command.blocks_propagation)
    propagation.propagate(uow, uow.lineage.origins_upstream_of([row["source_id"]]))
    _edge_event(uow, "updated", row)
    _note(uow, row)
    uow.commit()
    return Edge.model_validate(row)


def delete_edge(uow: UnitOfWork, access: Access, edge_id: UUID) -> None:
    row = _load_edge(uow, access, edge_id)
    uow.lineage.delete_edge(edge_id)
    propagation.propagate(uow, uow.lineage.origins_upstream_of([row["source_id"]]))
    _edge_event(uow, "removed", row)
    _note(uow, row)
    uow.commit()


def _load_edge(uow: UnitOfWork, access: Access, edge_id: UUID) -> Row:
    row = uow.lineage.get_edge(access.scope, edge_id)
    if row is None:
        raise NotFound("lineage edge not found")
    access.require_workspace(row["workspace_id"])
    return row


# -- reading --------------------------------------------------------------------------------------
def graph(uow: UnitOfWork, access: Access, asset_id: UUID, query: LineageQuery) -> LineageGraph:
    root = assets.load(uow, access, asset_id)
    level = _level(root)
    found: dict[UUID, int] = {}
    truncated = False
    directions = ["upstream", "downstream"] if query.direction == "both" else [query.direction]
    for direction in directions:
        rows = uow.lineage.walk(asset_id, level, direction, query.depth, MAX_NODES + 1)
        truncated = truncated or len(rows) > MAX_NODES
        for r in rows[:MAX_NODES]:
            found.setdefault(r["id"], r["depth"])
    ids = [asset_id, *found]
    nodes = [views.summary(r) for r in uow.catalog.get_many(list(found))]
    return LineageGraph(
        root=views.summary(root),
        nodes=sorted(nodes, key=lambda n: (found[n.id], n.qualified_name)),
        edges=[Edge.model_validate(e) for e in uow.lineage.edges_among(ids, level)],
        truncated=truncated,
    )


def impact(uow: UnitOfWork, access: Access, asset_id: UUID, query: ImpactQuery) -> Impact:
    """Every asset downstream of ``asset_id`` within ``depth`` hops, nearest first, with its owners
    and (not rejected) classifications."""
    root = assets.load(uow, access, asset_id)
    rows = uow.lineage.walk(asset_id, _level(root), "downstream", query.depth, MAX_NODES + 1)
    depth = {r["id"]: r["depth"] for r in rows[:MAX_NODES]}
    found = uow.catalog.get_many(list(depth))
    owners = uow.catalog.owners(list(depth))
    classes = uow.catalog.classifications(list(depth))
    items = [
        ImpactItem(
            asset=views.summary(r),
            depth=depth[r["id"]],
            owners=[Owner.model_validate(o) for o in owners.get(r["id"], [])],
            classifications=[views.classification(c) for c in classes.get(r["id"], []) if c["status"] != "rejected"],
        )
        for r in found
    ]
    items.sort(key=lambda i: (i.depth, i.asset.qualified_name))
    return Impact(root=views.summary(root), items=items, truncated=len(rows) > MAX_NODES)


def _level(root: Row) -> str:
    level = level_of(root["type"])
    if level is None:
        raise InvalidInput("lineage is recorded for tables, views, file sets and columns", code="lineage_not_supported")
    return level


def _edge_event(uow: UnitOfWork, kind: str, row: Row) -> None:
    uow.outbox.add(
        f"datawave.lineage.edge.{kind}",
        workspace_id=row["workspace_id"],
        subject=f"lineage/edges/{row['id']}",
        data={
            "edge_id": str(row["id"]),
            "source_id": str(row["source_id"]),
            "target_id": str(row["target_id"]),
            "level": row["level"],
            "blocks_propagation": row["blocks_propagation"],
            "origin": row["origin"],
        },
    )


def _note(uow: UnitOfWork, row: Row) -> None:
    uow.audit_note.workspace_id = row["workspace_id"]
    uow.audit_note.target = f"lineage/edges/{row['id']}"
    uow.audit_note.change = {
        "source_id": str(row["source_id"]),
        "target_id": str(row["target_id"]),
        "blocks_propagation": row["blocks_propagation"],
    }
