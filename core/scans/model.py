"""Scan commands and views (shared by the service, the activities and the API)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

ScanStatus = Literal["queued", "running", "paused", "completed", "failed", "cancelled"]
ScanPhase = Literal["queued", "discovering", "scanning", "finishing", "done"]
AssetStatus = Literal["pending", "done", "failed", "skipped"]
ACTIVE_STATUSES = ("queued", "running", "paused")
DEFAULT_TEMPLATE = "gdpr_personal_data"


class ScanRequest(BaseModel):
    """What to scan and with which rules. Without a rule set, a built-in template is used."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "workspace_id": "7d1c9a4e-2b1f-4c55-9e0a-3f1d2c4b5a69",
                    "data_source_id": "0b6d1d0e-8f9e-4b8e-9b7c-0c7f1f0a1e2d",
                    "template": "pci_dss",
                    "incremental": True,
                }
            ]
        },
    )

    workspace_id: UUID
    data_source_id: UUID
    rule_set_id: str | None = Field(None, min_length=1, max_length=64, description="A workspace rule set.")
    rule_set_version: int | None = Field(None, ge=1, description="Pin a version; default: the latest.")
    template: str | None = Field(None, description=f"A built-in template id (default {DEFAULT_TEMPLATE}).")
    incremental: bool = Field(True, description="Skip assets unchanged since the last completed scan.")

    @model_validator(mode="after")
    def _one_rule_source(self) -> ScanRequest:
        if self.rule_set_id and self.template:
            raise ValueError("give either rule_set_id or template, not both")
        if self.rule_set_version is not None and not self.rule_set_id:
            raise ValueError("rule_set_version needs rule_set_id")
        return self


class RuleSetPin(BaseModel):
    rule_set_id: str | None
    version: int | None
    template: str | None


class ScanProgress(BaseModel):
    total: int
    done: int
    failed: int
    skipped: int


class Scan(BaseModel):
    id: UUID
    workspace_id: UUID
    data_source_id: UUID
    rule_set: RuleSetPin
    incremental: bool
    trigger: str
    status: ScanStatus
    phase: ScanPhase
    progress: ScanProgress
    error: str | None = None
    summary: dict[str, object] = Field(default_factory=dict)
    previous_scan_id: UUID | None = None
    requested_by: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class ScanAccepted(Scan):
    """A scan just started (202): the scan plus where to follow it."""

    links: dict[str, str] = Field(description="This scan's URL and the orchestration's management URLs.")


class ScanAsset(BaseModel):
    qualified_name: str
    asset_type: str
    status: AssetStatus
    error: str | None = None
    columns: int | None = None
    classifications: dict[str, list[str]] = Field(default_factory=dict, description="column → classification ids")
    catalog_asset_id: UUID | None = None


class ClassificationChange(BaseModel):
    qualified_name: str
    column: str
    added: list[str]
    removed: list[str]


class ScanDiff(BaseModel):
    scan_id: UUID
    previous_scan_id: UUID | None
    new_assets: list[str]
    removed_assets: list[str]
    classification_changes: list[ClassificationChange]


class ScanListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data_source_id: UUID | None = None
    status: ScanStatus | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)
