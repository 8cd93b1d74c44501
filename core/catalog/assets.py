"""Asset services: register assets, ingest what a scan found (idempotently), edit, read, delete."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from core.auth.access import Access
from core.auth.conditions import ResourceAttributes, Sensitivity
from core.catalog import propagation, views
from core.catalog.model import (
    Asset,
    AssetCreate,
    AssetPatch,
    DiscoveredClassification,
    DiscoveredTable,
    SchemaChange,
    UpsertResult,
)
from core.catalog.names import QualifiedName, display_name, normalise_namespace, parents, validate, validate_columns
from core.errors import Conflict, InvalidInput, NotFound
from core.pagination import Page, decode_typed_cursor, encode_cursor

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

Row = dict[str, Any]


class AssetTypeConflict(Conflict):
    code = "asset_type_conflict"


# A PostgreSQL relation is a table or a view. OpenLineage names it without saying which (lineage
# records it as a table until a scan finds it is a view).
RELATIONS = frozenset({"table", "view"})


def ensure_asset(
    uow: UnitOfWork,
    workspace_id: UUID,
    asset_type: str,
    qn: QualifiedName,
    actor: str,
    *,
    any_relation: bool = False,
) -> tuple[Row, bool]:
    """The asset named ``qn`` (and its parents), created when missing: same name, same asset. A
    relation asked for as a table may already be a view when it is a parent (a column's table) or
    with ``any_relation`` (an OpenLineage dataset)."""
    parent: Row | None = None
    root: Row | None = None
    chain = [*parents(asset_type, qn), (asset_type, qn.name)]
    for level, (ptype, pname) in enumerate(chain):
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
        # A parent's type is inferred from the name ("table" for a column's relation); the asset's own
        # type was asked for, and only ``any_relation`` lets a view answer for a table.
        either = {row["type"], ptype} <= RELATIONS and (any_relation or level < len(chain) - 1)
        if row["type"] != ptype and not either:
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


@dataclass
class Upserted:
    """What ``upsert_discovered_many`` did to one table: its catalog row (as before this upsert's own
    changes to it), whether it was created, and the schema changes it recorded."""

    row: Row
    created: bool
    schema_changes: list[Row]


def upsert_discovered(
    uow: UnitOfWork, access: Access, workspace_id: UUID, table: DiscoveredTable, *, commit: bool = True
) -> UpsertResult:
    """Record what a scan found in one table: same qualified name → same asset, columns added,
    removed (kept, marked removed) and retyped are written to the schema history, scan suggestions
    are refreshed while still suggested; a human decision is never overturned. Idempotent.

    The suggestions raise ``datawave.classification.suggested`` (no ``scan_id`` in its data: the
    table did not come from a DataWave scan, whose saga raises its own per batch and re-evaluates
    once at its end), so compliance re-evaluates the table at once."""
    (done,) = upsert_discovered_many(uow, access, workspace_id, [table], commit=False)
    found = {c.name: [r.classification_id for r in c.classifications] for c in table.columns if c.classifications}
    if found:
        uow.outbox.add(
            "datawave.classification.suggested",
            workspace_id=workspace_id,
            subject=f"assets/{done.row['id']}",
            data={
                "asset_id": str(done.row["id"]),
                "qualified_name": str(QualifiedName(done.row["namespace"], done.row["name"])),
                "columns": found,
            },
        )
    if commit:
        uow.commit()
    return UpsertResult(
        asset=views.asset(uow, _reload(uow, done.row["id"])),
        created=done.created,
        schema_changes=[SchemaChange.model_validate(c) for c in done.schema_changes],
    )


def upsert_discovered_many(
    uow: UnitOfWork, access: Access, workspace_id: UUID, tables: Sequence[DiscoveredTable], *, commit: bool = True
) -> list[Upserted]:
    """``upsert_discovered`` for several tables with a fixed number of set-based statements (a scan
    records a batch of tables at once); the same rows, schema history and events as upserting the
    tables one after the other. Tables must have distinct qualified names. All or nothing: an error
    in one table (a bad name, a type conflict) fails the call."""
    access.require_workspace(workspace_id)
    actor = access.principal.subject
    names: list[QualifiedName] = []
    for table in tables:
        qn = validate(table.type, normalise_namespace(table.namespace), table.name)
        columns = [c.name for c in table.columns]
        if len(set(columns)) != len(columns):
            raise InvalidInput("a column name appears twice", code="duplicate_column")
        validate_columns(qn, columns)
        names.append(qn)
    if len({(qn.namespace, qn.name) for qn in names}) != len(names):
        raise InvalidInput("a table appears twice", code="duplicate_asset")

    rows, created, new_by_table = _ensure_datasets(uow, workspace_id, tables, names, actor)
    events: list[tuple[str, UUID | None, str | None, dict[str, Any]]] = []
    dataset_updates: list[tuple[UUID, dict[str, Any] | None, str | None]] = []
    for table, row in zip(tables, rows, strict=True):
        properties = None
        if table.properties and table.properties != row["properties"]:
            properties = {**row["properties"], **table.properties}
        description = table.description if table.description not in (None, row["description"]) else None
        if properties is not None or description is not None:
            dataset_updates.append((row["id"], properties, description))
    uow.catalog.update_datasets(dataset_updates)

    existing_by_table = uow.catalog.children_of([row["id"] for row in rows])
    inserts: list[Row] = []
    updates: list[Row] = []
    removed: list[UUID] = []
    changes: list[Row] = []
    results: list[tuple[tuple[str, str], dict[str, DiscoveredClassification]]] = []  # per column (namespace, name)
    # Rows inserted here carry their search columns already; rows that existed need refresh_search.
    touched: list[UUID] = []
    for table, qn, row, is_new in zip(tables, names, rows, created, strict=True):
        existing = {c["name"]: c for c in existing_by_table.get(row["id"], []) if c["type"] == "column"}

        def change(column: str, kind: str, old: str | None, new: str | None) -> None:
            if not is_new:  # noqa: B023 - called within this iteration only
                changes.append(_change(row["id"], column, kind, old, new, table.scan_id))  # noqa: B023

        if not is_new:
            touched.append(row["id"])
        for ordinal, column in enumerate(table.columns):
            name = f"{qn.name}#{column.name}"
            current = existing.pop(name, None)
            latest = {r.classification_id: r for r in column.classifications}  # a repeated id: the last wins
            results.append(((qn.namespace, name), latest))
            if current is None:
                inserts.append(
                    {
                        "namespace": qn.namespace,
                        "name": name,
                        "display_name": column.name,
                        "parent_id": row["id"],
                        "data_source_id": row["data_source_id"],
                        "data_type": column.data_type,
                        "ordinal": ordinal,
                        "description": column.description or "",
                        "suggested": [(cid, str(r.sensitivity)) for cid, r in latest.items()],
                    }
                )
                change(column.name, "column_added", None, column.data_type)
            else:
                revive = current["removed_at"] is not None
                if revive:
                    change(column.name, "column_added", None, column.data_type)
                elif column.data_type != current["data_type"]:
                    change(column.name, "type_changed", current["data_type"], column.data_type)
                description = column.description if column.description != current["description"] else None
                if (
                    revive
                    or column.data_type != current["data_type"]
                    or ordinal != current["ordinal"]
                    or description is not None
                ):
                    updates.append(
                        {
                            "id": current["id"],
                            "revive": revive,
                            "data_type": column.data_type,
                            "ordinal": ordinal,
                            "description": description,
                        }
                    )
                touched.append(current["id"])
        for gone in existing.values():
            if gone["removed_at"] is None:
                removed.append(gone["id"])
                change(gone["display_name"], "column_removed", gone["data_type"], None)
                touched.append(gone["id"])

    inserted: dict[tuple[str, str], UUID] = {}
    fresh: set[UUID] = set()  # columns created by this call: they have no earlier suggestions to drop
    for column_row in uow.catalog.insert_columns(workspace_id, inserts, actor):
        inserted[(column_row["namespace"], column_row["name"])] = column_row["id"]
        if column_row["inserted"]:
            fresh.add(column_row["id"])
        else:  # it existed (elsewhere in the tree): its search columns are stale
            touched.append(column_row["id"])
    uow.catalog.update_columns(updates)
    uow.catalog.mark_removed(removed)
    column_ids: list[UUID] = []
    written: list[tuple[UUID, Any]] = []
    keep: list[tuple[UUID, str]] = []
    ids_by_name = {(row["namespace"], c["name"]): c["id"] for row in rows for c in existing_by_table.get(row["id"], [])}
    ids_by_name.update(inserted)
    for key, latest in results:
        column_id = ids_by_name[key]
        column_ids.append(column_id)
        written.extend((column_id, r) for r in latest.values())
        keep.extend((column_id, cid) for cid in latest)
    uow.catalog.upsert_suggestions(workspace_id, written, actor)
    # Only a column that existed before this call can hold a suggestion this scan no longer makes.
    uow.catalog.drop_stale_suggestions_of([c for c in column_ids if c not in fresh], keep)
    recorded = uow.catalog.add_schema_changes(workspace_id, changes)
    uow.catalog.refresh_search(touched)

    changes_by_table: dict[UUID, list[Row]] = {}
    for c in recorded:
        changes_by_table.setdefault(c["asset_id"], []).append(c)
    out: list[Upserted] = []
    for table, qn, row, is_new, new_rows in zip(tables, names, rows, created, new_by_table, strict=True):
        events.extend(_created_event(workspace_id, r) for r in new_rows)
        events.append(_upserted_data(workspace_id, row, is_new, scan_id=table.scan_id, columns=len(table.columns)))
        table_changes = changes_by_table.get(row["id"], [])
        if table_changes:
            events.append(
                (
                    "datawave.catalog.schema.changed",
                    workspace_id,
                    f"assets/{row['id']}",
                    {
                        "asset_id": str(row["id"]),
                        "scan_id": table.scan_id,
                        "changes": [
                            {k: c[k] for k in ("column_name", "change", "old_type", "new_type")} for c in table_changes
                        ],
                    },
                )
            )
        _note(uow, workspace_id, row["id"], {"qualified_name": str(qn), "scan_id": table.scan_id})
        out.append(Upserted(row=row, created=is_new, schema_changes=table_changes))
    uow.outbox.add_many(events)
    if commit:
        uow.commit()
    return out


def _change(asset_id: UUID, column: str, kind: str, old: str | None, new: str | None, scan_id: str | None) -> Row:
    return {
        "asset_id": asset_id,
        "column_name": column,
        "change": kind,
        "old_type": old,
        "new_type": new,
        "scan_id": scan_id,
    }


def _ensure_datasets(
    uow: UnitOfWork, workspace_id: UUID, tables: Sequence[DiscoveredTable], names: list[QualifiedName], actor: str
) -> tuple[list[Row], list[bool], list[list[Row]]]:
    """``ensure_asset`` for every table (and its parents) level by level: per table its row, whether
    it was created, and the rows (parents first) its upsert created — a parent shared by several
    tables counts for the first of them."""
    chains = [[*parents(t.type, qn), (t.type, qn.name)] for t, qn in zip(tables, names, strict=True)]
    resolved: dict[tuple[str, str], tuple[Row, bool]] = {}
    first_of: dict[tuple[str, str], int] = {}
    for level in range(max((len(c) for c in chains), default=0)):
        wanted: dict[tuple[str, str], Row] = {}
        for index, (table, qn, chain) in enumerate(zip(tables, names, chains, strict=True)):
            if level >= len(chain):
                continue
            ptype, pname = chain[level]
            key = (qn.namespace, pname)
            if key in resolved or key in wanted:
                continue
            parent = resolved[(qn.namespace, chain[level - 1][1])][0] if level else None
            root = resolved[(qn.namespace, chain[0][1])][0] if level else None
            wanted[key] = {
                "type": ptype,
                "namespace": qn.namespace,
                "name": pname,
                "display_name": display_name(ptype, QualifiedName(qn.namespace, pname)),
                "parent_id": parent["id"] if parent else None,
                "data_source_id": root["id"] if root else None,
            }
            if level == len(chain) - 1:  # the table itself: inserted with what the scan says about it
                wanted[key].update(properties=table.properties, description=table.description or "")
            first_of[key] = index
        for (key, asked), (row, created) in zip(
            wanted.items(), uow.catalog.ensure_many(workspace_id, list(wanted.values()), actor), strict=True
        ):
            if (row["type"], asked["type"]) == ("table", "view"):
                # "table" is what lineage records for any relation; the scan knows it is a view. (A view
                # scanned as a table stays a conflict: "view" was said by someone who knew.)
                uow.catalog.update(row["id"], type="view")
                row = {**row, "type": asked["type"]}
            if row["type"] != asked["type"]:
                pqn = QualifiedName(key[0], key[1])
                raise AssetTypeConflict(f"{pqn} is already catalogued as a {row['type']}, not a {asked['type']}")
            resolved[key] = (row, created)
    rows: list[Row] = []
    created: list[bool] = []
    new_by_table: list[list[Row]] = [[] for _ in tables]
    for index, (qn, chain) in enumerate(zip(names, chains, strict=True)):
        for _, pname in chain:
            key = (qn.namespace, pname)
            row, was_created = resolved[key]
            if was_created and first_of[key] == index:
                new_by_table[index].append(row)
        row, was_created = resolved[(qn.namespace, chain[-1][1])]
        rows.append(row)
        created.append(was_created)
    return rows, created, new_by_table


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
    own = set(_origins_in(uow, subtree))
    upstream = [o for o in uow.lineage.origins_upstream_of(subtree) if o not in own]
    propagation.unpropagate(uow, list(own))  # before the cascade: events and search columns downstream
    uow.catalog.delete(asset_id)
    propagation.propagate(uow, upstream)
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
    key = decode_typed_cursor(cursor, int)
    rows = uow.catalog.schema_changes(asset_id, key[0] if key else None, limit + 1)
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
    event_type, _, subject, data = _upserted_data(workspace_id, row, created, **extra)
    uow.outbox.add(event_type, workspace_id=workspace_id, subject=subject, data=data)


Event = tuple[str, UUID | None, str | None, dict[str, Any]]


def _asset_event(event_type: str, workspace_id: UUID, row: Row, **data: Any) -> Event:
    """An outbox entry about one catalog asset: its id, type and qualified name, plus ``data``."""
    return (
        event_type,
        workspace_id,
        f"assets/{row['id']}",
        {
            "asset_id": str(row["id"]),
            "type": row["type"],
            "qualified_name": str(QualifiedName(row["namespace"], row["name"])),
            **data,
        },
    )


def _upserted_data(workspace_id: UUID, row: Row, created: bool, **extra: Any) -> Event:
    return _asset_event("datawave.catalog.asset.upserted", workspace_id, row, created=created, **extra)


def _created_event(workspace_id: UUID, row: Row) -> Event:
    return _asset_event("datawave.catalog.asset.created", workspace_id, row)


def _note(uow: UnitOfWork, workspace_id: UUID, asset_id: UUID, change: dict[str, Any]) -> None:
    uow.audit_note.workspace_id = workspace_id
    uow.audit_note.target = f"catalog/assets/{asset_id}"
    uow.audit_note.change = change
