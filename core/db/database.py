"""The connection pool and the process-wide database handle."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from core.settings import Settings, get_settings

# The audience of Microsoft Entra tokens accepted by Azure Database for PostgreSQL.
ENTRA_POSTGRES_SCOPE = "https://ossrdbms-aad.database.windows.net/.default"


def entra_password(credential: Any = None) -> Callable[[], str]:
    """A password source for Azure Database for PostgreSQL with Microsoft Entra authentication: each
    call returns an access token of ``credential`` (default: ``DefaultAzureCredential``, the Function
    App's managed identity in Azure), which azure-identity caches and renews before it expires."""
    if credential is None:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()

    def password() -> str:
        return str(credential.get_token(ENTRA_POSTGRES_SCOPE).token)

    return password


def _connection_class(password: Callable[[], str]) -> type[psycopg.Connection[Any]]:
    """psycopg connections that ask ``password`` at every new connection: a token checked only when
    a connection opens, so the pool's new connections never use an expired one."""

    class PasswordSourceConnection(psycopg.Connection[Any]):
        @classmethod
        def connect(cls, conninfo: str = "", **kwargs: Any) -> PasswordSourceConnection:  # type: ignore[override]
            return super().connect(conninfo, **{**kwargs, "password": password()})

    return PasswordSourceConnection


class Database:
    """A pool of psycopg 3 connections to one PostgreSQL database.

    ``password``, when given, supplies the password of each new connection (``entra_password()``);
    the URL then carries none."""

    def __init__(
        self,
        url: str,
        *,
        max_size: int = 10,
        session_options: dict[str, str] | None = None,
        password: Callable[[], str] | None = None,
    ) -> None:
        self.url = url
        kwargs: dict[str, object] = {"row_factory": dict_row, "autocommit": False}
        if session_options:
            kwargs["options"] = " ".join(f"-c {key}={value}" for key, value in session_options.items())
        self._pool: ConnectionPool[Any] = ConnectionPool(
            url,
            connection_class=_connection_class(password) if password else psycopg.Connection,
            min_size=1,
            max_size=max_size,
            kwargs=kwargs,
            timeout=15,
            open=False,
            name="datawave",
        )
        self._pool.open(wait=False)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """Borrow a connection; the pool rolls back anything left uncommitted when it returns."""
        with self._pool.connection() as conn:
            yield conn

    def ping(self) -> float:
        """Round-trip ``SELECT 1`` and return the latency in milliseconds (raises when unreachable)."""
        started = time.perf_counter()
        with self._pool.connection(timeout=3) as conn:
            conn.execute("SELECT 1")
        return (time.perf_counter() - started) * 1000

    def close(self) -> None:
        self._pool.close()


def resolve_postgres_url(settings: Settings) -> str:
    """The configured URL, or the embedded server's when none is configured."""
    if settings.postgres_url is not None:
        return settings.postgres_url.get_secret_value()
    from core.db.embedded import embedded_postgres_url

    return embedded_postgres_url(settings.data_dir)


_lock = threading.Lock()
_database: Database | None = None


def get_database() -> Database:
    """The process-wide database, created on first use from the settings."""
    global _database
    with _lock:
        if _database is None:
            settings = get_settings()
            _database = Database(
                resolve_postgres_url(settings),
                max_size=settings.postgres_pool_max,
                password=entra_password() if settings.postgres_entra_auth else None,
            )
        return _database


def reset_database() -> None:
    """Close and forget the process-wide database (tests and devhost reconfigure between runs)."""
    global _database
    with _lock:
        if _database is not None:
            _database.close()
        _database = None
