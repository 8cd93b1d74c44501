"""Audit: the tamper-evident audit trail, its verification and export."""

from __future__ import annotations

import json

import azure.durable_functions as df

from core.audit import service
from core.audit.model import AuditQuery, AuditRecord, ChainVerification, VerifyQuery
from core.pagination import Page
from functions.api import Api, RequestContext, Response

bp = df.Blueprint()
api = Api(bp, tag="audit")


@api.get("v1/audit", permission="audit:read")
def list_audit(ctx: RequestContext, query: AuditQuery) -> Page[AuditRecord]:
    """Audit records the caller may read, newest first (filters: workspace, actor, action, outcome, time)."""
    return service.search(ctx.uow, ctx.access, query)


@api.get("v1/audit/verify", permission="audit:read")
def verify_audit(ctx: RequestContext, query: VerifyQuery) -> ChainVerification:
    """Walk one workspace's hash chain (or the global one) and report the first broken link."""
    return service.verify(ctx.uow, ctx.access, query)


@api.get("v1/audit/export", permission="audit:export", audit=True)
def export_audit(ctx: RequestContext, query: AuditQuery) -> Response:
    """Every matching record as JSON lines (sensitive: needs MFA; the export itself is audited)."""
    lines = (json.dumps(r.model_dump(mode="json"), sort_keys=True) for r in service.export(ctx.uow, ctx.access, query))
    return Response("\n".join(lines) + "\n", content_type="application/x-ndjson")
