"""RBAC services: custom roles, role assignments, app-role mappings and decision explanations."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from core.auth.access import principal_grants, resolve_access
from core.auth.catalog import RoleCatalog, RoleDefinition
from core.auth.model import (
    APP_ROLE_VALUE,
    AppRoleMapping,
    AppRoleMappingSet,
    Assignment,
    AssignmentCreate,
    AssignmentQuery,
    ExplainRequest,
    Explanation,
    GrantEvaluationView,
    GrantView,
    Role,
    RoleCreate,
    RoleUpdate,
)
from core.auth.policy import Access, Grant, decide
from core.auth.principal import Principal
from core.auth.roles import BUILTIN_ROLES, KNOWN_PERMISSIONS, PERMISSIONS, WILDCARD
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.pagination import Page, decode_time_cursor, encode_time_cursor, page_of

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork


# -- roles ------------------------------------------------------------------------------------
def _role_view(name: str, catalog: RoleCatalog, row: dict | None = None) -> Role:
    if name in BUILTIN_ROLES:
        own = BUILTIN_ROLES[name]
        return Role(
            name=name,
            builtin=True,
            description="Built-in role",
            permissions=sorted(own),
            inherits=[],
            effective_permissions=sorted(KNOWN_PERMISSIONS if WILDCARD in own else own),
        )
    assert row is not None
    effective = catalog.permissions(name)
    return Role(
        name=name,
        builtin=False,
        description=row["description"],
        permissions=sorted(row["permissions"]),
        inherits=list(row["inherits"]),
        effective_permissions=sorted(KNOWN_PERMISSIONS if WILDCARD in effective else effective),
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def list_roles(uow: UnitOfWork, access: Access) -> list[Role]:
    """Every role: the built-ins, then custom roles by name."""
    rows = {row["name"]: row for row in uow.authz.custom_roles()}
    catalog = uow.authz.role_catalog()
    return [_role_view(n, catalog) for n in BUILTIN_ROLES] + [_role_view(n, catalog, r) for n, r in rows.items()]


def get_role(uow: UnitOfWork, access: Access, name: str) -> Role:
    catalog = uow.authz.role_catalog()
    canonical = catalog.canonical(name)
    if canonical is None:
        raise NotFound(f"no role named {name!r}", code="role_not_found")
    row = next((r for r in uow.authz.custom_roles() if r["name"] == canonical), None)
    return _role_view(canonical, catalog, row)


def _validated(catalog: RoleCatalog, name: str, permissions: list[str], inherits: list[str]) -> RoleDefinition:
    """The definition with canonical role names, or a 422 naming what is wrong."""
    unknown = sorted(set(permissions) - KNOWN_PERMISSIONS)
    if unknown:
        raise InvalidInput(
            f"unknown permission(s): {', '.join(unknown)}",
            code="unknown_permission",
            details={"unknown": unknown, "known": sorted(PERMISSIONS)},
        )
    parents = []
    for parent in inherits:
        canonical = name if parent.lower() == name.lower() else catalog.canonical(parent)
        if canonical is None:
            raise InvalidInput(f"cannot inherit unknown role {parent!r}", code="unknown_role", details={"role": parent})
        parents.append(canonical)
    definition = RoleDefinition(frozenset(permissions), tuple(dict.fromkeys(parents)))
    cycle = catalog.with_role(name, definition).find_cycle(name)
    if cycle:
        raise InvalidInput(
            f"role inheritance would form a cycle: {' → '.join(cycle)}", code="role_cycle", details={"cycle": cycle}
        )
    return definition


def create_role(uow: UnitOfWork, access: Access, command: RoleCreate) -> Role:
    """Create a custom role (platform-wide: needs ``authz:manage_roles`` globally)."""
    access.require_global()
    uow.authz.lock_roles()
    catalog = uow.authz.role_catalog()
    if catalog.canonical(command.name) is not None:
        raise Conflict(f"a role named {command.name!r} already exists", code="role_exists")
    definition = _validated(catalog, command.name, command.permissions, command.inherits)
    uow.authz.add_role(
        command.name, command.description, sorted(definition.permissions), list(definition.inherits), _who(access)
    )
    grants_changed(uow, "role.created", None, f"roles/{command.name}", role=command.name)
    uow.audit_note.target = f"roles/{command.name}"
    uow.commit()
    return get_role(uow, access, command.name)


def _custom_role_name(uow: UnitOfWork, name: str) -> str:
    canonical = uow.authz.role_catalog().canonical(name)
    if canonical is None:
        raise NotFound(f"no role named {name!r}", code="role_not_found")
    if canonical in BUILTIN_ROLES:
        raise Conflict(f"{canonical} is a built-in role and cannot be changed", code="builtin_role")
    return canonical


def update_role(uow: UnitOfWork, access: Access, name: str, command: RoleUpdate) -> Role:
    """Replace a custom role's definition (cycles and unknown permissions are rejected)."""
    access.require_global()
    uow.authz.lock_roles()
    canonical = _custom_role_name(uow, name)
    definition = _validated(uow.authz.role_catalog(), canonical, command.permissions, command.inherits)
    uow.authz.update_role(canonical, command.description, sorted(definition.permissions), list(definition.inherits))
    grants_changed(uow, "role.updated", None, f"roles/{canonical}", role=canonical)
    uow.audit_note.target = f"roles/{canonical}"
    uow.commit()
    return get_role(uow, access, canonical)


