"""Schema migrations: versioned SQL files under ``core/db/migrations/`` applied with yoyo-migrations.

Never DDL at import time: ``python -m devhost migrate`` (and devhost start) call ``apply_migrations``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from yoyo import get_backend, read_migrations

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _yoyo_url(url: str) -> str:
    # yoyo picks its driver from the scheme; psycopg 3 is "postgresql+psycopg".
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def apply_migrations(url: str, *extra_dirs: Path) -> list[str]:
    """Apply every pending migration in order; return the ids applied (empty when up to date).

    ``extra_dirs`` hold migrations of other owners sharing the database (devhost's durable state).
    """
    backend = get_backend(_yoyo_url(url))
    migrations = read_migrations(str(MIGRATIONS_DIR), *(str(d) for d in extra_dirs))
    try:
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
    finally:
        backend.connection.close()
    applied = [m.id for m in pending]
    if applied:
        log.info("migrations applied", extra={"migrations": applied})
    return applied


def pending_migrations(url: str) -> list[str]:
    backend = get_backend(_yoyo_url(url))
    try:
        return [m.id for m in backend.to_apply(read_migrations(str(MIGRATIONS_DIR)))]
    finally:
        backend.connection.close()
