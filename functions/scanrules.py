"""Scan rule sets: versioned classification rule documents per workspace, and built-in templates.

An edit (PUT) appends a new immutable version; DELETE retires the rule set (its versions stay
readable, because scans pin ``rule_set_id`` + ``version``).
"""

from __future__ import annotations

from uuid import UUID

import azure.durable_functions as df

from core.classification.rule_sets import Template
from core.pagination import Page, PageQuery
from core.scanrules import service
from core.scanrules.model import (
    RuleSet,
    RuleSetCreate,
    RuleSetId,
    RuleSetListQuery,
    RuleSetUpdate,
    RuleSetVersion,
    RuleSetVersionSummary,
)
from functions.api import Api, RequestContext

bp = df.Blueprint()
api = Api(bp, tag="scanrules")

_BASE = "v1/workspaces/{workspace_id}/scan-rule-sets"


@api.get("v1/scan-rule-sets/templates", permission="scanrules:read")
def list_rule_set_templates() -> list[Template]:
    """Built-in templates (GDPR personal data, HIPAA PHI, PCI-DSS, CCPA, credentials) and the
    classifications each selects; instantiate one with POST .../scan-rule-sets {"template": id}."""
    return service.list_templates()


@api.post(_BASE, permission="scanrules:write", status=201)
def create_rule_set(ctx: RequestContext, workspace_id: UUID, body: RuleSetCreate) -> RuleSet:
    """Create a rule set (version 1), from scratch or from a built-in template."""
    return service.create_rule_set(ctx.uow, ctx.access, workspace_id, body)


@api.get(_BASE, permission="scanrules:read")
def list_rule_sets(ctx: RequestContext, workspace_id: UUID, query: RuleSetListQuery) -> Page[RuleSet]:
    """The workspace's rule sets by id (retired ones only with include_retired=true)."""
    return service.list_rule_sets(ctx.uow, ctx.access, workspace_id, query)


@api.get(_BASE + "/{rule_set_id}", permission="scanrules:read")
def get_rule_set(ctx: RequestContext, workspace_id: UUID, rule_set_id: RuleSetId) -> RuleSet:
    """A rule set with its latest version's document."""
    return service.get_rule_set(ctx.uow, ctx.access, workspace_id, rule_set_id)


@api.put(_BASE + "/{rule_set_id}", permission="scanrules:write")
def update_rule_set(ctx: RequestContext, workspace_id: UUID, rule_set_id: RuleSetId, body: RuleSetUpdate) -> RuleSet:
    """Replace the rule set's content: creates version latest + 1 (older versions stay as they were)."""
    return service.update_rule_set(ctx.uow, ctx.access, workspace_id, rule_set_id, body)


@api.delete(_BASE + "/{rule_set_id}", permission="scanrules:write")
def retire_rule_set(ctx: RequestContext, workspace_id: UUID, rule_set_id: RuleSetId) -> None:
    """Retire the rule set: no new versions or classifications; every version stays readable."""
    service.retire_rule_set(ctx.uow, ctx.access, workspace_id, rule_set_id)


@api.get(_BASE + "/{rule_set_id}/versions", permission="scanrules:read")
def list_rule_set_versions(
    ctx: RequestContext, workspace_id: UUID, rule_set_id: RuleSetId, query: PageQuery
) -> Page[RuleSetVersionSummary]:
    """The rule set's version history, oldest first."""
    return service.list_versions(ctx.uow, ctx.access, workspace_id, rule_set_id, query.cursor, query.limit)


@api.get(_BASE + "/{rule_set_id}/versions/{version}", permission="scanrules:read")
def get_rule_set_version(
    ctx: RequestContext, workspace_id: UUID, rule_set_id: RuleSetId, version: int
) -> RuleSetVersion:
    """One immutable version of the rule set (also after it was retired)."""
    return service.get_version(ctx.uow, ctx.access, workspace_id, rule_set_id, version)