def delete_role(uow: UnitOfWork, access: Access, name: str) -> None:
    """Delete a custom role nothing refers to any more."""
    access.require_global()
    uow.authz.lock_roles()
    canonical = _custom_role_name(uow, name)
    usage = uow.authz.role_usage(canonical) + [
        f"inherited by {r}" for r in uow.authz.role_catalog().inheritors(canonical)
    ]
    if usage:
        raise Conflict(f"role {canonical} is still in use", code="role_in_use", details={"usage": usage})
    uow.authz.delete_role(canonical)
    grants_changed(uow, "role.deleted", None, f"roles/{canonical}", role=canonical)
    uow.audit_note.target = f"roles/{canonical}"
    uow.commit()


# -- assignments ------------------------------------------------------------------------------
def _who(access: Access) -> str:
    return access.principal.subject


def grants_changed(uow: UnitOfWork, change: str, workspace_id: UUID | None, subject: str, **data: Any) -> None:
    """Tell the platform that who-may-do-what changed (``datawave.authz.<change>``), in the same
    transaction as the change. Consumers such as compliance re-evaluate the workspace it names, or
    every workspace when ``workspace_id`` is None (global grants and role definitions)."""
    payload = {"workspace_id": str(workspace_id) if workspace_id else None, **data}
    uow.outbox.add(f"datawave.authz.{change}", workspace_id=workspace_id, subject=subject, data=payload)


def require_existing_workspace(uow: UnitOfWork, access: Access, workspace_id: UUID) -> None:
    """404 ``workspace_not_found`` when the workspace does not exist or the caller cannot see it (the
    two are indistinguishable to the caller); 403 when visible but the permission is missing."""
    if not access.visible.allows(workspace_id) or not uow.workspaces.exists(workspace_id):
        raise NotFound("workspace not found", code="workspace_not_found")
    access.require_workspace(workspace_id)


def _holds_permissions_of(
    uow: UnitOfWork, principal: Principal, role: str, workspace_id: UUID | None, catalog: RoleCatalog
) -> bool:
    """True when ``principal`` itself holds every permission of ``role`` where it would apply, so
    nobody can hand out (or approve) more than they have."""
    now = datetime.now(UTC)
    grants, _ = principal_grants(uow, principal, now)
    held: set[str] = set()
    for grant in grants:
        live = grant.expires_at is None or grant.expires_at > now
        if live and grant.workspace_id in (None, workspace_id):
            held |= catalog.permissions(grant.role)
    if WILDCARD in held:
        return True
    wanted = catalog.permissions(role)
    return WILDCARD not in wanted and wanted <= held


def require_grantable(uow: UnitOfWork, access: Access, role: str, workspace_id: UUID | None) -> None:
    if not _holds_permissions_of(uow, access.principal, role, workspace_id, uow.authz.role_catalog()):
        raise PermissionDenied(
            f"you cannot grant {role}: it carries permissions you do not hold there", code="escalation_denied"
        )


def canonical_role(uow: UnitOfWork, role: str) -> str:
    canonical = uow.authz.role_catalog().canonical(role)
    if canonical is None:
        raise InvalidInput(f"no role named {role!r}", code="unknown_role", details={"role": role})
    return canonical


def create_assignment(uow: UnitOfWork, access: Access, command: AssignmentCreate) -> Assignment:
    """Give a user or group a role in one workspace (or globally), with optional conditions."""
    if command.workspace_id is None:
        access.require_global()
    else:
        require_existing_workspace(uow, access, command.workspace_id)
    role = canonical_role(uow, command.role)
    require_grantable(uow, access, role, command.workspace_id)
    assignment = Assignment(
        id=uuid.uuid4(),
        principal_id=command.principal_id,
        principal_type=command.principal_type,
        role=role,
        workspace_id=command.workspace_id,
        conditions=command.conditions,
        created_by=_who(access),
        created_at=datetime.now(UTC),
    )
    uow.authz.add_assignment(assignment)
    _assignment_changed(uow, "assignment.created", assignment)
    uow.audit_note.workspace_id = command.workspace_id
    uow.audit_note.target = f"assignments/{assignment.id}"
    uow.commit()
    return assignment


def _assignment_changed(uow: UnitOfWork, change: str, assignment: Assignment) -> None:
    grants_changed(
        uow,
        change,
        assignment.workspace_id,
        f"assignments/{assignment.id}",
        assignment_id=str(assignment.id),
        principal_id=assignment.principal_id,
        principal_type=assignment.principal_type.value,
        role=assignment.role,
    )


def get_assignment(uow: UnitOfWork, access: Access, assignment_id: UUID) -> Assignment:
    assignment = uow.authz.get_assignment(access.scope, assignment_id)
    if assignment is None:
        raise NotFound("assignment not found", code="assignment_not_found")
    return assignment


