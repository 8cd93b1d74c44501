"""The identity background work acts under (a scan's activities, event consumers).

A background job was authorised when it was requested; while it runs it holds exactly one
permission in exactly one workspace, under an actor name that says which job acted (audit trail).
"""

from __future__ import annotations

from uuid import UUID

from core.auth.access import Access
from core.auth.policy import Grant, GrantSource, build_access
from core.auth.principal import Principal


def service_access(workspace_id: UUID, permission: str, actor: str, name: str | None = None) -> Access:
    principal = Principal(subject=actor, name=name or actor)
    grant = Grant("Admin", workspace_id, GrantSource.ASSIGNMENT, actor)
    return build_access(principal, permission, [grant])
