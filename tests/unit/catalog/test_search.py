"""Search at scale: prefix words expanded to whole lexemes (same matches), the bounded candidate
window (name/tag matches first, `capped`), facets on request."""

from __future__ import annotations

import pytest

from core.auth.access import build_access
from core.auth.policy import token_grants
from core.auth.principal import Principal
from core.catalog import assets, search
from core.catalog.model import AssetPatch
from core.catalog.search import SearchQuery
from core.db.unit_of_work import UnitOfWork
from tests.unit.catalog.conftest import PG, admin, new_workspace
from tests.unit.catalog.test_assets import table, upsert


@pytest.fixture
def catalog(database, workspace):
    upsert(database, workspace, table(("customer_email", "text"), ("customer_id", "bigint"), ("amount", "numeric")))
    upsert(
        database,
        workspace,
        table(("id", "bigint"), ("notes", "text"), name="crm.public.customers"),  # 'customers' in the name
    )
    upsert(database, workspace, table(("city", "text"), name="crm.public.addresses"))
    return workspace


def run(database, **params) -> search.SearchResults:
    with UnitOfWork(database) as uow:
        return search.search(uow, admin("catalog:read"), SearchQuery.model_validate(params))


def names(results: search.SearchResults) -> list[str]:
    return [i.display_name for i in results.items]


def raw_prefix_matches(database, workspace, q: str) -> set:
    with database.connection() as conn:
        rows = conn.execute(
            "SELECT id FROM catalog_assets WHERE workspace_id = %s AND search_vector @@ to_tsquery('simple', %s)",
            (workspace, search.tsquery(q)),
        ).fetchall()
    return {r["id"] for r in rows}


@pytest.mark.parametrize("q", ["cust", "cust emai", "customer OR city", "cust -email", "crm addr", "zzz"])
def test_expanded_words_match_exactly_what_prefixes_match(database, catalog, q):
    found = {i.id for i in run(database, q=q, workspace_id=catalog, limit=200).items}
    assert found == raw_prefix_matches(database, catalog, q)


def test_words_with_too_many_lexemes_stay_prefixes(database, catalog, monkeypatch):
    monkeypatch.setattr(search, "EXPAND_MAX", 0)
    found = {i.id for i in run(database, q="cust", workspace_id=catalog, limit=200).items}
    assert found and found == raw_prefix_matches(database, catalog, "cust")


def test_a_full_window_ranks_name_matches_first_and_says_capped(database, catalog, monkeypatch):
    every = run(database, q="customers", workspace_id=catalog, limit=200)
    assert not every.capped and len(every.items) > 3
    monkeypatch.setattr(search, "WINDOW", 3)
    capped = run(database, q="customers", workspace_id=catalog, limit=200)
    assert capped.capped and len(capped.items) == 3
    assert names(capped).count("customers") == 2  # both name matches, then one of their columns
    assert sum(capped.facets["type"].values()) == 3
    pages, cursor = [], None  # paging stays within the window
    while True:
        page = run(database, q="customers", workspace_id=catalog, limit=2, cursor=cursor)
        pages += names(page)
        if not (cursor := page.next_cursor):
            break
    assert sorted(pages) == sorted(names(capped))


def test_filter_only_paging_reaches_every_match_when_facets_are_capped(database, catalog, monkeypatch):
    monkeypatch.setattr(search, "WINDOW", 2)
    seen, cursor = [], None
    while True:
        page = run(database, type="column", workspace_id=catalog, limit=2, cursor=cursor)
        if cursor is None:
            assert page.capped and sum(page.facets["type"].values()) == 2
        seen += [i.id for i in page.items]
        if not (cursor := page.next_cursor):
            break
    assert len(seen) == len(set(seen)) == 6


def test_facets_only_when_asked(database, catalog):
    assert run(database, q="cust", workspace_id=catalog, facets=False).facets == {}
    assert run(database, q="cust", workspace_id=catalog).facets["type"] == {"column": 5, "table": 2}


def test_words_match_descriptions_and_tags_within_the_callers_workspaces(database, catalog):
    with UnitOfWork(database) as uow:
        city = uow.catalog.find(catalog, PG, "crm.public.addresses#city")["id"]
        assets.update_asset(uow, admin(), city, AssetPatch(description="postal municipality", tags=["geodata"]))
    other = new_workspace(database)
    upsert(database, other, table(("municipality", "text"), name="crm.public.elsewhere"))
    assert names(run(database, q="municipality", workspace_id=catalog)) == ["city"]  # description only
    assert names(run(database, q="geodata", workspace_id=catalog)) == ["city"]  # tag only
    assert set(names(run(database, q="municipality"))) == {"city", "municipality"}  # a platform-wide admin
    member = Principal("member", workspace_roles={catalog: frozenset({"Viewer"})})
    with UnitOfWork(database) as uow:
        scoped = search.search(
            uow, build_access(member, "catalog:read", token_grants(member)), SearchQuery(q="municipality")
        )
    assert names(scoped) == ["city"]  # the other workspace's column is not the caller's
