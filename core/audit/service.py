"""Audit services: record (inside a change's transaction or on its own), search, verify, export."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING
from uuid import UUID

from core.audit.chain import chain_key
from core.audit.model import GLOBAL_CHAIN, AuditEntry, AuditQuery, AuditRecord, ChainVerification, VerifyQuery
from core.audit.store import AuditStore, PostgresAuditStore
from core.auth.access import Access
from core.errors import NotFound
from core.pagination import Page, decode_time_cursor, encode_time_cursor, page_of
from core.settings import AuditStoreKind, get_settings

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

log = logging.getLogger("datawave.audit")


def audit_store(uow: UnitOfWork) -> AuditStore:
    """The configured store: PostgreSQL on the unit of work's connection, or Cosmos DB."""
    if get_settings().audit_store is AuditStoreKind.COSMOS:
        from core.audit.cosmos import shared_cosmos_store

        return shared_cosmos_store()
    return PostgresAuditStore(uow.connection)


def _placed(uow: UnitOfWork, entry: AuditEntry) -> AuditEntry:
    # A workspace named by a request that does not exist has no chain: such records go to the
    # global chain instead of founding chains for arbitrary ids.
    if entry.workspace_id is not None and not uow.workspaces.exists(entry.workspace_id):
        return entry.model_copy(update={"workspace_id": None})
    return entry


def record(uow: UnitOfWork, entry: AuditEntry) -> AuditRecord:
    """Append ``entry`` in the unit of work (the caller commits)."""
    return audit_store(uow).append(_placed(uow, entry))


def record_with_commit(uow: UnitOfWork, make_entry: Callable[[UnitOfWork], AuditEntry]) -> None:
    """Arm ``uow`` so its next commit also records ``make_entry(uow)``: in the same transaction with
    PostgreSQL; right after the commit with a store that cannot join it (Cosmos DB)."""
    store = audit_store(uow)
    if store.transactional:
        uow.before_commit(lambda u: store.append(_placed(u, make_entry(u))))
    else:
        entry_box: list[AuditEntry] = []
        uow.before_commit(lambda u: entry_box.append(_placed(u, make_entry(u))))
        uow.after_commit(lambda u: _append_after_commit(store, entry_box[0]))


def _append_after_commit(store: AuditStore, entry: AuditEntry) -> None:
    """The change has committed: failing the request now would tell the caller it did not happen.
    A record the store refuses is logged (with what identifies it, never the change) instead."""
    try:
        store.append(entry)
    except Exception:  # noqa: BLE001 - any store failure; the log line is the trace
        log.exception(
            "audit record lost: the change committed but the audit store refused the record",
            extra={
                "audit_correlation_id": entry.correlation_id,
                "audit_action": entry.action,
                "audit_target": entry.target,
                "workspace_id": str(entry.workspace_id) if entry.workspace_id else None,
            },
        )


def record_alone(entry: AuditEntry) -> AuditRecord:
    """Record ``entry`` in a transaction of its own (denials and failures: the change rolled back)."""
    from core.db.unit_of_work import UnitOfWork

    with UnitOfWork() as uow:
        stored = record(uow, entry)
        uow.commit()
    return stored


def _chains(uow: UnitOfWork, access: Access, workspace_id: UUID | None, only_global: bool) -> list[str] | None:
    if only_global:
        access.require_global()
        return [GLOBAL_CHAIN]
    if workspace_id is not None:
        if not uow.workspaces.exists(workspace_id) and access.scope.everywhere:
            raise NotFound("workspace not found")
        access.require_workspace(workspace_id)
        return [str(workspace_id)]
    if access.scope.everywhere:
        return None
    return [str(i) for i in sorted(access.scope.ids)]


def search(uow: UnitOfWork, access: Access, query: AuditQuery) -> Page[AuditRecord]:
    """Records the caller may read, newest first. The global chain needs ``audit:read`` globally."""
    chains = _chains(uow, access, query.workspace_id, query.scope == GLOBAL_CHAIN)
    after = decode_time_cursor(query.cursor)
    items = audit_store(uow).search(chains, query, after, query.limit + 1)
    items, next_cursor = page_of(items, query.limit, lambda r: encode_time_cursor(r.recorded_at, r.id))
    return Page[AuditRecord](items=items, next_cursor=next_cursor)


def export(uow: UnitOfWork, access: Access, query: AuditQuery) -> Iterator[AuditRecord]:
    """Every matching record (newest first), page by page."""
    while True:
        page = search(uow, access, query)
        yield from page.items
        if page.next_cursor is None:
            return
        query = query.model_copy(update={"cursor": page.next_cursor, "limit": 200})


def verify(uow: UnitOfWork, access: Access, query: VerifyQuery) -> ChainVerification:
    """Walk one chain (a workspace's, or the global one) and report the first broken link."""
    from core.audit.chain import verify_chain

    chains = _chains(uow, access, query.workspace_id, query.workspace_id is None)
    assert chains is not None
    store = audit_store(uow)
    chain = chain_key(query.workspace_id)
    return verify_chain(query.workspace_id, store.walk(chain), store.head(chain))
