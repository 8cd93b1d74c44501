"""Data sources: registration, credentials, connection tests and lifecycle.

Credentials are write-only: they go to the secret store and no response carries them. Setting them
(on registration or with PUT .../credentials) needs ``datasources:credentials`` with MFA; DELETE
(retire + forget the credentials) needs ``datasources:delete`` with MFA.
"""

from __future__ import annotations

from uuid import UUID

import azure.durable_functions as df

from core.datasources import service
from core.datasources.model import (
    ConnectionTest,
    CredentialsSet,
    DataSource,
    DataSourceCreate,
    DataSourceListQuery,
    DataSourceUpdate,
    Transition,
    TransitionRequest,
)
from core.pagination import Page
from functions.api import Api, RequestContext

bp = df.Blueprint()
api = Api(bp, tag="datasources")

_BASE = "v1/workspaces/{workspace_id}/data-sources"
_ONE = _BASE + "/{data_source_id}"


@api.post(_BASE, permission="datasources:write", status=201)
def register_data_source(ctx: RequestContext, workspace_id: UUID, body: DataSourceCreate) -> DataSource:
    """Register a PostgreSQL, Azure Blob, ADLS Gen2 or local-folder source (state `discovered`)."""
    return service.register(ctx.uow, ctx.access, workspace_id, body)


@api.get(_BASE, permission="datasources:read")
def list_data_sources(ctx: RequestContext, workspace_id: UUID, query: DataSourceListQuery) -> Page[DataSource]:
    """The workspace's data sources, oldest first (filter by state or kind)."""
    return service.list_sources(ctx.uow, ctx.access, workspace_id, query)


@api.get(_ONE, permission="datasources:read")
def get_data_source(ctx: RequestContext, workspace_id: UUID, data_source_id: UUID) -> DataSource:
    """One data source (its credentials reference, never the credentials)."""
    return service.get(ctx.uow, ctx.access, workspace_id, data_source_id)


@api.patch(_ONE, permission="datasources:write")
def update_data_source(
    ctx: RequestContext, workspace_id: UUID, data_source_id: UUID, body: DataSourceUpdate
) -> DataSource:
    """Change the name, description or connection settings (the kind cannot change)."""
    return service.update(ctx.uow, ctx.access, workspace_id, data_source_id, body)


@api.put(_ONE + "/credentials", permission="datasources:credentials")
def set_data_source_credentials(
    ctx: RequestContext, workspace_id: UUID, data_source_id: UUID, body: CredentialsSet
) -> DataSource:
    """Set or rotate the credentials (stored in the secret store; the source keeps a kv:// reference)."""
    return service.set_credentials(ctx.uow, ctx.access, workspace_id, data_source_id, body.credentials)


@api.post(_ONE + "/test", permission="datasources:write")
def test_data_source_connection(ctx: RequestContext, workspace_id: UUID, data_source_id: UUID) -> ConnectionTest:
    """Connect with the stored credentials: ok + latency_ms, or error auth | network | not_found |
    permission | timeout | config with a clean message. A pass moves `discovered` to `validated`."""
    return service.test_connection(ctx.uow, ctx.access, workspace_id, data_source_id)


@api.post(_ONE + "/transitions", permission="datasources:write")
def transition_data_source(
    ctx: RequestContext, workspace_id: UUID, data_source_id: UUID, body: TransitionRequest
) -> DataSource:
    """Move along discovered → validated → registered → active ⇄ maintenance → retired (409
    `invalid_transition` otherwise). Retiring does what DELETE does: it also needs `datasources:delete`
    with MFA."""
    return service.transition(ctx.uow, ctx.access, workspace_id, data_source_id, body.to, body.reason)


@api.get(_ONE + "/transitions", permission="datasources:read")
def list_data_source_transitions(ctx: RequestContext, workspace_id: UUID, data_source_id: UUID) -> list[Transition]:
    """The lifecycle history, oldest first."""
    return service.transitions(ctx.uow, ctx.access, workspace_id, data_source_id)


@api.delete(_ONE, permission="datasources:delete")
def delete_data_source(ctx: RequestContext, workspace_id: UUID, data_source_id: UUID) -> None:
    """Retire the source and delete its credentials from the secret store (MFA). The row stays, retired,
    for scan history; repeating the call is a no-op."""
    service.retire(ctx.uow, ctx.access, workspace_id, data_source_id)
