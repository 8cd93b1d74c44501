"""Catalog and lineage: assets, classifications review, search, glossary, lineage and impact."""

from __future__ import annotations

from uuid import UUID

import azure.durable_functions as df

from core.catalog import assets, glossary, lineage, review, search
from core.catalog.glossary import Term, TermCreate, TermPatch
from core.catalog.lineage import (
    Edge,
    EdgeCreate,
    EdgePatch,
    Impact,
    ImpactQuery,
    IngestResult,
    LineageGraph,
    LineageQuery,
)
from core.catalog.model import (
    Asset,
    AssetCreate,
    AssetPatch,
    BulkReview,
    Classification,
    ClassificationAdd,
    DiscoveredTable,
    Review,
    ReviewResult,
    SchemaChange,
    UpsertResult,
)
from core.catalog.openlineage import RunEvent, RunEventBatch
from core.catalog.search import SearchQuery, SearchResults
from core.pagination import Page, PageQuery
from functions.api import Api, RequestContext

bp = df.Blueprint()
api = Api(bp, tag="catalog")


# -- assets ---------------------------------------------------------------------------------------
@api.post("v1/workspaces/{workspace_id}/catalog/assets", permission="catalog:write", status=201)
def create_asset(ctx: RequestContext, workspace_id: UUID, body: AssetCreate) -> Asset:
    """Register an asset by qualified name (idempotent: the same name is the same asset)."""
    return assets.create_asset(ctx.uow, ctx.access, workspace_id, body)


@api.post("v1/workspaces/{workspace_id}/catalog/scan-results", permission="catalog:write")
def upsert_scan_result(ctx: RequestContext, workspace_id: UUID, body: DiscoveredTable) -> UpsertResult:
    """Record what a scan found in one table: columns, schema changes, suggested classifications."""
    return assets.upsert_discovered(ctx.uow, ctx.access, workspace_id, body)


@api.get("v1/catalog/assets/{asset_id}", permission="catalog:read")
def get_asset(ctx: RequestContext, asset_id: UUID) -> Asset:
    """One asset with owners, classifications, glossary terms and children."""
    return assets.get_asset(ctx.uow, ctx.access, asset_id)


@api.patch("v1/catalog/assets/{asset_id}", permission="catalog:write")
def update_asset(ctx: RequestContext, asset_id: UUID, body: AssetPatch) -> Asset:
    """Change an asset's description, properties, tags or owners."""
    return assets.update_asset(ctx.uow, ctx.access, asset_id, body)


@api.delete("v1/catalog/assets/{asset_id}", permission="catalog:delete")
def delete_asset(ctx: RequestContext, asset_id: UUID) -> None:
    """Delete an asset with its children, classifications and lineage."""
    assets.delete_asset(ctx.uow, ctx.access, asset_id)


@api.get("v1/catalog/assets/{asset_id}/schema-changes", permission="catalog:read")
def list_schema_changes(ctx: RequestContext, asset_id: UUID, query: PageQuery) -> Page[SchemaChange]:
    """Columns added, removed and retyped by scans, oldest first."""
    return assets.schema_changes(ctx.uow, ctx.access, asset_id, query.cursor, query.limit)


@api.get("v1/catalog/search", permission="catalog:read")
def search_catalog(ctx: RequestContext, query: SearchQuery) -> SearchResults:
    """Full-text search with filters and facet counts over the caller's workspaces."""
    return search.search(ctx.uow, ctx.access, query)


# -- classifications ------------------------------------------------------------------------------
@api.post("v1/catalog/assets/{asset_id}/classifications", permission="catalog:review", status=201)
def add_classification(ctx: RequestContext, asset_id: UUID, body: ClassificationAdd) -> Classification:
    """Classify an asset by hand (accepted, source manual; propagates downstream)."""
    return review.add_classification(ctx.uow, ctx.access, asset_id, body)


@api.post("v1/catalog/classifications/{asset_classification_id}/review", permission="catalog:review")
def review_classification(ctx: RequestContext, asset_classification_id: UUID, body: Review) -> Classification:
    """Accept, reject or reopen a classification, with a reason (audited)."""
    return review.review(ctx.uow, ctx.access, asset_classification_id, body)


@api.post("v1/workspaces/{workspace_id}/catalog/classifications/review", permission="catalog:review")
def bulk_review(ctx: RequestContext, workspace_id: UUID, body: BulkReview) -> ReviewResult:
    """Decide many classifications at once: all of them or none."""
    return review.bulk_review(ctx.uow, ctx.access, workspace_id, body)


