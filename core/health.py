"""Liveness and readiness: the version and whether the database answers."""

from __future__ import annotations

from pydantic import BaseModel

from core.db.database import get_database
from core.version import __version__


class DatabaseHealth(BaseModel):
    reachable: bool
    latency_ms: float | None = None
    error: str | None = None


class HealthReport(BaseModel):
    status: str
    version: str
    database: DatabaseHealth


def check_health() -> HealthReport:
    """``ok`` when the database answers, else ``degraded`` (the error names the failure class only)."""
    try:
        latency = get_database().ping()
        database = DatabaseHealth(reachable=True, latency_ms=round(latency, 2))
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"; no details leak
        database = DatabaseHealth(reachable=False, error=type(exc).__name__)
    return HealthReport(status="ok" if database.reachable else "degraded", version=__version__, database=database)
