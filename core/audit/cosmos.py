"""The Azure Cosmos DB audit store: one container partitioned by ``/workspaceId`` (the chain key).

Each partition holds one chain: record documents plus a ``head`` document (last seq and hash).
Appends are serialised per chain with optimistic concurrency on the head: read it with its etag,
replace it ``IfNotModified`` with the new seq/hash (412 → someone else appended: re-read, retry),
then create the record document. Everything used here is guaranteed by real Cosmos DB for
single-partition operations (etag conditions, point writes, partition-scoped queries); no
transactional batch, so the head and the record are two writes: if the process dies between them
the chain has a hole at that seq, which ``verify`` reports as ``sequence_gap`` (detectable, never
silent). Cosmos cannot join the PostgreSQL transaction, so the route layer writes a success record
right after the change commits (see ``core.audit.service.record_with_commit``).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from azure.core import MatchConditions
from azure.cosmos import ContainerProxy, CosmosClient, PartitionKey, exceptions

from core.audit.chain import GENESIS_HASH, chain_key, seal
from core.audit.model import GLOBAL_CHAIN, AuditEntry, AuditQuery, AuditRecord
from core.errors import ServiceUnavailable
from core.settings import Settings, get_settings

HEAD_ID = "head"
_MAX_ATTEMPTS = 50


def _sort_key(recorded_at: datetime, record_id: UUID) -> str:
    # One sortable field (the emulator, like small Cosmos queries, orders by a single property):
    # fixed-width UTC ISO time, then the id to break ties.
    return f"{recorded_at.astimezone(UTC).isoformat(timespec='microseconds')}|{record_id}"


def _document(record: AuditRecord, chain: str) -> dict[str, Any]:
    body = record.model_dump(mode="json")
    body.pop("workspace_id")
    body["recorded_at"] = record.recorded_at.astimezone(UTC).isoformat(timespec="microseconds")
    return {
        **body,
        "id": str(record.id),
        "workspaceId": chain,
        "type": "record",
        "sortKey": _sort_key(record.recorded_at, record.id),
    }


def _record(document: dict[str, Any]) -> AuditRecord:
    fields = {
        k: v for k, v in document.items() if not k.startswith("_") and k not in ("workspaceId", "type", "sortKey")
    }
    chain = document["workspaceId"]
    return AuditRecord.model_validate({**fields, "workspace_id": None if chain == GLOBAL_CHAIN else UUID(chain)})


class CosmosAuditStore:
    transactional = False

    def __init__(self, container: ContainerProxy) -> None:
        self.container = container

    @classmethod
    def from_settings(cls, settings: Settings) -> CosmosAuditStore:
        if not settings.cosmos_endpoint:
            raise RuntimeError("DATAWAVE_COSMOS_ENDPOINT is not set")
        credential: Any
        if settings.cosmos_key is not None:
            credential = settings.cosmos_key.get_secret_value()
        else:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        client = CosmosClient(
            settings.cosmos_endpoint, credential=credential, connection_verify=settings.cosmos_verify_tls
        )
        database = client.create_database_if_not_exists(settings.cosmos_database)
        container = database.create_container_if_not_exists(
            settings.cosmos_audit_container, partition_key=PartitionKey(path="/workspaceId")
        )
        return cls(container)

    def _head(self, chain: str) -> dict[str, Any] | None:
        # A query, not a point read: the emulator answers a point read of a missing id with 500.
        found = list(
            self.container.query_items(
                "SELECT * FROM c WHERE c.workspaceId = @w AND c.id = @id",
                parameters=[{"name": "@w", "value": chain}, {"name": "@id", "value": HEAD_ID}],
                partition_key=chain,
            )
        )
        return found[0] if found else None

    def append(self, entry: AuditEntry) -> AuditRecord:
        chain = chain_key(entry.workspace_id)
        for _ in range(_MAX_ATTEMPTS):
            head = self._head(chain)
            if head is None:
                try:
                    self.container.create_item(
                        {"id": HEAD_ID, "workspaceId": chain, "type": "head", "seq": 0, "hash": GENESIS_HASH}
                    )
                except exceptions.CosmosResourceExistsError:
                    pass  # another writer founded the chain first
                continue
            record = seal(entry, uuid.uuid4(), int(head["seq"]) + 1, head["hash"])
            try:
                self.container.replace_item(
                    HEAD_ID,
                    {"id": HEAD_ID, "workspaceId": chain, "type": "head", "seq": record.seq, "hash": record.hash},
                    etag=head["_etag"],
                    match_condition=MatchConditions.IfNotModified,
                )
            except exceptions.CosmosAccessConditionFailedError:
                continue  # the head moved: someone appended first
            self.container.create_item(_document(record, chain))
            return record
        raise ServiceUnavailable("the audit chain is too busy; retry")

    def search(
        self, chains: list[str] | None, query: AuditQuery, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[AuditRecord]:
        sql = "SELECT * FROM c WHERE c.type = 'record'"
        params: list[dict[str, Any]] = []
        if chains is not None:
            sql += " AND ARRAY_CONTAINS(@chains, c.workspaceId)"
            params.append({"name": "@chains", "value": chains})
        for name in ("actor", "action", "outcome"):
            value = getattr(query, name)
            if value is not None:
                sql += f" AND c.{name} = @{name}"
                params.append({"name": f"@{name}", "value": str(value)})
        if query.since is not None:
            sql += " AND c.sortKey >= @since"
            params.append({"name": "@since", "value": query.since.astimezone(UTC).isoformat(timespec="microseconds")})
        if query.until is not None:
            sql += " AND c.sortKey < @until"
            params.append({"name": "@until", "value": query.until.astimezone(UTC).isoformat(timespec="microseconds")})
        if after is not None:
            sql += " AND c.sortKey < @after"
            params.append({"name": "@after", "value": _sort_key(after[0], after[1])})
        sql += " ORDER BY c.sortKey DESC"
        items = self.container.query_items(
            sql, parameters=params, enable_cross_partition_query=True, max_item_count=limit
        )
        result = []
        for document in items:
            result.append(_record(document))
            if len(result) >= limit:
                break
        return result

    def walk(self, chain: str) -> Iterator[AuditRecord]:
        documents = self.container.query_items(
            "SELECT * FROM c WHERE c.workspaceId = @w AND c.type = 'record' ORDER BY c.seq",
            parameters=[{"name": "@w", "value": chain}],
            partition_key=chain,
        )
        for document in documents:
            yield _record(document)

    def head(self, chain: str) -> tuple[int, str] | None:
        head = self._head(chain)
        return (int(head["seq"]), head["hash"]) if head and int(head["seq"]) > 0 else None


_lock = threading.Lock()
_store: CosmosAuditStore | None = None


def shared_cosmos_store() -> CosmosAuditStore:
    """The process-wide Cosmos store (the client is thread-safe and meant to be reused)."""
    global _store
    with _lock:
        if _store is None:
            _store = CosmosAuditStore.from_settings(get_settings())
        return _store


def reset_cosmos_store() -> None:
    global _store
    with _lock:
        _store = None
