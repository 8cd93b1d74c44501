"""The policy decision point: the one place that decides whether a principal holds a permission.

Inputs are the caller's grants (token roles, stored role assignments of the user and its groups,
approved just-in-time elevations), the role catalogue (built-in + custom roles with inheritance),
and what is known about the target (workspace, its region, the asset's sensitivity). Deny by
default: a permission holds only where some grant passes every rule, in this order:

1. ``grant_expired``          the grant's expiry (JIT elevations) has passed
2. ``grant_not_yet_valid``    its ``valid_from`` condition lies in the future
3. ``grant_validity_ended``   its ``valid_until`` condition has passed
4. ``permission_not_in_role`` the role (with everything it inherits) lacks the permission
5. ``grant_is_for_another_workspace`` a workspace-scoped grant, asked about another workspace (or a global action)
6. ``region_not_allowed``     its ``regions`` condition excludes the target's data-residency region
7. ``sensitivity_above_clearance`` the asset's sensitivity exceeds the grant's ``clearance``

Time is evaluated at decision time, so an elevation or a time-bound grant lapses by itself.
Sensitive permissions additionally need MFA evidence (``mfa_required``); the route layer enforces
that for every route, ``explain`` reports it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from core.auth.catalog import RoleCatalog
from core.auth.conditions import GrantConditions, ResourceAttributes, Sensitivity
from core.auth.principal import Principal
from core.auth.roles import is_sensitive
from core.errors import NotFound, PermissionDenied


class Rule(StrEnum):
    EXPIRED = "grant_expired"
    NOT_YET_VALID = "grant_not_yet_valid"
    VALIDITY_ENDED = "grant_validity_ended"
    PERMISSION_NOT_IN_ROLE = "permission_not_in_role"
    OTHER_WORKSPACE = "grant_is_for_another_workspace"
    REGION = "region_not_allowed"
    CLEARANCE = "sensitivity_above_clearance"
    NO_GRANT = "no_grant"
    MFA = "mfa_required"


class GrantSource(StrEnum):
    TOKEN = "token"  # a role claim in the bearer token (Entra app role, or a dev token role)
    ASSIGNMENT = "assignment"  # a stored role assignment to the user or one of its groups
    ELEVATION = "elevation"  # an approved just-in-time elevation


@dataclass(frozen=True)
class Grant:
    """One role held by a principal, globally (``workspace_id`` None) or in one workspace."""

    role: str
    workspace_id: UUID | None
    source: GrantSource
    principal_id: str
    id: str | None = None
    conditions: GrantConditions = field(default_factory=GrantConditions)
    expires_at: datetime | None = None

    def describe(self) -> str:
        where = f"workspace {self.workspace_id}" if self.workspace_id else "every workspace"
        origin = f"{self.source.value} {self.id}" if self.id else self.source.value
        return f"role {self.role} in {where} for {self.principal_id} ({origin})"


class WorkspaceDirectory(Protocol):
    """Workspace attributes the PDP needs (regions for data-residency conditions)."""

    def regions(self, ids: Collection[UUID]) -> dict[UUID, str]: ...

    def in_regions(self, regions: Collection[str]) -> set[UUID]: ...


class StaticDirectory:
    """A ``WorkspaceDirectory`` over a fixed mapping (tests, and callers that know the regions)."""

    def __init__(self, regions: Mapping[UUID, str] | None = None) -> None:
        self._regions = dict(regions or {})

    def regions(self, ids: Collection[UUID]) -> dict[UUID, str]:
        return {i: self._regions[i] for i in ids if i in self._regions}

    def in_regions(self, regions: Collection[str]) -> set[UUID]:
        return {i for i, r in self._regions.items() if r in regions}


@dataclass(frozen=True)
class WorkspaceScope:
    """A set of workspaces, or all of them."""

    everywhere: bool = False
    ids: frozenset[UUID] = frozenset()

    def allows(self, workspace_id: UUID) -> bool:
        return self.everywhere or workspace_id in self.ids

    @property
    def empty(self) -> bool:
        return not self.everywhere and not self.ids

    def sql(self, column: str) -> tuple[str, dict[str, object]]:
        """A WHERE fragment restricting ``column`` to this scope, with its parameters.

        ``column`` is always a literal from our own code, never caller input.
        """
        if self.everywhere:
            return "TRUE", {}
        return f"{column} = ANY(%(scope_ids)s)", {"scope_ids": list(self.ids)}


@dataclass(frozen=True)
class Access:
    """The caller, the permission a route requires, and where the caller holds it.

    Repositories filter by ``scope`` (outside it: not found); services call ``require_workspace``
    before writing into a workspace, ``require_global`` for platform-wide changes and
    ``require_resource`` once a resource's attributes (sensitivity, region) are known.
    """

    principal: Principal
    permission: str
    scope: WorkspaceScope
    visible: WorkspaceScope
    grants: tuple[Grant, ...] = ()

    def require_workspace(self, workspace_id: UUID) -> None:
        """Raise unless the permission holds in ``workspace_id``: 404 when the caller cannot see the
        workspace at all (its existence is not disclosed), 403 when it can see it but lacks the right."""
        if self.scope.allows(workspace_id):
            return
        if self.visible.allows(workspace_id):
            raise PermissionDenied(f"permission {self.permission} is required in this workspace")
        raise NotFound("workspace not found")

    def require_global(self) -> None:
        """Raise 403 unless the permission holds in every workspace (platform-wide changes)."""
        if not self.scope.everywhere:
            raise PermissionDenied(f"permission {self.permission} is required globally, not only in a workspace")

    def clearance(self, workspace_id: UUID) -> Sensitivity | None:
        """The highest sensitivity the caller may reach in ``workspace_id`` with this permission;
        None when no grant there limits it (repositories use it to filter assets)."""
        levels = [g.conditions.clearance for g in self.grants if g.workspace_id in (None, workspace_id)]
        if not levels or any(level is None for level in levels):
            return None
        return max((lv for lv in levels if lv is not None), key=lambda s: s.rank)

    def require_resource(
        self, workspace_id: UUID, attributes: ResourceAttributes, workspace_region: str | None = None
    ) -> None:
        """Raise unless some grant covers this resource (ABAC: region and clearance)."""
        self.require_workspace(workspace_id)
        region = attributes.region or workspace_region
        for grant in self.grants:
            if _target_denial(grant, workspace_id, region, attributes.sensitivity) is None:
                return
        raise PermissionDenied(
            f"no grant of {self.permission} covers this resource's sensitivity or region",
            code=Rule.CLEARANCE.value if attributes.sensitivity else Rule.REGION.value,
        )


def _static_denial(grant: Grant, permission: str, catalog: RoleCatalog, now: datetime) -> Rule | None:
    """Rules that do not depend on the target."""
    if grant.expires_at is not None and grant.expires_at <= now:
        return Rule.EXPIRED
    if grant.conditions.valid_from is not None and grant.conditions.valid_from > now:
        return Rule.NOT_YET_VALID
    if grant.conditions.valid_until is not None and grant.conditions.valid_until <= now:
        return Rule.VALIDITY_ENDED
    if not catalog.grants(grant.role, permission):
        return Rule.PERMISSION_NOT_IN_ROLE
    return None


def _target_denial(
    grant: Grant, workspace_id: UUID | None, region: str | None, sensitivity: Sensitivity | None
) -> Rule | None:
    """Rules about the target: workspace scope, data residency, clearance."""
    if grant.workspace_id is not None and grant.workspace_id != workspace_id:
        return Rule.OTHER_WORKSPACE
    if grant.conditions.regions is not None and (region is None or region not in grant.conditions.regions):
        return Rule.REGION
    clearance = grant.conditions.clearance
    if clearance is not None and sensitivity is not None and sensitivity.rank > clearance.rank:
        return Rule.CLEARANCE
    return None


def _live(grant: Grant, now: datetime) -> bool:
    return not (
        (grant.expires_at is not None and grant.expires_at <= now)
        or (grant.conditions.valid_from is not None and grant.conditions.valid_from > now)
        or (grant.conditions.valid_until is not None and grant.conditions.valid_until <= now)
    )


def build_access(
    principal: Principal,
    permission: str,
    grants: Iterable[Grant],
    *,
    catalog: RoleCatalog | None = None,
    directory: WorkspaceDirectory | None = None,
    now: datetime | None = None,
) -> Access:
    """Where ``permission`` holds for ``principal`` given its grants (the route layer's decision)."""
    catalog = catalog or RoleCatalog()
    directory = directory or StaticDirectory()
    now = now or datetime.now(UTC)
    grants = list(grants)
    applicable = [g for g in grants if _static_denial(g, permission, catalog, now) is None]
    everywhere = False
    ids: set[UUID] = set()
    for grant in applicable:
        regions = grant.conditions.regions
        if grant.workspace_id is None:
            if regions is None:
                everywhere = True
            else:
                ids |= directory.in_regions(regions)
        elif regions is None or directory.regions([grant.workspace_id]).get(grant.workspace_id) in regions:
            ids.add(grant.workspace_id)
    scope = WorkspaceScope(everywhere=True) if everywhere else WorkspaceScope(ids=frozenset(ids))
    live = [g for g in grants if _live(g, now)]
    if any(g.workspace_id is None for g in live):
        # A global grant of any kind lets the caller see that workspaces exist (so denials are 403).
        visible = WorkspaceScope(everywhere=True)
    else:
        visible = WorkspaceScope(ids=frozenset(g.workspace_id for g in live if g.workspace_id is not None))
    return Access(principal=principal, permission=permission, scope=scope, visible=visible, grants=tuple(applicable))


@dataclass(frozen=True)
class GrantEvaluation:
    grant: Grant
    denied_by: Rule | None  # None: this grant allows


@dataclass(frozen=True)
class Decision:
    """The outcome of one decision with the reasoning behind it."""

    allowed: bool
    rule: Rule | None  # the rule that denied (None when allowed)
    decided_by: Grant | None  # the grant that allowed (or would have, but for MFA)
    evaluations: tuple[GrantEvaluation, ...]
    message: str


def decide(
    principal: Principal,
    permission: str,
    grants: Iterable[Grant],
    *,
    workspace_id: UUID | None,
    resource: ResourceAttributes | None = None,
    workspace_region: str | None = None,
    catalog: RoleCatalog | None = None,
    now: datetime | None = None,
    check_mfa: bool = True,
) -> Decision:
    """Decide one concrete request and say why (``POST /api/v1/authz/explain``).

    ``workspace_id`` None asks about a platform-wide action (e.g. managing custom roles).
    """
    catalog = catalog or RoleCatalog()
    now = now or datetime.now(UTC)
    resource = resource or ResourceAttributes()
    region = resource.region or workspace_region
    evaluations = []
    for grant in grants:
        rule = _static_denial(grant, permission, catalog, now) or _target_denial(
            grant, workspace_id, region, resource.sensitivity
        )
        evaluations.append(GrantEvaluation(grant, rule))
    allowing = next((e.grant for e in evaluations if e.denied_by is None), None)
    where = f"workspace {workspace_id}" if workspace_id else "the platform (global)"
    if allowing is None:
        # The most specific reason: the denial of the grant that got furthest through the rules.
        order = list(Rule)
        rules = [e.denied_by for e in evaluations if e.denied_by is not None]
        rule = max(rules, key=order.index) if rules else Rule.NO_GRANT
        message = f"no grant gives {permission} in {where}" + (f" (closest: {rule.value})" if rules else "")
        return Decision(False, rule, None, tuple(evaluations), message)
    if check_mfa and is_sensitive(permission) and not principal.has_mfa:
        message = f"{allowing.describe()} gives {permission}, but it is sensitive and the token has no MFA claim"
        return Decision(False, Rule.MFA, allowing, tuple(evaluations), message)
    return Decision(True, None, allowing, tuple(evaluations), f"{allowing.describe()} gives {permission} in {where}")


def token_grants(principal: Principal, app_roles: Mapping[str, str] | None = None) -> list[Grant]:
    """Grants carried by the token itself.

    Global role claims (Entra app roles) map through ``app_roles`` (app-role value → role name);
    a claim that already names a role maps to it. Dev tokens minted with ``--workspace`` carry
    their roles only inside those workspaces.
    """
    app_roles = app_roles or {}
    grants = [
        Grant(app_roles.get(claim, claim), None, GrantSource.TOKEN, principal.subject)
        for claim in sorted(principal.roles)
    ]
    for workspace_id, roles in principal.workspace_roles.items():
        grants += [Grant(role, workspace_id, GrantSource.TOKEN, principal.subject) for role in sorted(roles)]
    return grants
