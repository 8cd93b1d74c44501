"""Start-up shared by every devhost command: settings, logging, database, migrations."""

from __future__ import annotations

from pathlib import Path

from core.db.database import get_database, reset_database
from core.db.migrations import apply_migrations
from core.observability import configure_logging
from core.settings import PROJECT_ROOT, Settings, get_settings, reset_settings_cache
from devhost.app_loader import apply_local_settings

DEFAULT_APP_DIR = PROJECT_ROOT
DEVHOST_MIGRATIONS = Path(__file__).with_name("migrations")


def prepare(app_dir: Path = DEFAULT_APP_DIR, *, migrate: bool = True, log_level: str | None = None) -> Settings:
    """Load local settings, configure JSON logging, open the database and apply migrations."""
    apply_local_settings(app_dir)
    reset_settings_cache()
    reset_database()
    settings = get_settings()
    configure_logging(log_level or settings.log_level)
    if migrate:
        apply_migrations(get_database().url, DEVHOST_MIGRATIONS)
    return settings
