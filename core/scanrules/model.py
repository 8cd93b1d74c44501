"""Scan rule sets as the API and the services see them (pydantic, shared by both).

The rule-set *document* is the engine's ``RuleSetDocument`` (``core.classification.rule_sets``);
these models add what persistence knows: the workspace, who changed what when, retirement.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from core.classification.rule_sets import ClassificationSetting, CustomRule, RuleSetDocument
from core.pagination import PageQuery

RuleSetId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="Stable id, unique in the workspace.")]
Score = Annotated[float, Field(ge=0.0, le=1.0)]

_EXAMPLE_RULES: dict[str, Any] = {
    "templates": ["gdpr_personal_data"],
    "classifications": ["api_key"],
    "exclude": ["url"],
    "settings": {"postal_code": {"minimum_match_percentage": 80}},
    "confidence_threshold": 0.5,
    "custom_rules": [
        {
            "id": "acme_employee_id",
            "name": "ACME employee id",
            "category": "PII",
            "sensitivity": "Confidential",
            "minimum_match_percentage": 60,
            "data_patterns": [{"id": "emp", "regex": "EMP-[0-9]{6}", "score": 0.9}],
            "column_patterns": ["employee"],
        }
    ],
}


class _RuleFields(BaseModel):
    """The editable content of a rule set (everything but its id and version)."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field("", max_length=2000)
    templates: list[str] = Field(
        default_factory=list, max_length=20, description="Built-in template ids (GET /scan-rule-sets/templates)."
    )
    classifications: list[str] = Field(default_factory=list, max_length=500, description="Extra catalog ids.")
    exclude: list[str] = Field(default_factory=list, max_length=500, description="Catalog ids to leave out.")
    settings: dict[str, ClassificationSetting] = Field(
        default_factory=dict, description="Per-classification tuning: enabled, minimum_match_percentage."
    )
    custom_rules: list[CustomRule] = Field(default_factory=list, max_length=200)
    confidence_threshold: Score = 0.5


class RuleSetCreate(_RuleFields):
    """A new rule set (version 1). ``template`` instantiates a built-in template: it is added to
    ``templates`` and gives the default name and description."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"id": "acme_customer_data", "name": "ACME customer data", **_EXAMPLE_RULES}]},
    )

    id: RuleSetId
    name: str | None = Field(None, min_length=1, max_length=200, description="Required unless `template` is given.")
    template: str | None = Field(None, description="A built-in template id to instantiate.")


class RuleSetUpdate(_RuleFields):
    """The full new content of a rule set: PUT creates version latest + 1 (older versions stay)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "ACME customer data", "expected_version": 1, **_EXAMPLE_RULES}]},
    )

    name: str = Field(min_length=1, max_length=200)
    expected_version: int | None = Field(
        None, ge=1, description="Optimistic concurrency: 409 version_conflict unless this is the latest version."
    )


class RuleSet(BaseModel):
    """A workspace rule set: its head (latest version, status) and the latest document."""

    workspace_id: UUID
    id: str
    name: str
    latest_version: int
    status: Literal["active", "retired"]
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    retired_by: str | None = None
    retired_at: datetime | None = None
    document: RuleSetDocument = Field(description="The latest version's document.")


class RuleSetVersion(BaseModel):
    """One immutable version of a rule set."""

    workspace_id: UUID
    rule_set_id: str
    version: int
    created_by: str
    created_at: datetime
    document: RuleSetDocument


class RuleSetVersionSummary(BaseModel):
    """A version in the version history (without its document)."""

    rule_set_id: str
    version: int
    name: str
    created_by: str
    created_at: datetime


class RuleSetListQuery(PageQuery):
    """Rule-set listing: retired rule sets are left out unless asked for."""

    include_retired: bool = False
