"""RBAC commands and views (pydantic models shared by the services and the API)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from core.auth.conditions import GrantConditions, ResourceAttributes

ROLE_NAME = r"^[A-Za-z][A-Za-z0-9_.\-]{2,63}$"
PERMISSION_NAME = r"^[a-z][a-z_]*:[a-z][a-z_]*$"
# An Entra app role's value (what tokens carry in ``roles``): at most 120 characters, no spaces, printable ASCII.
APP_ROLE_VALUE = r"^[!-~]{1,120}$"
_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RoleCreate(BaseModel):
    """A custom role: its own permissions plus every permission of the roles it inherits."""

    model_config = ConfigDict(
        **_STRICT,
        json_schema_extra={
            "examples": [
                {
                    "name": "PiiReviewer",
                    "description": "Reviews PII classifications",
                    "permissions": ["catalog:review"],
                    "inherits": ["Viewer"],
                }
            ]
        },
    )

    name: str = Field(pattern=ROLE_NAME, description="Unique (case-insensitive) role name.")
    description: str = Field("", max_length=500)
    permissions: list[str] = Field(default_factory=list, max_length=200)
    inherits: list[str] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _grants_something(self) -> RoleCreate:
        _check_definition(self.permissions, self.inherits)
        return self


class RoleUpdate(BaseModel):
    """A custom role's new definition (replaces permissions and inherits)."""

    model_config = ConfigDict(
        **_STRICT,
        json_schema_extra={
            "examples": [{"description": "Reviews PII", "permissions": ["catalog:review"], "inherits": []}]
        },
    )

    description: str = Field("", max_length=500)
    permissions: list[str] = Field(default_factory=list, max_length=200)
    inherits: list[str] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _grants_something(self) -> RoleUpdate:
        _check_definition(self.permissions, self.inherits)
        return self


def _check_definition(permissions: list[str], inherits: list[str]) -> None:
    import re

    bad = [p for p in permissions if not re.fullmatch(PERMISSION_NAME, p)]
    if bad:
        raise ValueError("permissions must look like resource:action")
    bad = [r for r in inherits if not re.fullmatch(ROLE_NAME, r)]
    if bad:
        raise ValueError("inherits must list role names")
    if not permissions and not inherits:
        raise ValueError("a role needs at least one permission or inherited role")


class Role(BaseModel):
    """A role as the API shows it (built-in or custom)."""

    name: str
    builtin: bool
    description: str
    permissions: list[str] = Field(description="The role's own permissions (sorted).")
    inherits: list[str]
    effective_permissions: list[str] = Field(description="Own plus inherited permissions (sorted).")
    created_by: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class PrincipalType(StrEnum):
    USER = "user"
    GROUP = "group"


class AssignmentCreate(BaseModel):
    """Give a user or an Entra group a role in one workspace, or globally (``workspace_id`` null)."""

    model_config = ConfigDict(
        **_STRICT,
        json_schema_extra={
            "examples": [
                {
                    "principal_id": "3f2c8f4e-0000-4000-8000-000000000001",
                    "principal_type": "user",
                    "role": "DataSteward",
                    "workspace_id": "7d1e6c52-0000-4000-8000-000000000002",
                    "conditions": {"clearance": "Confidential", "regions": ["westeurope"]},
                }
            ]
        },
    )

    principal_id: str = Field(min_length=1, max_length=200, description="User object id (oid/sub) or group id.")
    principal_type: PrincipalType = PrincipalType.USER
    role: str = Field(pattern=ROLE_NAME)
    workspace_id: UUID | None = Field(None, description="The workspace; null for a global assignment.")
    conditions: GrantConditions = Field(default_factory=GrantConditions)


class Assignment(BaseModel):
    id: UUID
    principal_id: str
    principal_type: PrincipalType
    role: str
    workspace_id: UUID | None
    conditions: GrantConditions
    created_by: str
    created_at: datetime


class AssignmentQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace_id: UUID | None = None
    principal_id: str | None = Field(None, max_length=200)
    role: str | None = Field(None, max_length=64)
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


class AppRoleMappingSet(BaseModel):
    """Map an Entra app-role value (token ``roles`` claim) to a DataWave role."""

    model_config = ConfigDict(**_STRICT, json_schema_extra={"examples": [{"role": "DataSteward"}]})

    role: str = Field(pattern=ROLE_NAME)


class AppRoleMapping(BaseModel):
    app_role: str
    role: str
    created_by: str
    created_at: datetime


class ElevationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


class ElevationCreate(BaseModel):
    """Ask for a role for a limited time; another principal with ``authz:approve`` decides."""

    model_config = ConfigDict(
        **_STRICT,
        json_schema_extra={
            "examples": [
                {
                    "role": "DataEngineer",
                    "workspace_id": "7d1e6c52-0000-4000-8000-000000000002",
                    "duration_minutes": 60,
                    "reason": "Rotate the finance warehouse credentials (INC-1234)",
                }
            ]
        },
    )

    role: str = Field(pattern=ROLE_NAME)
    workspace_id: UUID | None = Field(None, description="The workspace; null asks for a global elevation.")
    duration_minutes: int = Field(ge=5, le=480, description="How long the role holds once approved.")
    reason: str = Field(min_length=10, max_length=1000)


class ElevationDecision(BaseModel):
    model_config = ConfigDict(**_STRICT, json_schema_extra={"examples": [{"reason": "Approved for INC-1234"}]})

    reason: str = Field("", max_length=1000)


class Elevation(BaseModel):
    id: UUID
    principal_id: str
    role: str
    workspace_id: UUID | None
    duration_minutes: int
    reason: str
    status: ElevationStatus
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    expires_at: datetime | None
    active: bool = Field(description="Approved and not yet expired (evaluated now).")


class ElevationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["pending", "approved", "denied"] | None = None
    workspace_id: UUID | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


class ExplainPrincipal(BaseModel):
    """Another principal to explain a decision for (needs ``authz:read``)."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=200)
    groups: list[str] = Field(default_factory=list, max_length=200)
    roles: list[str] = Field(default_factory=list, max_length=50, description="Token role claims (global).")
    mfa: bool = False


class ExplainRequest(BaseModel):
    """The request to explain: a permission, where, and on what."""

    model_config = ConfigDict(
        **_STRICT,
        json_schema_extra={
            "examples": [
                {
                    "permission": "catalog:read",
                    "workspace_id": "7d1e6c52-0000-4000-8000-000000000002",
                    "resource": {"sensitivity": "Highly Confidential"},
                }
            ]
        },
    )

    permission: str = Field(pattern=PERMISSION_NAME)
    workspace_id: UUID | None = Field(None, description="null asks about a global action.")
    resource: ResourceAttributes = Field(default_factory=ResourceAttributes)
    principal: ExplainPrincipal | None = Field(None, description="Omit to explain the caller's own decision.")
    at: AwareDatetime | None = Field(None, description="Decide as of this instant, with its UTC offset (default: now).")


class GrantView(BaseModel):
    source: str
    id: str | None
    principal_id: str
    role: str
    workspace_id: UUID | None
    conditions: GrantConditions
    expires_at: datetime | None


class GrantEvaluationView(BaseModel):
    grant: GrantView
    outcome: str = Field(description="'allow' or the rule that denied this grant.")


class Explanation(BaseModel):
    allowed: bool
    permission: str
    workspace_id: UUID | None
    rule: str | None = Field(description="The rule that denied the request; null when allowed.")
    decided_by: GrantView | None = Field(description="The grant that allowed it.")
    message: str
    evaluations: list[GrantEvaluationView]
