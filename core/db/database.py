"""The connection pool and the process-wide database handle."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from core.settings import Settings, get_settings


class Database:
    """A pool of psycopg 3 connections to one PostgreSQL database."""

    def __init__(self, url: str, *, max_size: int = 10, session_options: dict[str, str] | None = None) -> None:
        self.url = url
        kwargs: dict[str, object] = {"row_factory": dict_row, "autocommit": False}
        if session_options:
            kwargs["options"] = " ".join(f"-c {key}={value}" for key, value in session_options.items())
        self._pool = ConnectionPool(
            url,
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
            _database = Database(resolve_postgres_url(settings), max_size=settings.postgres_pool_max)
        return _database


def reset_database() -> None:
    """Close and forget the process-wide database (tests and devhost reconfigure between runs)."""
    global _database
    with _lock:
        if _database is not None:
            _database.close()
        _database = None
