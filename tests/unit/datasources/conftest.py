"""Data-source services against the real embedded PostgreSQL; the same server doubles as a
PostgreSQL *source* (a separate database with its own schemas and tables)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest

from core.auth.access import build_access
from core.auth.policy import token_grants
from core.auth.principal import Principal
from core.db.database import Database
from core.db.unit_of_work import UnitOfWork
from core.secrets.local import LocalSecretStore
from core.workspaces import service as workspaces
from core.workspaces.model import WorkspaceCreate


@pytest.fixture(scope="module")
def sources_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sources")


@pytest.fixture(scope="module")
def env(app_env, sources_root) -> Iterator[dict[str, str]]:
    from core.settings import reset_settings_cache

    os.environ["DATAWAVE_LOCAL_SOURCE_ROOT"] = str(sources_root)
    reset_settings_cache()
    yield app_env
    os.environ.pop("DATAWAVE_LOCAL_SOURCE_ROOT", None)
    reset_settings_cache()


@pytest.fixture(scope="module")
def database(env, database_url):
    db = Database(database_url, max_size=3)
    yield db
    db.close()


@pytest.fixture
def store(tmp_path) -> LocalSecretStore:
    return LocalSecretStore(tmp_path / "secrets.json")


def access(permission: str = "*", subject: str = "engineer", mfa: bool = True):
    principal = Principal(subject, roles=frozenset({"Admin"}), amr=frozenset({"mfa"} if mfa else set()))
    return build_access(principal, permission, token_grants(principal))


@pytest.fixture
def workspace(database) -> uuid.UUID:
    with UnitOfWork(database) as uow:
        ws = workspaces.create_workspace(
            uow, access("workspaces:create"), WorkspaceCreate(name="ws-" + uuid.uuid4().hex[:8])
        )
    return ws.id


@pytest.fixture
def uow(database):
    with UnitOfWork(database) as unit:
        yield unit


def socket_of(pg_server) -> tuple[str, int]:
    """(socket folder, port) of the embedded server, from its URI."""
    uri = pg_server.get_uri()
    query = parse_qs(urlsplit(uri).query)
    host = query.get("host", [urlsplit(uri).hostname or ""])[0]
    port = urlsplit(uri).port or int(query.get("port", ["5432"])[0])
    return host, port


@pytest.fixture(scope="module")
def source_db(pg_server) -> Iterator[str]:
    """A database on the embedded server playing a customer's PostgreSQL source."""
    name = "src_" + uuid.uuid4().hex[:10]
    admin_url = pg_server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    with psycopg.connect(pg_server.get_uri(name), autocommit=True) as conn:
        conn.execute(
            """
            CREATE SCHEMA sales;
            CREATE SCHEMA "HR Data";
            CREATE TABLE sales.customers (
                id integer PRIMARY KEY, email text NOT NULL, full_name varchar(200), born date,
                balance numeric(12, 2), active boolean);
            CREATE TABLE sales.orders (
                order_id bigint, line smallint, customer_id integer REFERENCES sales.customers (id),
                placed_at timestamptz, amount double precision, PRIMARY KEY (order_id, line));
            CREATE VIEW sales.big_orders AS SELECT * FROM sales.orders WHERE amount > 100;
            CREATE TABLE "HR Data"."Employee Records" ("Employee Id" integer PRIMARY KEY, "SSN" text);
            INSERT INTO sales.customers
                SELECT g, 'user' || g || '@example.com', 'Name ' || g, date '1980-01-01' + g, g * 1.5, g % 2 = 0
                FROM generate_series(1, 5000) g;
            INSERT INTO sales.orders
                SELECT g, 1, 1 + g % 5000, timestamptz '2024-01-01' + g * interval '1 minute', g % 300
                FROM generate_series(1, 20000) g;
            INSERT INTO "HR Data"."Employee Records" VALUES (1, '123-45-6789'), (2, NULL);
            ANALYZE;
            """
        )
    yield name
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
