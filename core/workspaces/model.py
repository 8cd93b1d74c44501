"""Workspace commands and views (pydantic models shared by the service and the API)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.workspaces.regions import AZURE_REGIONS


class WorkspaceCreate(BaseModel):
    """A new workspace."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"name": "Finance EU", "description": "Finance data", "region": "westeurope"}]},
    )

    name: str = Field(
        min_length=3,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.\-]*$",
        description="Unique (case-insensitive) display name.",
        examples=["Finance EU"],
    )
    description: str = Field("", max_length=2000)
    region: str = Field(
        "westeurope",
        description="Data residency: the Azure region where this workspace's data must stay.",
        examples=["westeurope"],
    )

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        value = value.lower()
        if value not in AZURE_REGIONS:
            raise ValueError("must be an Azure region name such as westeurope or eastus2")
        return value


class Workspace(BaseModel):
    """A workspace as the API shows it."""

    id: UUID
    name: str
    description: str
    region: str
    created_by: str
    created_at: datetime
    updated_at: datetime
