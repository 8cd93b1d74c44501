"""The business glossary: terms with definitions, a hierarchy, synonyms, owners and a status,
linked to assets (linked terms are searchable on the asset)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.auth.access import Access
from core.catalog import assets
from core.catalog.model import Owner, TermStatus
from core.errors import InvalidInput, NotFound
from core.pagination import Page, decode_cursor, encode_cursor, page_of

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork


class TermCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Customer",
                    "definition": "A person or company that bought from us in the last 3 years.",
                    "synonyms": ["client", "buyer"],
                    "owners": [{"principal_id": "alice", "role": "steward"}],
                    "status": "approved",
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    definition: str = Field("", max_length=10_000)
    parent_id: UUID | None = None
    synonyms: list[str] = Field(default_factory=list, max_length=50)
    owners: list[Owner] = Field(default_factory=list, max_length=50)
    status: TermStatus = "draft"


class TermPatch(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"status": "deprecated", "synonyms": ["client"]}]}
    )

    name: str | None = Field(None, min_length=1, max_length=200)
    definition: str | None = Field(None, max_length=10_000)
    parent_id: UUID | None = None
    synonyms: list[str] | None = Field(None, max_length=50)
    owners: list[Owner] | None = Field(None, max_length=50)
    status: TermStatus | None = None

    @field_validator("name", "definition", "synonyms", "owners", "status")
    @classmethod
    def _omit_rather_than_null(cls, value: Any) -> Any:
        # Omitted means unchanged; an explicit null would be written as is (a NULL name or owners
        # row breaks every later read of the term). Only parent_id may be cleared with null.
        if value is None:
            raise ValueError("omit the field to keep its value; null is not allowed")
        return value


class Term(BaseModel):
    id: UUID
    workspace_id: UUID
    name: str
    definition: str
    parent_id: UUID | None
    synonyms: list[str]
    owners: list[Owner]
    status: TermStatus
    created_by: str
    created_at: datetime
    updated_at: datetime


def create_term(uow: UnitOfWork, access: Access, workspace_id: UUID, command: TermCreate) -> Term:
    access.require_workspace(workspace_id)
    if command.parent_id is not None:
        _load(uow, access, command.parent_id, workspace_id)
    values = command.model_dump(mode="json")
    values["parent_id"] = command.parent_id
    row = uow.glossary.add(workspace_id, values, access.principal.subject)
    _event(uow, "created", row)
    uow.commit()
    return Term.model_validate(row)


def update_term(uow: UnitOfWork, access: Access, term_id: UUID, command: TermPatch) -> Term:
    row = _load(uow, access, term_id)
    values: dict[str, Any] = command.model_dump(mode="json", exclude_unset=True)
    if "parent_id" in values:
        values["parent_id"] = command.parent_id
        if command.parent_id is not None:
            _load(uow, access, command.parent_id, row["workspace_id"])
            if term_id in uow.glossary.ancestors(command.parent_id):
                raise InvalidInput("a term cannot be its own ancestor", code="term_cycle")
    if values:
        row = uow.glossary.update(term_id, values)
        uow.catalog.refresh_search(uow.glossary.linked_assets(term_id))
    _event(uow, "updated", row)
    uow.commit()
    return Term.model_validate(row)


def get_term(uow: UnitOfWork, access: Access, term_id: UUID) -> Term:
    return Term.model_validate(_load(uow, access, term_id))


def list_terms(uow: UnitOfWork, access: Access, workspace_id: UUID, cursor: str | None, limit: int) -> Page[Term]:
    access.require_workspace(workspace_id)
    key = decode_cursor(cursor, 1)
    rows = uow.glossary.list(workspace_id, str(key[0]) if key else None, limit + 1)
    rows, next_cursor = page_of(rows, limit, lambda r: encode_cursor([r["name"].lower()]))
    return Page[Term](items=[Term.model_validate(r) for r in rows], next_cursor=next_cursor)


def link_term(uow: UnitOfWork, access: Access, asset_id: UUID, term_id: UUID, *, linked: bool = True) -> None:
    """Link (or unlink) a glossary term and an asset of the same workspace."""
    asset = assets.load(uow, access, asset_id)
    access.require_workspace(asset["workspace_id"])
    _load(uow, access, term_id, asset["workspace_id"])
    if linked:
        uow.glossary.link(asset_id, term_id, asset["workspace_id"], access.principal.subject)
    else:
        uow.glossary.unlink(asset_id, term_id)
    uow.catalog.refresh_search([asset_id])
    uow.outbox.add(
        "datawave.glossary.term." + ("linked" if linked else "unlinked"),
        workspace_id=asset["workspace_id"],
        subject=f"assets/{asset_id}",
        data={"asset_id": str(asset_id), "term_id": str(term_id)},
    )
    uow.audit_note.workspace_id = asset["workspace_id"]
    uow.audit_note.target = f"catalog/assets/{asset_id}/terms/{term_id}"
    uow.commit()


def _load(uow: UnitOfWork, access: Access, term_id: UUID, workspace_id: UUID | None = None) -> dict[str, Any]:
    row = uow.glossary.get(access.scope, term_id)
    if row is None or (workspace_id is not None and row["workspace_id"] != workspace_id):
        raise NotFound("glossary term not found")
    return row


def _event(uow: UnitOfWork, kind: str, row: dict[str, Any]) -> None:
    uow.outbox.add(
        f"datawave.glossary.term.{kind}",
        workspace_id=row["workspace_id"],
        subject=f"glossary/terms/{row['id']}",
        data={"term_id": str(row["id"]), "name": row["name"], "status": row["status"]},
    )
    uow.audit_note.workspace_id = row["workspace_id"]
    uow.audit_note.target = f"glossary/terms/{row['id']}"
