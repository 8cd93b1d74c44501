"""Compliance models: framework packs, policies, violations, evaluations, risk."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from core.compliance.conditions import Condition
from core.compliance.facts import ASSET_TYPES

AssetType = Literal["data_source", "database", "schema", "table", "view", "file_set", "column"]
assert set(ASSET_TYPES) == set(AssetType.__args__)  # type: ignore[attr-defined]


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def due_in(self) -> timedelta:
        """How long a violation of this severity may stay open before it is overdue."""
        return {
            "critical": timedelta(days=3),
            "high": timedelta(days=14),
            "medium": timedelta(days=30),
            "low": timedelta(days=90),
        }[self.value]

    @property
    def weight(self) -> int:
        """Risk points an open violation of this severity adds to its asset."""
        return {"critical": 40, "high": 25, "medium": 10, "low": 4}[self.value]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


CONDITION_EXAMPLE = {
    "all": [
        {"exists": {"collection": "classifications", "where": {"fact": "category", "op": "eq", "value": "PII"}}},
        {"fact": "properties.retention_days", "op": "missing"},
    ]
}


class PolicyRule(_Strict):
    """What a policy checks: its condition describes the VIOLATING state of one asset."""

    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    severity: Severity = Severity.MEDIUM
    asset_types: list[AssetType] = Field(default_factory=lambda: ["table", "view", "file_set"], min_length=1)
    condition: Condition


class PackPolicy(PolicyRule):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,80}$")


class Control(_Strict):
    id: str = Field(min_length=1, max_length=50)
    title: str = Field(min_length=1, max_length=300)
    policies: list[str] = Field(min_length=1)


class FrameworkPack(_Strict):
    framework: str = Field(pattern=r"^[a-z][a-z0-9_]{1,30}$")
    name: str
    version: int = Field(ge=1)
    description: str = ""
    controls: list[Control] = Field(min_length=1)
    policies: list[PackPolicy] = Field(min_length=1)

    @model_validator(mode="after")
    def _controls_name_policies(self) -> FrameworkPack:
        ids = {p.id for p in self.policies}
        for control in self.controls:
            unknown = set(control.policies) - ids
            if unknown:
                raise ValueError(f"control {control.id} maps unknown policies {sorted(unknown)}")
        return self


class FrameworkSummary(BaseModel):
    framework: str
    name: str
    version: int
    description: str
    controls: int
    policies: int


class PolicyCreate(_Strict):
    """A workspace's own policy; evaluated by sweeps once enabled (dry-run it first)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "pii-retention",
                    "title": "Personal data without a retention period",
                    "severity": "medium",
                    "asset_types": ["table"],
                    "condition": CONDITION_EXAMPLE,
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    severity: Severity = Severity.MEDIUM
    asset_types: list[AssetType] = Field(default_factory=lambda: ["table", "view", "file_set"], min_length=1)
    condition: Condition
    framework: str | None = Field(None, description="Report this policy under a framework's control")
    control_id: str | None = None
    enabled: bool = False

    def rule(self) -> PolicyRule:
        return PolicyRule(
            title=self.title,
            description=self.description,
            severity=self.severity,
            asset_types=self.asset_types,
            condition=self.condition,
        )


class PolicyPatch(_Strict):
    """A change of definition makes a new version; enabled/disabled does not."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"severity": "high", "condition": CONDITION_EXAMPLE}]},
    )

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    severity: Severity | None = None
    asset_types: list[AssetType] | None = Field(None, min_length=1)
    condition: Condition | None = None
    enabled: bool | None = None

    @field_validator("title", "description", "severity", "asset_types", "condition", "enabled")
    @classmethod
    def _omit_rather_than_null(cls, value: Any) -> Any:
        # Omitted means unchanged; an explicit null would reach the stored definition's validation.
        if value is None:
            raise ValueError("omit the field to keep its value; null is not allowed")
        return value


class Policy(BaseModel):
    id: UUID
    workspace_id: UUID
    name: str
    enabled: bool
    version: int
    framework: str | None
    control_id: str | None
    title: str
    description: str
    severity: Severity
    asset_types: list[str]
    condition: dict[str, Any]
    created_by: str
    created_at: datetime
    updated_at: datetime


class PolicyVersion(BaseModel):
    version: int
    definition: dict[str, Any]
    created_by: str
    created_at: datetime


class DryRunAsset(BaseModel):
    asset_id: UUID
    type: str
    qualified_name: str


class DryRun(BaseModel):
    policy_version: int | None
    evaluated_at: datetime
    assets_evaluated: int
    would_violate: int
    assets: list[DryRunAsset] = Field(description="The first 100 violating assets")


class ViolationStatus(StrEnum):
    DETECTED = "detected"
    INVESTIGATING = "investigating"
    REMEDIATING = "remediating"
    RESOLVED = "resolved"
    ACCEPTED_RISK = "accepted_risk"
    FALSE_POSITIVE = "false_positive"


OPEN_STATUSES = (ViolationStatus.DETECTED, ViolationStatus.INVESTIGATING, ViolationStatus.REMEDIATING)


class Violation(BaseModel):
    id: UUID
    workspace_id: UUID
    policy_ref: str
    policy_version: int
    title: str
    framework: str | None
    severity: Severity
    asset_id: UUID
    asset_type: str
    qualified_name: str
    status: ViolationStatus
    assignee: str | None
    due_at: datetime
    overdue: bool
    detected_at: datetime
    last_seen_at: datetime
    escalated_at: datetime | None
    resolution: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    reason: str | None
    accepted_until: datetime | None
    approver: str | None


class ViolationQuery(_Strict):
    status: ViolationStatus | None = None
    severity: Severity | None = None
    policy_ref: str | None = Field(None, max_length=200)
    asset_id: UUID | None = None
    open: bool | None = Field(None, description="Only violations that still suppress a new detection")
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=500)


class StatusChange(_Strict):
    """Move a violation along detected → investigating → remediating (or reopen it)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"status": "investigating", "note": "looking into it"}]}
    )

    status: Literal["investigating", "remediating"]
    note: str | None = Field(None, max_length=2000)


class Decision(_Strict):
    """Close a violation: resolved, accepted_risk (expiry and approver required) or false_positive (reason)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "status": "accepted_risk",
                    "reason": "compensating control: tokenised downstream",
                    "approver": "ciso@example.com",
                    "expires_at": "2030-01-01T00:00:00Z",
                }
            ]
        },
    )

    status: Literal["resolved", "accepted_risk", "false_positive"]
    reason: str | None = Field(None, max_length=2000)
    approver: str | None = Field(None, max_length=200)
    expires_at: AwareDatetime | None = None


class Assignment(_Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"assignee": "bob@example.com", "due_at": "2030-01-01T00:00:00Z"}]},
    )

    assignee: str | None = Field(min_length=1, max_length=200)
    due_at: AwareDatetime | None = Field(None, description="Overrides the due date derived from severity")


class CommentCreate(_Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"body": "ticket DATA-123 opened"}]})

    body: str = Field(min_length=1, max_length=4000)


class Comment(BaseModel):
    id: UUID
    author: str
    body: str
    created_at: datetime


class ViolationEvent(BaseModel):
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    note: str | None


class EvaluationSummary(BaseModel):
    workspace_id: UUID
    run_id: UUID
    trigger: str
    policies: int
    assets_evaluated: int
    evaluations: int = Field(description="policy × asset evaluations")
    violating: int
    opened: int
    resolved: int
    escalated: int
    risk_expired: int
    seconds: float