def delete_assignment(uow: UnitOfWork, access: Access, assignment_id: UUID) -> None:
    assignment = get_assignment(uow, access, assignment_id)
    uow.authz.delete_assignment(assignment_id)
    _assignment_changed(uow, "assignment.deleted", assignment)
    uow.audit_note.workspace_id = assignment.workspace_id
    uow.audit_note.target = f"assignments/{assignment_id}"
    uow.audit_note.change = {"removed": assignment.model_dump(mode="json")}
    uow.commit()


def list_assignments(uow: UnitOfWork, access: Access, query: AssignmentQuery) -> Page[Assignment]:
    if query.workspace_id is not None:
        require_existing_workspace(uow, access, query.workspace_id)
    after = decode_time_cursor(query.cursor)
    items = uow.authz.list_assignments(
        access.scope,
        workspace_id=query.workspace_id,
        principal_id=query.principal_id,
        role=query.role,
        after=after,
        limit=query.limit + 1,
    )
    items, next_cursor = page_of(items, query.limit, lambda a: encode_time_cursor(a.created_at, a.id))
    return Page[Assignment](items=items, next_cursor=next_cursor)


# -- app-role mappings ------------------------------------------------------------------------
def list_app_roles(uow: UnitOfWork, access: Access) -> list[AppRoleMapping]:
    return uow.authz.list_app_roles()


def set_app_role(uow: UnitOfWork, access: Access, app_role: str, command: AppRoleMappingSet) -> AppRoleMapping:
    """Map an Entra app-role value to a role: tokens carrying it hold that role globally."""
    access.require_global()
    if not re.fullmatch(APP_ROLE_VALUE, app_role):
        raise InvalidInput(
            "an app role value is 1-120 printable ASCII characters without spaces (as Entra ID allows)",
            code="invalid_app_role",
            details={"field": "path.app_role"},
        )
    role = canonical_role(uow, command.role)
    mapping = uow.authz.set_app_role(app_role, role, _who(access))
    grants_changed(uow, "app_role.mapped", None, f"app-roles/{app_role}", app_role=app_role, role=role)
    uow.audit_note.target = f"app-roles/{app_role}"
    uow.commit()
    return mapping


def delete_app_role(uow: UnitOfWork, access: Access, app_role: str) -> None:
    access.require_global()
    if not uow.authz.delete_app_role(app_role):
        raise NotFound(f"no mapping for app role {app_role!r}", code="app_role_not_found")
    grants_changed(uow, "app_role.unmapped", None, f"app-roles/{app_role}", app_role=app_role)
    uow.audit_note.target = f"app-roles/{app_role}"
    uow.commit()


# -- explain ----------------------------------------------------------------------------------
def _grant_view(grant: Grant) -> GrantView:
    return GrantView(
        source=grant.source.value,
        id=grant.id,
        principal_id=grant.principal_id,
        role=grant.role,
        workspace_id=grant.workspace_id,
        conditions=grant.conditions,
        expires_at=grant.expires_at,
    )


def explain(uow: UnitOfWork, access: Access, request: ExplainRequest) -> Explanation:
    """Decide ``request`` with the policy decision point and say which grant allowed it or which rule
    denied it. Explaining another principal's decision needs ``authz:read`` where it applies."""
    if request.permission not in KNOWN_PERMISSIONS:
        raise InvalidInput(f"unknown permission {request.permission!r}", code="unknown_permission")
    if request.workspace_id is not None:
        # A workspace the caller cannot see is not found, whoever the decision is about.
        if not access.visible.allows(request.workspace_id) or not uow.workspaces.exists(request.workspace_id):
            raise NotFound("workspace not found", code="workspace_not_found")
    principal = access.principal
    if request.principal is not None:
        reader = resolve_access(uow, access.principal, "authz:read")
        if request.workspace_id is None:
            reader.require_global()
        else:
            reader.require_workspace(request.workspace_id)
        principal = Principal(
            subject=request.principal.subject,
            roles=frozenset(request.principal.roles),
            groups=frozenset(request.principal.groups),
            amr=frozenset({"mfa"} if request.principal.mfa else set()),
        )
    now = request.at or datetime.now(UTC)
    grants, catalog = principal_grants(uow, principal, now)
    region = uow.workspaces.regions([request.workspace_id]).get(request.workspace_id) if request.workspace_id else None
    decision = decide(
        principal,
        request.permission,
        grants,
        workspace_id=request.workspace_id,
        resource=request.resource,
        workspace_region=region,
        catalog=catalog,
        now=now,
    )
    return Explanation(
        allowed=decision.allowed,
        permission=request.permission,
        workspace_id=request.workspace_id,
        rule=decision.rule.value if decision.rule else None,
        decided_by=_grant_view(decision.decided_by) if decision.decided_by else None,
        message=decision.message,
        evaluations=[
            GrantEvaluationView(grant=_grant_view(e.grant), outcome=e.denied_by.value if e.denied_by else "allow")
            for e in decision.evaluations
        ],
    )
