"""Catalog models: what the API accepts and returns, and what the scan saga hands to the catalog."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from core.auth.conditions import Sensitivity
from core.catalog.names import ASSET_TYPES

ClassificationSource = Literal["scan", "manual", "propagated"]
ClassificationStatus = Literal["suggested", "accepted", "rejected"]
Decision = Literal["accept", "reject", "reopen"]
OwnerRole = Literal["owner", "steward", "expert"]
TermStatus = Literal["draft", "approved", "deprecated"]

_NS = "postgres://pg.contoso.internal:5432"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Owner(_In):
    """A user or Entra group with a role on an asset or term."""

    principal_id: str = Field(min_length=1, max_length=200)
    principal_type: Literal["user", "group"] = "user"
    role: OwnerRole = "owner"


class AssetCreate(_In):
    """Register (or update, same qualified name) an asset by hand; its parents are created as needed."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "type": "table",
                    "namespace": _NS,
                    "name": "sales.public.customers",
                    "description": "One row per customer",
                    "tags": ["crm"],
                    "owners": [{"principal_id": "alice", "principal_type": "user", "role": "owner"}],
                }
            ]
        },
    )

    type: str = Field(json_schema_extra={"enum": list(ASSET_TYPES)})
    namespace: str = Field(min_length=1, max_length=300)
    name: str = Field("", max_length=1200)
    description: str = Field("", max_length=10_000)
    properties: dict[str, Any] = Field(default_factory=dict)
    data_type: str | None = Field(None, max_length=200)
    tags: list[str] = Field(default_factory=list, max_length=50)
    owners: list[Owner] = Field(default_factory=list, max_length=50)


class AssetPatch(_In):
    """Change what people know about an asset; omitted fields stay as they are."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"description": "Customer master data", "tags": ["crm", "gold"]}]},
    )

    description: str | None = Field(None, max_length=10_000)
    properties: dict[str, Any] | None = None
    tags: list[str] | None = Field(None, max_length=50)
    owners: list[Owner] | None = Field(None, max_length=50)


class Classification(BaseModel):
    """A classification of an asset with its provenance."""

    id: UUID
    asset_id: UUID
    classification_id: str
    source: ClassificationSource
    status: ClassificationStatus
    confidence: float
    sensitivity: Sensitivity
    evidence: dict[str, Any]
    rule_set_id: str | None
    rule_set_version: int | None
    origin_id: UUID | None = Field(None, description="For a propagated classification: the one it came from.")
    origin_asset_id: UUID | None = None
    created_by: str
    created_at: datetime
    updated_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None


class AssetSummary(BaseModel):
    id: UUID
    workspace_id: UUID
    type: str
    namespace: str
    name: str
    qualified_name: str
    display_name: str
    parent_id: UUID | None
    data_source_id: UUID | None
    description: str
    data_type: str | None
    tags: list[str]
    sensitivity: Sensitivity | None
    removed_at: datetime | None


class TermRef(BaseModel):
    id: UUID
    name: str


class Asset(AssetSummary):
    """An asset with everything known about it."""

    properties: dict[str, Any]
    ordinal: int | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    owners: list[Owner] = Field(default_factory=list)
    classifications: list[Classification] = Field(default_factory=list)
    terms: list[TermRef] = Field(default_factory=list)
    children: list[AssetSummary] = Field(default_factory=list)


class DiscoveredClassification(_In):
    """One classification result of the engine for a column (core.classification ColumnResult)."""

    classification_id: str = Field(min_length=1, max_length=200)
    confidence: float = Field(ge=0, le=1)
    sensitivity: Sensitivity
    evidence: dict[str, Any] = Field(default_factory=dict)
    rule_set_id: str | None = None
    rule_set_version: int | None = None


class DiscoveredColumn(_In):
    name: str = Field(min_length=1, max_length=128)
    data_type: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=10_000)
    classifications: list[DiscoveredClassification] = Field(default_factory=list, max_length=100)


class DiscoveredTable(_In):
    """What a scan found in one table (or file set): its columns and their classification results.
    Upserting the same table again is idempotent."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "namespace": _NS,
                    "name": "sales.public.customers",
                    "type": "table",
                    "scan_id": "scan-1",
                    "columns": [
                        {
                            "name": "email",
                            "data_type": "text",
                            "classifications": [
                                {
                                    "classification_id": "email_address",
                                    "confidence": 0.97,
                                    "sensitivity": "Confidential",
                                    "evidence": {"match_percentage": 98.0, "rules": ["pattern:email"]},
                                    "rule_set_id": "default",
                                    "rule_set_version": 1,
                                }
                            ],
                        },
                        {"name": "id", "data_type": "bigint"},
                    ],
                }
            ]
        },
    )

    namespace: str = Field(min_length=1, max_length=300)
    name: str = Field(min_length=1, max_length=1200)
    type: Literal["table", "view", "file_set"] = "table"
    description: str | None = Field(None, max_length=10_000)
    properties: dict[str, Any] = Field(default_factory=dict)
    scan_id: str | None = Field(None, max_length=200)
    columns: list[DiscoveredColumn] = Field(default_factory=list, max_length=5000)


class SchemaChange(BaseModel):
    column_name: str
    change: Literal["column_added", "column_removed", "type_changed"]
    old_type: str | None
    new_type: str | None
    scan_id: str | None
    changed_at: datetime


class UpsertResult(BaseModel):
    asset: Asset
    created: bool
    schema_changes: list[SchemaChange]


class ClassificationAdd(_In):
    """A steward classifies an asset by hand (accepted at once, source manual)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"classification_id": "email_address", "sensitivity": "Confidential"}]},
    )

    classification_id: str = Field(min_length=1, max_length=200)
    sensitivity: Sensitivity | None = Field(
        None, description="Defaults to the built-in classification's label; required for custom ids."
    )
    reason: str | None = Field(None, max_length=2000)


class Review(_In):
    """Accept or reject a classification, or reopen a decided one (back to suggested)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"decision": "reject", "reason": "test data, not real emails"}]},
    )

    decision: Decision
    reason: str = Field(min_length=1, max_length=2000)


class BulkReview(Review):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "ids": ["3f1c1d7e-8a59-4a53-9d0e-4cf2f3c0f6a1"],
                    "decision": "accept",
                    "reason": "verified with the data owner",
                }
            ]
        },
    )

    ids: list[UUID] = Field(min_length=1, max_length=500)


class ReviewResult(BaseModel):
    items: list[Classification]
