"""Compliance against the real embedded PostgreSQL: catalog facts built through the catalog services."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from core.catalog import assets
from core.catalog.model import AssetPatch, DiscoveredTable
from core.compliance import engine, evaluation
from core.compliance.packs import pack_rules
from core.db.database import Database
from core.db.unit_of_work import UnitOfWork
from core.workspaces import service
from core.workspaces.model import WorkspaceCreate
from tests.unit.catalog.conftest import PG, admin

__all__ = ["PG", "admin"]


@pytest.fixture(scope="module")
def database(database_url):
    db = Database(database_url, max_size=3)
    yield db
    db.close()


def new_workspace(database, region: str = "westeurope") -> uuid.UUID:
    with UnitOfWork(database) as uow:
        ws = service.create_workspace(
            uow, admin("workspaces:create"), WorkspaceCreate(name="ws-" + uuid.uuid4().hex[:8], region=region)
        )
    return ws.id


@pytest.fixture
def workspace(database) -> uuid.UUID:
    return new_workspace(database)


def add_table(
    database,
    workspace,
    columns: dict[str, list[str]],
    name: str | None = None,
    sensitivity: str = "Confidential",
    scan_id: str | None = None,
) -> dict[str, Any]:
    """A table whose columns carry these (suggested) classifications; returns ids by column name."""
    name = name or f"db.public.t_{uuid.uuid4().hex[:8]}"
    payload = {
        "namespace": PG,
        "name": name,
        "scan_id": scan_id,
        "columns": [
            {
                "name": col,
                "data_type": "text",
                "classifications": [
                    {"classification_id": c, "confidence": 0.9, "sensitivity": sensitivity} for c in classes
                ],
            }
            for col, classes in columns.items()
        ],
    }
    with UnitOfWork(database) as uow:
        result = assets.upsert_discovered(uow, admin(), workspace, DiscoveredTable.model_validate(payload))
    return {"table": result.asset.id, **{c.display_name: c.id for c in result.asset.children}}


def patch(database, asset_id, **fields) -> None:
    with UnitOfWork(database) as uow:
        assets.update_asset(uow, admin(), asset_id, AssetPatch(**fields))


def accept_all(database, asset_id) -> None:
    with database.connection() as conn:
        conn.execute(
            "UPDATE catalog_classifications SET status = 'accepted' WHERE asset_id = %s"
            " OR asset_id IN (SELECT id FROM catalog_assets WHERE parent_id = %s)",
            (asset_id, asset_id),
        )


def hits(database, ref: str, workspace) -> set[uuid.UUID]:
    """The assets the pack policy ``ref`` flags in the workspace."""
    rule = next(r for r in pack_rules() if r.ref == ref)
    with UnitOfWork(database) as uow:
        ctx = evaluation.context(uow)
        return set(engine.violating_assets(uow.connection, rule.compiled, rule.policy.asset_types, workspace, ctx))
