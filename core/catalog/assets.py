"""Asset services: register assets, ingest what a scan found (idempotently), edit, read, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from core.auth.access import Access
from core.auth.conditions import ResourceAttributes, Sensitivity
from core.catalog import propagation, views
from core.catalog.model import (
    Asset,
    AssetCreate,
    AssetPatch,
    DiscoveredTable,
    SchemaChange,
    UpsertResult,
)
from core.catalog.names import QualifiedName, display_name, normalise_namespace, parents, validate
from core.errors import Conflict, InvalidInput, NotFound
from core.pagination import Page, decode_cursor, encode_cursor

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

Row = dict[str, Any]


class AssetTypeConflict(Conflict):
    code = "asset_type_conflict"


def ensure_asset(
    uow: UnitOfWork, workspace_id: UUID, asset_type: str, qn: QualifiedName, actor: str
) -> tuple[Row, bool]:
    """The asset named ``qn`` (and its parents), created when missing: same name, same asset."""
    parent: Row | None = None
    root: Row | None = None
    for ptype, pname in [*parents(asset_type, qn), (asset_type, qn.name)]:
        pqn = QualifiedName(qn.namespace, pname)
        row, created = uow.catalog.ensure(
            workspace_id,
            ptype,
            qn.namespace,
            pname,
            display_name=display_name(ptype, pqn),
            parent_id=parent["id"] if parent else None,
            data_source_id=root["id"] if root else None,
            actor=actor,
        )
        if row["type"] != ptype:
            raise AssetTypeConflict(f"{pqn} is already catalogued as a {row['type']}, not a {ptype}")
        if created:
            uow.catalog.refresh_search([row["id"]])
            uow.outbox.add(
                "datawave.catalog.asset.created",
                workspace_id=workspace_id,
                subject=f"assets/{row['id']}",
                data={"asset_id": str(row["id"]), "type": ptype, "qualified_name": str(pqn)},
            )
        root = root or row
        parent = row
    assert parent is not None
    return parent, created


def create_asset(uow: UnitOfWork, access: Access, workspace_id: UUID, command: AssetCreate) -> Asset:
    """Register an asset by hand (idempotent on its qualified name) and set what the command says."""
    access.require_workspace(workspace_id)
    qn = validate(command.type, normalise_namespace(command.namespace), command.name)
    row, created = ensure_asset(uow, workspace_id, command.type, qn, access.principal.subject)
    fields: dict[str, Any] = {}
    if command.description:
        fields["description"] = command.description
    if command.properties:
        fields["properties"] = command.properties
    if command.tags:
        fields["tags"] = sorted(set(command.tags))
    if command.data_type and command.type == "column":
        fields["data_type"] = command.data_type
    uow.catalog.update(row["id"], **fields)
    if command.owners:
        uow.catalog.set_owners(row["id"], workspace_id, command.owners)
    uow.catalog.refresh_search([row["id"]])
    _upserted_event(uow, workspace_id, row, created)
    _note(uow, workspace_id, row["id"], {"qualified_name": str(qn), "created": created})
    uow.commit()
    return views.asset(uow, _reload(uow, row["id"]))


def upsert_discovered(
    uow: UnitOfWork, access: Access, workspace_id: UUID, table: DiscoveredTable, *, commit: bool = True
) -> UpsertResult:
    """Record what a scan found in one table: same qualified name → same asset, columns added,
    removed (kept, marked removed) and retyped are written to the schema history, scan suggestions
    are refreshed while still suggested; a human decision is never overturned. Idempotent."""
    access.require_workspace(workspace_id)
    actor = access.principal.subject
    qn = validate(table.type, normalise_namespace(table.namespace), table.name)
    names = [c.name for c in table.columns]
    if len(set(names)) != len(names):
        raise InvalidInput("a column name appears twice", code="duplicate_column")
    row, created = ensure_asset(uow, workspace_id, table.type, qn, actor)
    fields: dict[str, Any] = {}
    if table.description is not None and table.description != row["description"]:
        fields["description"] = table.description
    if table.properties and table.properties != row["properties"]:
        fields["properties"] = {**row["properties"], **table.properties}
    uow.catalog.update(row["id"], **fields)

    existing = {c["name"]: c for c in uow.catalog.children(row["id"]) if c["type"] == "column"}
    changes: list[Row] = []
    touched = [row["id"]]

    def change(column: str, kind: str, old: str | None, new: str | None) -> None:
        if not created:
            changes.append(
                uow.catalog.add_schema_change(workspace_id, row["id"], column, kind, old, new, table.scan_id)
            )

    for ordinal, column in enumerate(table.columns):
        cqn = QualifiedName(qn.namespace, f"{qn.name}#{column.name}")
        validate("column", qn.namespace, cqn.name)
        current = existing.pop(cqn.name, None)
        if current is None:
            current, _ = uow.catalog.ensure(
                workspace_id,
                "column",
                qn.namespace,
                cqn.name,
                display_name=column.name,
                parent_id=row["id"],
                data_source_id=row["data_source_id"],
                actor=actor,
            )
            uow.catalog.update(
                current["id"], data_type=column.data_type, ordinal=ordinal, description=column.description or ""
            )
            change(column.name, "column_added", None, column.data_type)
        else:
            updates: dict[str, Any] = {}
            if current["removed_at"] is not None:
                updates["removed_at"] = None
                change(column.name, "column_added", None, column.data_type)
            elif column.data_type != current["data_type"]:
                change(column.name, "type_changed", current["data_type"], column.data_type)
            if column.data_type != current["data_type"]:
                updates["data_type"] = column.data_type
            if ordinal != current["ordinal"]:
                updates["ordinal"] = ordinal
            if column.description is not None and column.description != current["description"]:
                updates["description"] = column.description
            uow.catalog.update(current["id"], **updates)
        for result in column.classifications:
            uow.catalog.upsert_suggestion(workspace_id, current["id"], result, actor)
        uow.catalog.drop_stale_suggestions(current["id"], [r.classification_id for r in column.classifications])
        touched.append(current["id"])
    for gone in existing.values():
        if gone["type"] == "column" and gone["removed_at"] is None:
            uow.catalog.update(gone["id"], removed_at=_now(uow))
            change(gone["display_name"], "column_removed", gone["data_type"], None)
            touched.append(gone["id"])
    uow.catalog.refresh_search(touched)
    _upserted_event(uow, workspace_id, row, created, scan_id=table.scan_id, columns=len(table.columns))
    if changes:
        uow.outbox.add(
            "datawave.catalog.schema.changed",
            workspace_id=workspace_id,
            subject=f"assets/{row['id']}",
            data={
                "asset_id": str(row["id"]),
                "scan_id": table.scan_id,
                "changes": [{k: c[k] for k in ("column_name", "change", "old_type", "new_type")} for c in changes],
            },
        )
    _note(uow, workspace_id, row["id"], {"qualified_name": str(qn), "scan_id": table.scan_id})
    if commit:
        uow.commit()
    return UpsertResult(
        asset=views.asset(uow, _reload(uow, row["id"])),
        created=created,
        schema_changes=[SchemaChange.model_validate(c) for c in changes],
    )


def get_asset(uow: UnitOfWork, access: Access, asset_id: UUID) -> Asset:
    return views.asset(uow, load(uow, access, asset_id))


def load(uow: UnitOfWork, access: Access, asset_id: UUID) -> Row:
    """The asset row if the caller may reach it: 404 outside its workspaces, 403 above its clearance."""
    row = uow.catalog.get(access.scope, asset_id)
    if row is None:
        raise NotFound("asset not found")
    if row["sensitivity"]:
        access.require_resource(row["workspace_id"], ResourceAttributes(sensitivity=Sensitivity(row["sensitivity"])))
    return row


def update_asset(uow: UnitOfWork, access: Access, asset_id: UUID, command: AssetPatch) -> Asset:
    row = load(uow, access, asset_id)
    fields: dict[str, Any] = {}
    if command.description is not None:
        fields["description"] = command.description
    if command.properties is not None:
        fields["properties"] = command.properties
    if command.tags is not None:
        fields["tags"] = sorted(set(command.tags))
    uow.catalog.update(asset_id, **fields)
    if command.owners is not None:
        uow.catalog.set_owners(asset_id, row["workspace_id"], command.owners)
    uow.catalog.refresh_search([asset_id])
    _upserted_event(uow, row["workspace_id"], row, False)
    _note(uow, row["workspace_id"], asset_id, command.model_dump(mode="json", exclude_none=True))
    uow.commit()
    return views.asset(uow, _reload(uow, asset_id))


def delete_asset(uow: UnitOfWork, access: Access, asset_id: UUID) -> None:
    """Delete an asset with its children, classifications and lineage; what its classifications
    propagated, and what flowed through it, is recomputed."""
    row = load(uow, access, asset_id)
    subtree = uow.catalog.subtree_ids(asset_id)
    origins = uow.lineage.origins_upstream_of(subtree)
    uow.catalog.delete(asset_id)
    propagation.propagate(uow, [o for o in origins if o not in set(_origins_in(uow, subtree))])
    uow.outbox.add(
        "datawave.catalog.asset.deleted",
        workspace_id=row["workspace_id"],
        subject=f"assets/{asset_id}",
        data={
            "asset_id": str(asset_id),
            "qualified_name": str(QualifiedName(row["namespace"], row["name"])),
            "deleted_assets": len(subtree),
        },
    )
    _note(uow, row["workspace_id"], asset_id, {"deleted_assets": len(subtree)})
    uow.commit()


def schema_changes(
    uow: UnitOfWork, access: Access, asset_id: UUID, cursor: str | None, limit: int
) -> Page[SchemaChange]:
    load(uow, access, asset_id)
    key = decode_cursor(cursor, 1)
    rows = uow.catalog.schema_changes(asset_id, int(key[0]) if key else None, limit + 1)
    next_cursor = encode_cursor([rows[limit - 1]["id"]]) if len(rows) > limit else None
    return Page[SchemaChange](items=[SchemaChange.model_validate(r) for r in rows[:limit]], next_cursor=next_cursor)


def _origins_in(uow: UnitOfWork, asset_ids: list[UUID]) -> list[UUID]:
    rows = uow.connection.execute(
        "SELECT id FROM catalog_classifications WHERE asset_id = ANY(%s) AND origin_id IS NULL", (asset_ids,)
    ).fetchall()
    return [r["id"] for r in rows]


def _now(uow: UnitOfWork) -> Any:
    return uow.connection.execute("SELECT now() AS now").fetchone()["now"]


def _reload(uow: UnitOfWork, asset_id: UUID) -> Row:
    rows = uow.catalog.get_many([asset_id])
    if not rows:
        raise NotFound("asset not found")
    return rows[0]


def _upserted_event(uow: UnitOfWork, workspace_id: UUID, row: Row, created: bool, **extra: Any) -> None:
    uow.outbox.add(
        "datawave.catalog.asset.upserted",
        workspace_id=workspace_id,
        subject=f"assets/{row['id']}",
        data={
            "asset_id": str(row["id"]),
            "type": row["type"],
            "qualified_name": str(QualifiedName(row["namespace"], row["name"])),
            "created": created,
            **extra,
        },
    )


def _note(uow: UnitOfWork, workspace_id: UUID, asset_id: UUID, change: dict[str, Any]) -> None:
    uow.audit_note.workspace_id = workspace_id
    uow.audit_note.target = f"catalog/assets/{asset_id}"
    uow.audit_note.change = change
