"""The Cosmos DB audit store against @vercel/cosmosdb-server started by the test."""

from __future__ import annotations

import threading
import uuid
import warnings
from datetime import UTC, datetime

import pytest

from core.audit.chain import verify_chain
from core.audit.cosmos import CosmosAuditStore
from core.audit.model import AuditEntry, AuditQuery, Outcome
from core.settings import Settings
from tests.unit.audit.cosmos_emulator import EMULATOR_KEY, cosmos_emulator


@pytest.fixture(scope="module")
def store():
    warnings.filterwarnings("ignore", message="Unverified HTTPS request")
    with cosmos_emulator() as endpoint:
        settings = Settings(
            audit_store="cosmos",
            cosmos_endpoint=endpoint,
            cosmos_key=EMULATOR_KEY,
            cosmos_verify_tls=False,
            cosmos_audit_container="audit-" + uuid.uuid4().hex[:6],
        )
        yield CosmosAuditStore.from_settings(settings)


def _entry(workspace_id, actor="alice", outcome=Outcome.SUCCESS) -> AuditEntry:
    return AuditEntry(
        workspace_id=workspace_id,
        recorded_at=datetime.now(UTC),
        actor=actor,
        action="workspaces.add_member",
        target="x",
        outcome=outcome,
        status=201,
        correlation_id=uuid.uuid4().hex,
        change_hash="ab" * 32,
    )


def _verify(store, workspace_id):
    chain = str(workspace_id) if workspace_id else "global"
    return verify_chain(workspace_id, store.walk(chain), store.head(chain))


def test_container_is_partitioned_by_workspace_id(store):
    assert store.container.read()["partitionKey"]["paths"] == ["/workspaceId"]


def test_appends_form_a_chain_per_workspace(store):
    a, b = uuid.uuid4(), uuid.uuid4()
    records = [store.append(_entry(a)) for _ in range(3)] + [store.append(_entry(b))]
    assert [r.seq for r in records] == [1, 2, 3, 1]
    assert records[1].prev_hash == records[0].hash and records[3].prev_hash == "0" * 64
    assert _verify(store, a).ok and _verify(store, a).records_checked == 3
    assert store.head(str(a)) == (3, records[2].hash)


def test_concurrent_appends_are_serialised_by_the_head_etag(store):
    ws = uuid.uuid4()
    errors = []

    def append_many():
        try:
            for _ in range(3):
                store.append(_entry(ws))
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=append_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = _verify(store, ws)
    assert result.ok and result.records_checked == 12 and result.head_seq == 12


def test_an_edited_document_fails_verification_at_that_record(store):
    ws = uuid.uuid4()
    records = [store.append(_entry(ws)) for _ in range(4)]
    [document] = store.container.query_items(
        "SELECT * FROM c WHERE c.workspaceId = @w AND c.id = @id",
        parameters=[{"name": "@w", "value": str(ws)}, {"name": "@id", "value": str(records[2].id)}],
        partition_key=str(ws),
    )
    edited = {k: v for k, v in document.items() if not k.startswith("_")}
    store.container.upsert_item({**edited, "actor": "mallory"})
    result = _verify(store, ws)
    assert not result.ok
    assert (result.first_broken.seq, result.first_broken.reason) == (3, "hash_mismatch")
    assert result.first_broken.record_id == records[2].id


def test_a_record_lost_between_head_and_record_writes_is_a_detectable_gap(store):
    ws = uuid.uuid4()
    store.append(_entry(ws))
    second = store.append(_entry(ws))
    store.append(_entry(ws))
    store.container.delete_item(str(second.id), partition_key=str(ws))
    result = _verify(store, ws)
    assert (result.first_broken.seq, result.first_broken.reason) == (2, "sequence_gap")


def test_search_filters_by_chain_and_pages_newest_first(store):
    ws, other = uuid.uuid4(), uuid.uuid4()
    for i in range(5):
        store.append(_entry(ws, actor="searcher", outcome=Outcome.DENIED if i % 2 else Outcome.SUCCESS))
    store.append(_entry(other, actor="searcher"))
    query = AuditQuery(actor="searcher")
    first = store.search([str(ws)], query, None, 3)
    assert len(first) == 3 and all(r.workspace_id == ws for r in first)
    rest = store.search([str(ws)], query, (first[-1].recorded_at, first[-1].id), 10)
    assert len(rest) == 2
    ordered = first + rest
    assert [r.recorded_at for r in ordered] == sorted((r.recorded_at for r in ordered), reverse=True)
    denied = store.search([str(ws)], AuditQuery(actor="searcher", outcome="denied"), None, 10)
    assert len(denied) == 2
    assert {r.workspace_id for r in store.search(None, query, None, 50)} >= {ws, other}
