"""Per-workspace quotas (data sources, concurrent scans) and the check other domains call.

Quota values are stored per workspace (defaults from settings until someone sets them). Usage is
owned by the domain that creates the resources, so the check takes a callable that counts it:

    ensure_within_quota(uow, workspace_id, QuotaKind.DATA_SOURCES, lambda: uow.datasources.count(ws))

The check locks the workspace row first, so two concurrent creations in one workspace cannot both
pass a quota that has room for only one of them (the count runs after the lock, in the caller's
transaction, and the lock holds until it commits).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

import psycopg
from pydantic import BaseModel, ConfigDict, Field

from core.auth.access import Access
from core.errors import Conflict, NotFound
from core.settings import get_settings

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork


class QuotaKind(StrEnum):
    DATA_SOURCES = "data_sources"
    CONCURRENT_SCANS = "concurrent_scans"


class QuotaExceeded(Conflict):
    code = "quota_exceeded"


class QuotasSet(BaseModel):
    """New quota values for a workspace."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"max_data_sources": 100, "max_concurrent_scans": 10}]}
    )

    max_data_sources: int = Field(ge=0, le=100_000)
    max_concurrent_scans: int = Field(ge=0, le=1_000)


class Quotas(BaseModel):
    workspace_id: UUID
    max_data_sources: int
    max_concurrent_scans: int
    is_default: bool = Field(description="True while the workspace uses the platform defaults.")
    updated_by: str | None = None
    updated_at: datetime | None = None

    def limit(self, kind: QuotaKind) -> int:
        return self.max_data_sources if kind is QuotaKind.DATA_SOURCES else self.max_concurrent_scans


class QuotaRepository:
    def __init__(self, connection: psycopg.Connection) -> None:
        self._conn = connection

    def get(self, workspace_id: UUID) -> Quotas:
        row = self._conn.execute(
            "SELECT workspace_id, max_data_sources, max_concurrent_scans, updated_by, updated_at"
            " FROM workspace_quotas WHERE workspace_id = %s",
            (workspace_id,),
        ).fetchone()
        if row is None:
            settings = get_settings()
            return Quotas(
                workspace_id=workspace_id,
                max_data_sources=settings.quota_default_data_sources,
                max_concurrent_scans=settings.quota_default_concurrent_scans,
                is_default=True,
            )
        return Quotas.model_validate({**row, "is_default": False})

    def set(self, workspace_id: UUID, values: QuotasSet, by: str) -> None:
        self._conn.execute(
            "INSERT INTO workspace_quotas (workspace_id, max_data_sources, max_concurrent_scans, updated_by)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (workspace_id) DO UPDATE SET"
            " max_data_sources = EXCLUDED.max_data_sources, max_concurrent_scans = EXCLUDED.max_concurrent_scans,"
            " updated_by = EXCLUDED.updated_by, updated_at = now()",
            (workspace_id, values.max_data_sources, values.max_concurrent_scans, by),
        )

    def lock_workspace(self, workspace_id: UUID) -> bool:
        return (
            self._conn.execute("SELECT 1 FROM workspaces WHERE id = %s FOR NO KEY UPDATE", (workspace_id,)).fetchone()
            is not None
        )


def ensure_within_quota(
    uow: UnitOfWork, workspace_id: UUID, kind: QuotaKind, in_use: Callable[[], int], adding: int = 1
) -> None:
    """Raise ``QuotaExceeded`` (409 ``quota_exceeded``) unless ``adding`` more fit under the quota.

    Call it inside the transaction that creates the resources, before creating them.
    """
    if not uow.quotas.lock_workspace(workspace_id):
        raise NotFound("workspace not found")
    limit = uow.quotas.get(workspace_id).limit(kind)
    used = in_use()
    if used + adding > limit:
        raise QuotaExceeded(
            f"workspace quota for {kind.value} is {limit}; {used} in use",
            details={"quota": kind.value, "limit": limit, "in_use": used, "requested": adding},
        )


def get_quotas(uow: UnitOfWork, access: Access, workspace_id: UUID) -> Quotas:
    """The workspace's quotas (404 outside the caller's scope)."""
    if uow.workspaces.get(access.scope, workspace_id) is None:
        access.require_workspace(workspace_id)
        raise NotFound("workspace not found")
    return uow.quotas.get(workspace_id)


def set_quotas(uow: UnitOfWork, access: Access, workspace_id: UUID, values: QuotasSet) -> Quotas:
    """Replace the workspace's quotas."""
    if uow.workspaces.get(access.scope, workspace_id) is None:
        access.require_workspace(workspace_id)
        raise NotFound("workspace not found")
    uow.quotas.set(workspace_id, values, access.principal.subject)
    uow.audit_note.workspace_id = workspace_id
    uow.audit_note.change = values.model_dump()
    uow.commit()
    return uow.quotas.get(workspace_id)