# -- glossary -------------------------------------------------------------------------------------
@api.post("v1/workspaces/{workspace_id}/glossary/terms", permission="catalog:write", status=201)
def create_term(ctx: RequestContext, workspace_id: UUID, body: TermCreate) -> Term:
    """Add a glossary term (optionally under a parent term)."""
    return glossary.create_term(ctx.uow, ctx.access, workspace_id, body)


@api.get("v1/workspaces/{workspace_id}/glossary/terms", permission="catalog:read")
def list_terms(ctx: RequestContext, workspace_id: UUID, query: PageQuery) -> Page[Term]:
    """The workspace's glossary, by name."""
    return glossary.list_terms(ctx.uow, ctx.access, workspace_id, query.cursor, query.limit)


@api.get("v1/glossary/terms/{term_id}", permission="catalog:read")
def get_term(ctx: RequestContext, term_id: UUID) -> Term:
    """One glossary term."""
    return glossary.get_term(ctx.uow, ctx.access, term_id)


@api.patch("v1/glossary/terms/{term_id}", permission="catalog:write")
def update_term(ctx: RequestContext, term_id: UUID, body: TermPatch) -> Term:
    """Change a term's name, definition, parent, synonyms, owners or status."""
    return glossary.update_term(ctx.uow, ctx.access, term_id, body)


@api.put("v1/catalog/assets/{asset_id}/terms/{term_id}", permission="catalog:write", status=204)
def link_term(ctx: RequestContext, asset_id: UUID, term_id: UUID) -> None:
    """Link a glossary term to an asset."""
    glossary.link_term(ctx.uow, ctx.access, asset_id, term_id)


@api.delete("v1/catalog/assets/{asset_id}/terms/{term_id}", permission="catalog:write", status=204)
def unlink_term(ctx: RequestContext, asset_id: UUID, term_id: UUID) -> None:
    """Unlink a glossary term from an asset."""
    glossary.link_term(ctx.uow, ctx.access, asset_id, term_id, linked=False)


# -- lineage --------------------------------------------------------------------------------------
@api.post("v1/workspaces/{workspace_id}/lineage", permission="lineage:write", status=201)
def record_run_event(ctx: RequestContext, workspace_id: UUID, body: RunEvent) -> IngestResult:
    """Record an OpenLineage RunEvent (the openlineage-python HTTP transport's endpoint)."""
    return lineage.record_events(ctx.uow, ctx.access, workspace_id, [body])


@api.post("v1/workspaces/{workspace_id}/lineage/batch", permission="lineage:write", status=201)
def record_run_events(ctx: RequestContext, workspace_id: UUID, body: RunEventBatch) -> IngestResult:
    """Record several OpenLineage RunEvents: all or none."""
    return lineage.record_events(ctx.uow, ctx.access, workspace_id, body.events)


@api.post("v1/lineage", permission="lineage:write", status=201)
def record_run_event_default(ctx: RequestContext, body: RunEvent) -> IngestResult:
    """Record an OpenLineage RunEvent in the only workspace the token may write lineage in."""
    return lineage.record_events(ctx.uow, ctx.access, lineage.default_workspace(ctx.access), [body])


@api.post("v1/workspaces/{workspace_id}/lineage/edges", permission="lineage:write", status=201)
def create_edge(ctx: RequestContext, workspace_id: UUID, body: EdgeCreate) -> Edge:
    """Record a lineage edge by hand (table to table or column to column)."""
    return lineage.create_edge(ctx.uow, ctx.access, workspace_id, body)


@api.patch("v1/lineage/edges/{edge_id}", permission="lineage:write")
def update_edge(ctx: RequestContext, edge_id: UUID, body: EdgePatch) -> Edge:
    """Block or unblock classification propagation along an edge."""
    return lineage.update_edge(ctx.uow, ctx.access, edge_id, body)


@api.delete("v1/lineage/edges/{edge_id}", permission="lineage:write")
def delete_edge(ctx: RequestContext, edge_id: UUID) -> None:
    """Remove a lineage edge (what propagated along it is withdrawn)."""
    lineage.delete_edge(ctx.uow, ctx.access, edge_id)


@api.get("v1/catalog/assets/{asset_id}/lineage", permission="lineage:read")
def get_lineage(ctx: RequestContext, asset_id: UUID, query: LineageQuery) -> LineageGraph:
    """The lineage graph around an asset, upstream and/or downstream, up to a depth."""
    return lineage.graph(ctx.uow, ctx.access, asset_id, query)


@api.get("v1/catalog/assets/{asset_id}/impact", permission="lineage:read")
def get_impact(ctx: RequestContext, asset_id: UUID, query: ImpactQuery) -> Impact:
    """Impact analysis: downstream assets with their owners and classifications."""
    return lineage.impact(ctx.uow, ctx.access, asset_id, query)
