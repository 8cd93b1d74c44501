"""Catalog search: PostgreSQL full text (tsvector + GIN, ranked) over names, descriptions, tags and
glossary terms, with filters, facet counts and cursor pagination, within the caller's workspaces
and clearance.

Query syntax: words are ANDed and match as prefixes (``cust emai`` finds ``customers.email``);
``a OR b``; ``-word`` excludes. Punctuation splits words (``customer_email`` = ``customer email``).
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from core.auth.access import Access
from core.catalog import views
from core.catalog.model import AssetSummary
from core.catalog.repository import LABELS
from core.pagination import DEFAULT_LIMIT, MAX_LIMIT, InvalidCursor, decode_cursor, encode_cursor

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

AssetTypeFilter = Literal["data_source", "database", "schema", "table", "view", "file_set", "column"]
SensitivityFilter = Literal["Public", "Internal", "Confidential", "Highly Confidential"]
FACETS = ("type", "sensitivity", "classification", "tag", "data_source")
FACET_LIMIT = 20


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(None, max_length=500, description="Words (prefix match, ANDed), `OR`, `-word`.")
    workspace_id: UUID | None = None
    type: AssetTypeFilter | None = None
    data_source: UUID | None = Field(None, description="Id of the data-source asset.")
    classification: str | None = Field(None, max_length=200, description="A classification id (not rejected).")
    sensitivity: SensitivityFilter | None = Field(None, description="Assets at or above this label.")
    owner: str | None = Field(None, max_length=200, description="Principal id of an owner, steward or expert.")
    tag: str | None = Field(None, max_length=200)
    term: UUID | None = Field(None, description="A glossary term id linked to the asset.")
    include_removed: bool = False
    cursor: str | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class SearchHit(AssetSummary):
    rank: float


class SearchResults(BaseModel):
    items: list[SearchHit]
    facets: dict[str, dict[str, int]] = Field(description="Counts over every match (not only this page).")
    next_cursor: str | None


def tsquery(text: str) -> str | None:
    """The to_tsquery text of a search string, or None when nothing searchable is left."""
    groups: list[list[str]] = [[]]
    for raw in text.split():
        if raw == "OR":
            groups.append([])
            continue
        negate = raw.startswith("-")
        words = re.findall(r"[^\W_]+", raw.lower())
        if not words:
            continue
        term = " & ".join(f"{w}:*" for w in words)
        groups[-1].append(f"!({term})" if negate else f"({term})")
    clauses = [" & ".join(g) for g in groups if g and any(not t.startswith("!") for t in g)]
    return " | ".join(f"({c})" for c in clauses) or None


def search(uow: UnitOfWork, access: Access, query: SearchQuery) -> SearchResults:
    where: list[str] = []
    params: dict[str, Any] = {}
    if query.workspace_id is not None:
        access.require_workspace(query.workspace_id)
        where.append("a.workspace_id = %(ws)s")
        params["ws"] = query.workspace_id
    scope_sql, scope_params = access.scope.sql("a.workspace_id")
    where.append(scope_sql)
    params.update(scope_params)
    where.append(_clearance_sql(access, params))
    rank = "0::real"
    if query.q:
        text = tsquery(query.q)
        if text is None:
            return SearchResults(items=[], facets={f: {} for f in FACETS}, next_cursor=None)
        params["tsq"] = text
        where.append("a.search_vector @@ to_tsquery('simple', %(tsq)s)")
        rank = "ts_rank(a.search_vector, to_tsquery('simple', %(tsq)s), 1)"  # 1: shorter documents first
    for column, value, op in (
        ("a.type", query.type, "="),
        ("a.data_source_id", query.data_source, "="),
        ("a.tags", query.tag, "@>"),
        ("a.classification_ids", query.classification, "@>"),
        ("a.owner_ids", query.owner, "@>"),
        ("a.term_ids", query.term, "@>"),
    ):
        if value is not None:
            name = f"f{len(params)}"
            params[name] = [value] if op == "@>" else value
            where.append(f"{column} {op} %({name})s" + ("::uuid[]" if column == "a.term_ids" else ""))
    if query.sensitivity is not None:
        params["min_rank"] = LABELS.index(query.sensitivity)
        where.append("a.sensitivity_rank >= %(min_rank)s")
    if not query.include_removed:
        where.append("a.removed_at IS NULL")
    condition = " AND ".join(where)

    page_where = condition
    key = decode_cursor(query.cursor, 2)
    if key is not None:
        try:
            params["c_rank"], params["c_id"] = float(key[0]), uuid.UUID(str(key[1]))
        except (TypeError, ValueError):
            raise InvalidCursor("cursor is not one this API issued") from None
        page_where += f" AND ({rank} < %(c_rank)s OR ({rank} = %(c_rank)s AND a.id > %(c_id)s))"
    params["limit"] = query.limit + 1
    rows = uow.connection.execute(
        f"SELECT a.*, {rank} AS rank FROM catalog_assets a WHERE {page_where} ORDER BY rank DESC, a.id LIMIT %(limit)s",
        params,
    ).fetchall()
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        next_cursor = encode_cursor([rows[-1]["rank"], str(rows[-1]["id"])])
    items = [SearchHit(**views.summary(r).model_dump(), rank=r["rank"]) for r in rows]
    facets = _facets(uow, condition, params) if query.cursor is None else {}
    return SearchResults(items=items, facets=facets, next_cursor=next_cursor)


def _facets(uow: UnitOfWork, condition: str, params: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Facet counts over all matches, in one statement (the matches are materialised once)."""
    rows = uow.connection.execute(
        f"""
        WITH m AS MATERIALIZED (
            SELECT a.type, a.sensitivity, a.classification_ids, a.tags, a.data_source_id
            FROM catalog_assets a WHERE {condition}
        )
        SELECT facet, value, n FROM (
            SELECT 'type' AS facet, type AS value, count(*) AS n FROM m GROUP BY type
            UNION ALL SELECT 'sensitivity', sensitivity, count(*) FROM m WHERE sensitivity IS NOT NULL GROUP BY 2
            UNION ALL SELECT 'classification', c, count(*) FROM m, unnest(m.classification_ids) c GROUP BY 2
            UNION ALL SELECT 'tag', t, count(*) FROM m, unnest(m.tags) t GROUP BY 2
            UNION ALL SELECT 'data_source', data_source_id::text, count(*) FROM m
                WHERE data_source_id IS NOT NULL GROUP BY 2
        ) f ORDER BY facet, n DESC, value
        """,
        {k: v for k, v in params.items() if not k.startswith("c_") and k != "limit"},
    ).fetchall()
    facets: dict[str, dict[str, int]] = {f: {} for f in FACETS}
    for row in rows:
        bucket = facets[row["facet"]]
        if len(bucket) < FACET_LIMIT:
            bucket[row["value"]] = row["n"]
    return facets


def _clearance_sql(access: Access, params: dict[str, Any]) -> str:
    """Hide assets above the caller's clearance (per workspace; unlabeled assets are visible)."""
    if access.scope.everywhere:
        limit = access.clearance(uuid.uuid4())  # only platform-wide grants apply to every workspace
        if limit is None:
            return "TRUE"
        params["clr_all"] = limit.rank
        return "(a.sensitivity_rank IS NULL OR a.sensitivity_rank <= %(clr_all)s)"
    limited = {ws: c.rank for ws in access.scope.ids if (c := access.clearance(ws)) is not None}
    if not limited:
        return "TRUE"
    params["clr_ws"] = list(limited)
    params["clr_rank"] = list(limited.values())
    return (
        "(a.sensitivity_rank IS NULL OR a.sensitivity_rank <= coalesce((SELECT r FROM unnest(%(clr_ws)s::uuid[],"
        " %(clr_rank)s::int[]) AS c(w, r) WHERE c.w = a.workspace_id), 3))"
    )


__all__ = ["SearchQuery", "SearchResults", "search", "tsquery"]
