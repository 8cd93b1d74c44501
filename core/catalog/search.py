"""Catalog search: PostgreSQL full text (tsvector + GIN, ranked) over names, descriptions, tags and
glossary terms, with filters, facet counts and cursor pagination, within the caller's workspaces
and clearance.

Query syntax: words are ANDed and match as prefixes (``cust emai`` finds ``customers.email``);
``a OR b``; ``-word`` excludes. Punctuation splits words (``customer_email`` = ``customer email``).

Work is bounded for large catalogs: at most WINDOW candidates are ranked, paged and counted (every
match when fewer match; otherwise name/tag/term matches first and ``capped`` is set), and prefix
words are expanded to whole lexemes (docs/catalog.md, "Bounded work").
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
# Matches considered per search: with words, the WINDOW candidates are ranked, paged and counted
# (all matches when fewer); without words paging reaches every match and facets count WINDOW.
WINDOW = 2000
# Matches in the name, tags or glossary terms (weights A and B), indexed by 0012.catalog_search.sql.
STRONG = "ts_filter(a.search_vector, '{a,b}')"
EXPAND_MAX = 64


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
    facets: bool = Field(True, description="Count facets (first page only); false skips the work.")
    cursor: str | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class SearchHit(AssetSummary):
    rank: float


class SearchResults(BaseModel):
    items: list[SearchHit]
    facets: dict[str, dict[str, int]] = Field(
        description="Counts over every match (not only this page), or over the window when `capped`."
    )
    capped: bool = Field(
        False,
        description=f"More than {WINDOW:,} assets may match: ranking, paging and facets cover the {WINDOW:,}"
        " considered (those matching in name, tags or glossary terms first); narrow the query to see others.",
    )
    next_cursor: str | None


def _terms(text: str) -> list[list[tuple[bool, list[str]]]]:
    """The OR-groups of a search string: each a list of (negated, words) terms, words ANDed."""
    groups: list[list[tuple[bool, list[str]]]] = [[]]
    for raw in text.split():
        if raw == "OR":
            groups.append([])
            continue
        words = re.findall(r"[^\W_]+", raw.lower())
        if words:
            groups[-1].append((raw.startswith("-"), words))
    return [g for g in groups if any(not negated for negated, _ in g)]


def _render(groups: list[list[tuple[bool, list[str]]]], word) -> str | None:
    clauses = []
    for group in groups:
        terms = []
        for negated, words in group:
            term = " & ".join(word(w) for w in words)
            terms.append(f"!({term})" if negated else f"({term})")
        clauses.append(" & ".join(terms))
    return " | ".join(f"({c})" for c in clauses) or None


def tsquery(text: str) -> str | None:
    """The to_tsquery text of a search string, or None when nothing searchable is left."""
    return _render(_terms(text), lambda w: f"{w}:*")


def _expanded(uow: UnitOfWork, text: str) -> str | None:
    """The tsquery (its text form) of a search string with every prefix word replaced by the OR of
    the lexemes it prefixes (catalog_search_lexemes holds every lexeme of every search vector), which
    matches exactly the same assets as the prefix but lets GIN intersect posting lists instead of
    collecting every prefix match. A word that prefixes more than EXPAND_MAX lexemes (or none, or that
    the parser would not keep as one lexeme) stays a prefix."""
    groups = _terms(text)
    words = sorted({w for group in groups for _, ws in group for w in ws})
    if not words:
        return None
    rows = uow.connection.execute(
        """
        SELECT w, to_tsquery('simple', w || ':*')::text AS prefix,
               ARRAY(SELECT lexeme FROM unnest(to_tsvector('simple', w))) = ARRAY[w] AS plain,
               ARRAY(SELECT DISTINCT l.lexeme FROM catalog_search_lexemes l
                     WHERE l.lexeme >= w COLLATE "C" AND l.lexeme < (w || chr(1114111)) COLLATE "C"
                       AND starts_with(l.lexeme, w) ORDER BY 1 LIMIT %(cap)s) AS lexemes
        FROM unnest(%(words)s::text[]) AS w
        """,
        {"words": words, "cap": EXPAND_MAX + 1},
    ).fetchall()
    pieces = {}
    for row in rows:
        lexemes = row["lexemes"]
        if row["plain"] and 0 < len(lexemes) <= EXPAND_MAX:
            quoted = ("'" + x.replace("\\", "\\\\").replace("'", "''") + "'" for x in lexemes)
            pieces[row["w"]] = "(" + " | ".join(quoted) + ")"
        else:
            pieces[row["w"]] = f"({row['prefix']})"
    return _render(groups, pieces.__getitem__)


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
    text = None
    if query.q:
        text = _expanded(uow, query.q)
        if text is None:
            return SearchResults(items=[], facets=_empty_facets(query), next_cursor=None)
        params["tsq"] = text
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

    key = decode_cursor(query.cursor, 2)
    if key is not None:
        try:
            params["c_rank"], params["c_id"] = float(key[0]), uuid.UUID(str(key[1]))
        except (TypeError, ValueError):
            raise InvalidCursor("cursor is not one this API issued") from None
    # ::real: the cursor holds the float4 rank as printed; compared as float8 it would not be equal.
    keyset = "" if key is None else "WHERE (rank < %(c_rank)s::real OR (rank = %(c_rank)s::real AND id > %(c_id)s))"
    params["limit"] = query.limit + 1
    params["window"] = WINDOW
    want_facets = query.facets and key is None
    facet_cols = "a.type, a.sensitivity, a.classification_ids, a.tags, a.data_source_id"
    if text is not None:
        # The candidate window, ranked, paged and counted in one statement. First up to WINDOW
        # matches in the name, tags or glossary terms (an index of their own). If fewer, one more
        # index scan takes up to WINDOW + 1 of all matches: at most WINDOW means every match is
        # considered (exact); more means `capped`, and the window is the strong matches topped up
        # with others.
        tsq = "%(tsq)s::tsquery"
        rank = f"ts_rank(a.search_vector, {tsq}, 1)"  # 1: shorter documents first
        cols = facet_cols.replace("a.", "")
        sql = f"""
            WITH strong AS MATERIALIZED (
                SELECT a.id, {rank} AS rank, {facet_cols} FROM catalog_assets a
                WHERE {condition} AND {STRONG} @@ {tsq} LIMIT %(window)s
            ), matches AS MATERIALIZED (
                SELECT a.id, {rank} AS rank, {facet_cols}, {STRONG} @@ {tsq} AS strong FROM catalog_assets a
                WHERE (SELECT count(*) FROM strong) < %(window)s AND {condition} AND a.search_vector @@ {tsq}
                LIMIT %(window)s + 1
            ), capped AS (
                SELECT (SELECT count(*) FROM strong) >= %(window)s OR (SELECT count(*) FROM matches) > %(window)s
                    AS capped
            ), c AS MATERIALIZED (
                SELECT id, rank, {cols} FROM matches WHERE NOT (SELECT capped FROM capped)
                UNION ALL SELECT * FROM strong WHERE (SELECT capped FROM capped)
                UNION ALL (
                    SELECT id, rank, {cols} FROM matches
                    WHERE (SELECT capped FROM capped) AND NOT strong
                    LIMIT %(window)s - (SELECT count(*) FROM strong)
                )
            ), page AS (
                SELECT id, rank FROM c {keyset} ORDER BY rank DESC, id LIMIT %(limit)s
            )
            SELECT a.*, page.rank, {_facets_sql("c") if want_facets else "NULL"} AS facet_rows,
                   (SELECT capped FROM capped) AS capped
            FROM page JOIN catalog_assets a ON a.id = page.id ORDER BY page.rank DESC, a.id
        """
    else:
        # No words: every match ranks 0, in id order (an index order), so paging reaches them all;
        # facets count the first WINDOW matches.
        sql = f"""
            WITH page AS (
                SELECT a.*, 0::real AS rank FROM catalog_assets a
                WHERE {condition} {"" if key is None else "AND a.id > %(c_id)s"} ORDER BY a.id LIMIT %(limit)s
            ), c AS MATERIALIZED (
                SELECT {facet_cols} FROM catalog_assets a WHERE {condition} LIMIT %(window)s
            )
            SELECT page.*, {_facets_sql("c") if want_facets else "NULL"} AS facet_rows,
                   {"(SELECT count(*) FROM c)" if want_facets else "0"} >= %(window)s AS capped
            FROM page ORDER BY page.id
        """
    rows = uow.connection.execute(sql, params).fetchall()
    facets = _empty_facets(query)
    if rows and want_facets:
        for facet, value, n in rows[0]["facet_rows"]:
            if len(facets[facet]) < FACET_LIMIT:
                facets[facet][value] = n
    capped = bool(rows) and rows[0]["capped"]
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        next_cursor = encode_cursor([rows[-1]["rank"], str(rows[-1]["id"])])
    items = [SearchHit(**views.summary(r).model_dump(), rank=r["rank"]) for r in rows]
    return SearchResults(items=items, facets=facets, capped=capped, next_cursor=next_cursor)


def _empty_facets(query: SearchQuery) -> dict[str, dict[str, int]]:
    # First page as decode_cursor sees it: an empty cursor (``?cursor=``) is the first page too.
    return {f: {} for f in FACETS} if query.facets and not query.cursor else {}


def _facets_sql(matches: str) -> str:
    """Facet counts over ``matches`` as a JSON array of [facet, value, count], largest first."""
    return f"""(
        SELECT coalesce(jsonb_agg(jsonb_build_array(facet, value, n) ORDER BY facet, n DESC, value), '[]')
        FROM (
            SELECT 'type' AS facet, type AS value, count(*) AS n FROM {matches} GROUP BY type
            UNION ALL SELECT 'sensitivity', sensitivity, count(*) FROM {matches}
                WHERE sensitivity IS NOT NULL GROUP BY 2
            UNION ALL SELECT 'classification', x, count(*) FROM {matches}, unnest(classification_ids) x GROUP BY 2
            UNION ALL SELECT 'tag', x, count(*) FROM {matches}, unnest(tags) x GROUP BY 2
            UNION ALL SELECT 'data_source', data_source_id::text, count(*) FROM {matches}
                WHERE data_source_id IS NOT NULL GROUP BY 2
        ) f
    )"""


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
