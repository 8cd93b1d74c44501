"""Hashing and verification of audit chains (pure functions; the stores only persist)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import UTC
from typing import Any
from uuid import UUID

from core.audit.model import AuditEntry, AuditRecord, BrokenLink, ChainVerification

GENESIS_HASH = "0" * 64
_SECRET_KEY = re.compile(
    r"pass(word)?|secret|token|credential|api[_-]?key|access[_-]?key|account[_-]?key|private[_-]?key"
    r"|connection[_-]?string|(^|[_-])sas($|[_-])|^key$",
    re.I,
)
REDACTED = "[redacted]"


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8 text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def redact(value: Any) -> Any:
    """``value`` with every secret-looking field replaced, so neither the record nor its hash can
    leak or confirm a credential."""
    if isinstance(value, dict):
        return {k: REDACTED if isinstance(k, str) and _SECRET_KEY.search(k) else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def change_hash(change: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``change`` after redaction."""
    # surrogatepass: a rejected request's body may hold an unpaired surrogate ("\\ud800" in JSON); its
    # denial or failure is still recorded. Text without one hashes exactly as plain UTF-8.
    return hashlib.sha256(canonical_json(redact(change)).encode("utf-8", "surrogatepass")).hexdigest()


def chain_key(workspace_id: UUID | None) -> str:
    from core.audit.model import GLOBAL_CHAIN

    return str(workspace_id) if workspace_id else GLOBAL_CHAIN


def record_hash(entry: AuditEntry, record_id: UUID, seq: int, prev_hash: str) -> str:
    """The hash binding every field of a record and its predecessor's hash."""
    fields = entry.model_dump(mode="json")
    fields["recorded_at"] = entry.recorded_at.astimezone(UTC).isoformat(timespec="microseconds")
    fields.update(id=str(record_id), seq=seq, prev_hash=prev_hash)
    return hashlib.sha256(canonical_json(fields).encode()).hexdigest()


def seal(entry: AuditEntry, record_id: UUID, seq: int, prev_hash: str) -> AuditRecord:
    return AuditRecord(
        **entry.model_dump(),
        id=record_id,
        seq=seq,
        prev_hash=prev_hash,
        hash=record_hash(entry, record_id, seq, prev_hash),
    )


def verify_chain(
    workspace_id: UUID | None, records: Iterable[AuditRecord], head: tuple[int, str] | None
) -> ChainVerification:
    """Walk ``records`` (ordered by seq) and report the first broken link.

    Detects an edited record (its hash no longer matches its fields), a removed or inserted record
    (sequence gap or a ``prev_hash`` that is not the previous record's hash), and a removed tail
    (the chain head remembers more than the records show).
    """
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0

    def broken(seq: int, record_id: UUID | None, reason: str, message: str) -> ChainVerification:
        return ChainVerification(
            workspace_id=workspace_id,
            ok=False,
            records_checked=checked,
            head_seq=head[0] if head else 0,
            first_broken=BrokenLink(seq=seq, record_id=record_id, reason=reason, message=message),
        )

    for record in records:
        if record.seq != expected_seq:
            return broken(expected_seq, None, "sequence_gap", f"record {expected_seq} is missing (found {record.seq})")
        entry = AuditEntry.model_validate(record.model_dump(include=set(AuditEntry.model_fields)))
        if record_hash(entry, record.id, record.seq, record.prev_hash) != record.hash:
            return broken(record.seq, record.id, "hash_mismatch", "the record's fields do not match its hash")
        if record.prev_hash != expected_prev:
            return broken(record.seq, record.id, "prev_hash_mismatch", "the record does not follow its predecessor")
        checked += 1
        expected_prev, expected_seq = record.hash, record.seq + 1
    last_seq = expected_seq - 1
    if head is not None and (head[0], head[1]) != (last_seq, expected_prev):
        return broken(
            last_seq + 1 if head[0] > last_seq else head[0],
            None,
            "head_mismatch",
            f"the chain head is at {head[0]} but the records end at {last_seq}",
        )
    return ChainVerification(
        workspace_id=workspace_id, ok=True, records_checked=checked, head_seq=head[0] if head else 0, first_broken=None
    )
