"""Audit hashing and chain verification (pure functions)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from core.audit.chain import GENESIS_HASH, change_hash, redact, seal, verify_chain
from core.audit.model import AuditEntry, Outcome

WS = uuid.uuid4()
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _entry(i: int) -> AuditEntry:
    return AuditEntry(
        workspace_id=WS,
        recorded_at=T0 + timedelta(seconds=i),
        actor="alice",
        action="workspaces.create_workspace",
        target=f"workspaces/{i}",
        outcome=Outcome.SUCCESS,
        status=201,
        correlation_id=f"c{i}",
    )


def _chain(n: int):
    records, prev = [], GENESIS_HASH
    for i in range(1, n + 1):
        record = seal(_entry(i), uuid.uuid4(), i, prev)
        records.append(record)
        prev = record.hash
    return records


def test_secret_fields_are_redacted_before_hashing():
    assert redact({"name": "db", "password": "hunter2", "nested": [{"clientSecret": "x"}]}) == {
        "name": "db",
        "password": "[redacted]",
        "nested": [{"clientSecret": "[redacted]"}],
    }
    # The hash cannot be used to confirm a guessed secret.
    assert change_hash({"password": "hunter2"}) == change_hash({"password": "letmein"})
    assert change_hash({"name": "a"}) != change_hash({"name": "b"})


def test_change_hash_is_canonical():
    assert change_hash({"a": 1, "b": [1, 2]}) == change_hash({"b": [1, 2], "a": 1})


def test_an_intact_chain_verifies():
    records = _chain(5)
    result = verify_chain(WS, records, (5, records[-1].hash))
    assert result.ok and result.records_checked == 5 and result.first_broken is None


def test_an_edited_record_breaks_at_that_record():
    records = _chain(5)
    records[2] = records[2].model_copy(update={"actor": "mallory"})
    result = verify_chain(WS, records, (5, records[-1].hash))
    assert not result.ok
    assert (result.first_broken.seq, result.first_broken.reason) == (3, "hash_mismatch")
    assert result.first_broken.record_id == records[2].id


def test_a_removed_record_is_a_sequence_gap():
    records = _chain(5)
    del records[1]
    result = verify_chain(WS, records, (5, records[-1].hash))
    assert (result.first_broken.seq, result.first_broken.reason) == (2, "sequence_gap")


def test_a_resealed_record_no_longer_follows_its_predecessor():
    records = _chain(3)
    forged = seal(_entry(9), records[1].id, 2, "f" * 64)  # consistent hash, wrong predecessor
    records[1] = forged
    result = verify_chain(WS, records, (3, records[-1].hash))
    assert (result.first_broken.seq, result.first_broken.reason) == (2, "prev_hash_mismatch")


def test_a_removed_tail_is_a_head_mismatch():
    records = _chain(4)
    result = verify_chain(WS, records[:3], (4, records[-1].hash))
    assert (result.first_broken.seq, result.first_broken.reason) == (4, "head_mismatch")
