"""Shared fixtures: one embedded PostgreSQL per test session, a migrated template database, and a
fresh database cloned from it for each test module (CREATE DATABASE ... TEMPLATE is fast)."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from core.db.migrations import apply_migrations
from devhost.runtime import DEVHOST_MIGRATIONS

TEMPLATE_DB = "datawave_template"


@pytest.fixture(scope="session")
def pg_server():
    """The embedded PostgreSQL server (pgserver) for the whole session.

    Its data lives in a directory of its own, not under pytest's numbered temp directories: pytest
    prunes old ones when other sessions start, which would delete a running server's data.
    """
    root = Path(tempfile.mkdtemp(prefix="datawave-test-pg-"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        # "delete": the server stops and its data directory goes when the session's process exits.
        server = pgserver.get_server(root / "data", cleanup_mode="delete")
    admin_url = server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}")
        conn.execute(f"CREATE DATABASE {TEMPLATE_DB}")
    apply_migrations(server.get_uri(TEMPLATE_DB), DEVHOST_MIGRATIONS)
    return server


@pytest.fixture(scope="module")
def database_url(pg_server) -> Iterator[str]:
    """A fresh, fully migrated database for one test module."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin_url = pg_server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}")
    yield pg_server.get_uri(name)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


DEV_SECRET = "test-only-dev-secret-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def app_env(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Point the app's settings at this module's database and a private data dir."""
    from core.db.database import reset_database
    from core.settings import reset_settings_cache
    from functions.api import reset_token_verifier

    values = {
        "DATAWAVE_ENV": "local",
        "DATAWAVE_POSTGRES_URL": database_url,
        "DATAWAVE_DATA_DIR": str(tmp_path_factory.mktemp("data")),
        "DATAWAVE_AUTH_DEV_SECRET": DEV_SECRET,
        "DATAWAVE_LOG_LEVEL": "INFO",
    }
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    reset_settings_cache()
    reset_database()
    reset_token_verifier()
    yield values
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    reset_settings_cache()
    reset_database()
    reset_token_verifier()


PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Azurite's well-known development account key (public; only the emulator accepts it).
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@dataclass(frozen=True)
class Azurite:
    url: str
    connection_string: str


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """The real storage emulator (blob service) from package.json's node_modules, on a free port."""
    from azure.storage.blob import BlobServiceClient

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    process = subprocess.Popen(
        [
            "node",
            str(PROJECT_ROOT / "node_modules" / "azurite" / "dist" / "src" / "blob" / "main.js"),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--location",
            str(tmp_path_factory.mktemp("azurite")),
            "--silent",
            "--skipApiVersionCheck",
            "--disableTelemetry",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/devstoreaccount1"
    emulator = Azurite(
        url, f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};BlobEndpoint={url};"
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            BlobServiceClient.from_connection_string(emulator.connection_string, retry_total=0).get_service_properties()
            break
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.2)
    yield emulator
    process.terminate()
    process.wait(timeout=10)
