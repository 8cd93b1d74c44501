"""Catalog services against the real embedded PostgreSQL: one migrated database per module."""

from __future__ import annotations

import uuid

import pytest

from core.auth.access import build_access
from core.auth.policy import token_grants
from core.auth.principal import Principal
from core.db.database import Database
from core.db.unit_of_work import UnitOfWork
from core.workspaces import service
from core.workspaces.model import WorkspaceCreate

PG = "postgres://pg.contoso.internal:5432"


@pytest.fixture(scope="module")
def database(database_url):
    db = Database(database_url, max_size=3)
    yield db
    db.close()


def admin(permission: str = "*", subject: str = "steward"):
    principal = Principal(subject, roles=frozenset({"Admin"}))
    return build_access(principal, permission, token_grants(principal))


def new_workspace(database) -> uuid.UUID:
    with UnitOfWork(database) as uow:
        ws = service.create_workspace(
            uow, admin("workspaces:create"), WorkspaceCreate(name="ws-" + uuid.uuid4().hex[:8])
        )
    return ws.id


@pytest.fixture
def workspace(database) -> uuid.UUID:
    return new_workspace(database)


@pytest.fixture
def uow(database):
    with UnitOfWork(database) as unit:
        yield unit
