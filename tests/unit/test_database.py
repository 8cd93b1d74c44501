"""The unit of work and migrations against the real embedded PostgreSQL."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from core.auth.access import build_access
from core.auth.policy import token_grants
from core.auth.principal import Principal
from core.db.database import Database
from core.db.migrations import apply_migrations, pending_migrations
from core.db.unit_of_work import UnitOfWork
from core.errors import Conflict
from core.workspaces import service
from core.workspaces.model import WorkspaceCreate


@pytest.fixture(scope="module")
def database(database_url):
    db = Database(database_url, max_size=2)
    yield db
    db.close()


def _admin_access(permission: str):
    principal = Principal("admin", roles=frozenset({"Admin"}))
    return build_access(principal, permission, token_grants(principal))


def test_migrations_are_applied_once(database_url):
    assert pending_migrations(database_url) == []
    assert apply_migrations(database_url) == []


def test_migrations_create_the_schema_on_an_empty_database(pg_server):
    name = "m_" + uuid.uuid4().hex[:10]
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        applied = apply_migrations(pg_server.get_uri(name))
        assert applied and applied[0].startswith("0001")
        with psycopg.connect(pg_server.get_uri(name)) as conn:
            tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
        assert {"workspaces", "role_assignments", "custom_roles", "audit_records"} <= tables
    finally:
        with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_uncommitted_work_is_rolled_back(database):
    with UnitOfWork(database) as uow:
        workspace = service.create_workspace(uow, _admin_access("workspaces:create"), WorkspaceCreate(name="Kept"))
    with UnitOfWork(database) as uow:
        uow.workspaces.add_member(workspace.id, "ghost", "Viewer", "admin")
        # leaving without commit
    with UnitOfWork(database) as uow:
        members = uow.authz.assignment_grants(["ghost"])
    assert members == []


def test_failed_create_leaves_no_partial_rows(database):
    access = _admin_access("workspaces:create")
    with UnitOfWork(database) as uow:
        service.create_workspace(uow, access, WorkspaceCreate(name="Once"))
    with pytest.raises(Conflict), UnitOfWork(database) as uow:
        service.create_workspace(uow, access, WorkspaceCreate(name="ONCE"))
    with database.connection() as conn:
        count = conn.execute("SELECT count(*) AS n FROM workspaces WHERE lower(name) = 'once'").fetchone()["n"]
        members = conn.execute(
            "SELECT count(*) AS n FROM role_assignments m JOIN workspaces w ON w.id = m.workspace_id"
            " WHERE lower(w.name) = 'once'"
        ).fetchone()["n"]
    assert (count, members) == (1, 1)


def test_repository_filters_by_scope(database):
    with UnitOfWork(database) as uow:
        a = service.create_workspace(uow, _admin_access("workspaces:create"), WorkspaceCreate(name="Scope A"))
    with UnitOfWork(database) as uow:
        b = service.create_workspace(uow, _admin_access("workspaces:create"), WorkspaceCreate(name="Scope B"))
    scoped = Principal("x", workspace_roles={a.id: frozenset({"Viewer"})})
    only_a = build_access(scoped, "workspaces:read", token_grants(scoped))
    with UnitOfWork(database) as uow:
        assert uow.workspaces.get(only_a.scope, a.id) is not None
        assert uow.workspaces.get(only_a.scope, b.id) is None
        listed = [w.id for w in uow.workspaces.list(only_a.scope, None, 100)]
    assert listed == [a.id]


def test_ping_reports_latency(database):
    assert database.ping() >= 0
