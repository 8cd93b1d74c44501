"""Just-in-time elevation: a principal asks for a role for a while, someone else decides.

An approved request is a grant with an expiry; the policy decision point checks the expiry at every
decision, so the role lapses by itself (no job has to revoke it). A requester can never decide its
own request, and an approver can only approve roles whose permissions it holds itself.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from core.auth.access import resolve_access
from core.auth.model import Elevation, ElevationCreate, ElevationDecision, ElevationQuery, ElevationStatus
from core.auth.policy import Access
from core.auth.service import canonical_role, grants_changed, require_existing_workspace, require_grantable
from core.errors import Conflict, NotFound, PermissionDenied
from core.pagination import Page, decode_time_cursor, encode_time_cursor, page_of

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork


def request_elevation(uow: UnitOfWork, access: Access, command: ElevationCreate) -> Elevation:
    """Ask for ``role`` in a workspace the caller belongs to (or globally) for a limited time."""
    if command.workspace_id is None:
        access.require_global()
    else:
        require_existing_workspace(uow, access, command.workspace_id)
    role = canonical_role(uow, command.role)
    elevation = Elevation(
        id=uuid.uuid4(),
        principal_id=access.principal.subject,
        role=role,
        workspace_id=command.workspace_id,
        duration_minutes=command.duration_minutes,
        reason=command.reason,
        status=ElevationStatus.PENDING,
        requested_at=datetime.now(UTC),
        decided_by=None,
        decided_at=None,
        decision_reason=None,
        expires_at=None,
        active=False,
    )
    uow.authz.add_elevation(elevation)
    uow.audit_note.workspace_id = command.workspace_id
    uow.audit_note.target = f"elevations/{elevation.id}"
    uow.commit()
    return elevation


def _approver_scope(uow: UnitOfWork, access: Access) -> Access:
    return access if access.permission == "authz:approve" else resolve_access(uow, access.principal, "authz:approve")


def get_elevation(uow: UnitOfWork, access: Access, elevation_id: UUID) -> Elevation:
    """A request the caller made or may decide (404 otherwise)."""
    approver = _approver_scope(uow, access)
    found = uow.authz.get_elevation(approver.scope, elevation_id, datetime.now(UTC), requester=access.principal.subject)
    if found is None:
        raise NotFound("elevation request not found", code="elevation_not_found")
    return found


def list_elevations(uow: UnitOfWork, access: Access, query: ElevationQuery) -> Page[Elevation]:
    """The caller's own requests and those it may decide, oldest first."""
    if query.workspace_id is not None:
        require_existing_workspace(uow, access, query.workspace_id)
    after = decode_time_cursor(query.cursor)
    items = uow.authz.list_elevations(
        _approver_scope(uow, access).scope,
        access.principal.subject,
        datetime.now(UTC),
        status=query.status,
        workspace_id=query.workspace_id,
        after=after,
        limit=query.limit + 1,
    )
    items, next_cursor = page_of(items, query.limit, lambda e: encode_time_cursor(e.requested_at, e.id))
    return Page[Elevation](items=items, next_cursor=next_cursor)


def decide_elevation(
    uow: UnitOfWork, access: Access, elevation_id: UUID, decision: ElevationDecision, *, approve: bool
) -> Elevation:
    """Approve (the role holds from now for the requested duration) or deny a pending request."""
    now = datetime.now(UTC)
    elevation = uow.authz.get_elevation(
        access.scope, elevation_id, now, requester=access.principal.subject, for_update=True
    )
    if elevation is None:
        raise NotFound("elevation request not found", code="elevation_not_found")
    if elevation.principal_id == access.principal.subject:
        raise PermissionDenied("nobody may decide their own elevation request", code="self_approval_forbidden")
    if elevation.status is not ElevationStatus.PENDING:
        raise Conflict(f"the request was already {elevation.status.value}", code="elevation_already_decided")
    if elevation.workspace_id is None:
        access.require_global()
    if approve:
        require_grantable(uow, access, elevation.role, elevation.workspace_id)
    expires_at = now + timedelta(minutes=elevation.duration_minutes) if approve else None
    status = ElevationStatus.APPROVED if approve else ElevationStatus.DENIED
    uow.authz.decide_elevation(elevation_id, status, access.principal.subject, now, decision.reason, expires_at)
    if approve:
        grants_changed(
            uow,
            "elevation.approved",
            elevation.workspace_id,
            f"elevations/{elevation_id}",
            elevation_id=str(elevation_id),
            principal_id=elevation.principal_id,
            role=elevation.role,
            expires_at=expires_at.isoformat() if expires_at else None,
        )
    uow.audit_note.workspace_id = elevation.workspace_id
    uow.audit_note.target = f"elevations/{elevation_id}"
    uow.audit_note.change = {"status": status.value, "expires_at": expires_at.isoformat() if expires_at else None}
    uow.commit()
    return get_elevation(uow, access, elevation_id)
