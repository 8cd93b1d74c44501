"""Audit records and the queries over them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

GLOBAL_CHAIN = "global"


class Outcome(StrEnum):
    SUCCESS = "success"
    DENIED = "denied"  # 401/403: the caller was refused
    FAILED = "failed"  # any other error of a state-changing request


class AuditEntry(BaseModel):
    """What happened, before it is placed in its chain."""

    model_config = ConfigDict(frozen=True)

    workspace_id: UUID | None
    recorded_at: datetime
    actor: str
    actor_name: str | None = None
    action: str
    target: str | None = None
    outcome: Outcome
    status: int
    reason: str | None = Field(None, description="The error code of a denial or failure.")
    correlation_id: str
    client_ip: str | None = None
    change_hash: str | None = Field(None, description="SHA-256 of the canonical JSON change (secrets redacted).")


class AuditRecord(AuditEntry):
    """A stored record: the entry plus its place in the workspace's hash chain."""

    id: UUID
    seq: int
    prev_hash: str
    hash: str


class AuditQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace_id: UUID | None = Field(None, description="Only this workspace's records.")
    scope: str | None = Field(None, pattern="^global$", description="'global': only platform-wide records.")
    actor: str | None = Field(None, max_length=200)
    action: str | None = Field(None, max_length=200)
    # Literal (not the enum) keeps the OpenAPI query parameter self-contained.
    outcome: Literal["success", "denied", "failed"] | None = None
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


class VerifyQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace_id: UUID | None = Field(None, description="The workspace chain to verify; omit for the global chain.")


class BrokenLink(BaseModel):
    seq: int = Field(description="Sequence number where the chain first breaks.")
    record_id: UUID | None = Field(description="The record at that position (null when it is missing).")
    reason: str = Field(description="hash_mismatch, prev_hash_mismatch, sequence_gap or head_mismatch.")
    message: str


class ChainVerification(BaseModel):
    workspace_id: UUID | None
    ok: bool
    records_checked: int
    head_seq: int
    first_broken: BrokenLink | None
