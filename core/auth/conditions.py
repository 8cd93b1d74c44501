"""ABAC conditions a grant may carry, and the resource attributes they are evaluated against."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from core.workspaces.regions import AZURE_REGIONS


class Sensitivity(StrEnum):
    """Sensitivity labels, least to most sensitive (the same names as the classification labels)."""

    PUBLIC = "Public"
    INTERNAL = "Internal"
    CONFIDENTIAL = "Confidential"
    HIGHLY_CONFIDENTIAL = "Highly Confidential"

    @property
    def rank(self) -> int:
        return list(Sensitivity).index(self)


class GrantConditions(BaseModel):
    """Attribute conditions refining a role assignment; every condition set must hold."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    clearance: Sensitivity | None = Field(
        None, description="Highest asset sensitivity this grant covers (asset sensitivity ≤ clearance)."
    )
    regions: list[str] | None = Field(
        None,
        min_length=1,
        max_length=60,
        description="Data residency: the grant holds only for workspaces/resources in these Azure regions.",
    )
    valid_from: AwareDatetime | None = Field(None, description="The grant holds from this instant.")
    valid_until: AwareDatetime | None = Field(None, description="The grant holds until this instant (exclusive).")

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        lowered = sorted({v.lower() for v in value})
        unknown = [v for v in lowered if v not in AZURE_REGIONS]
        if unknown:
            raise ValueError(f"unknown Azure region(s): {', '.join(unknown)}")
        return lowered

    @model_validator(mode="after")
    def _window_is_ordered(self) -> GrantConditions:
        if self.valid_from and self.valid_until and self.valid_from >= self.valid_until:
            raise ValueError("valid_from must be before valid_until")
        return self

    @property
    def empty(self) -> bool:
        return self.clearance is None and self.regions is None and self.valid_from is None and self.valid_until is None


class ResourceAttributes(BaseModel):
    """What is known about the resource a decision is about (all optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sensitivity: Sensitivity | None = Field(None, description="The asset's sensitivity label.")
    region: str | None = Field(None, description="Where the resource lives; defaults to its workspace's region.")

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        if value is not None and value.lower() not in AZURE_REGIONS:
            raise ValueError("must be an Azure region name such as westeurope")
        return value.lower() if value else None
