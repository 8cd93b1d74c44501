"""One entry per operation, dispatched on the data source's kind: what the scan activities call.

    result = discover(source.connection, credentials)
    sample = sample(source.connection, credentials, result.assets[0], rows=100)
    profile = profile_sample(sample, row_estimate=result.assets[0].row_estimate)

``credentials`` is the dict ``core.datasources.service.credentials_of`` reads from the secret store.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from core.datasources.model import ConnectionTest, LocalFolderConnection, PostgresConnection
from core.discovery.model import AssetProfile, AssetSample, DiscoveredAsset, DiscoveryResult
from core.errors import DomainError
from core.settings import Environment, get_settings

LOCAL_MESSAGES = {
    "not_found": "the folder does not exist",
    "permission": "the folder cannot be read by the app",
    "config": "the folder is outside the allowed root (DATAWAVE_LOCAL_SOURCE_ROOT)",
}


class LocalFolderRefused(DomainError):
    status = 422
    code = "local_folder_refused"


def local_root(conn: LocalFolderConnection) -> Path:
    """The resolved folder, refused unless under the allowed root (symlinks resolved) and outside prod."""
    settings = get_settings()
    if settings.env is Environment.PROD:
        raise LocalFolderRefused("local-folder data sources are for development; not available in prod")
    root = settings.sources_root
    path = Path(conn.path).resolve()
    if path != root and root not in path.parents:
        raise LocalFolderRefused(
            "the folder must lie under the allowed root (DATAWAVE_LOCAL_SOURCE_ROOT)",
            details={"field": "body.connection.path", "allowed_root": str(root)},
        )
    return path


def test_connection(connection: Any, credentials: dict[str, str]) -> ConnectionTest:
    if isinstance(connection, PostgresConnection):
        from core.discovery import postgres

        return postgres.test_connection(connection, credentials.get("password"))
    if isinstance(connection, LocalFolderConnection):
        started = time.perf_counter()
        try:
            path = local_root(connection)
        except LocalFolderRefused:
            return ConnectionTest(ok=False, latency_ms=0.0, error="config", message=LOCAL_MESSAGES["config"])
        kind = None
        if not path.is_dir():
            kind = "not_found"
        elif not os.access(path, os.R_OK | os.X_OK):
            kind = "permission"
        latency = round((time.perf_counter() - started) * 1000, 2)
        if kind:
            return ConnectionTest(ok=False, latency_ms=latency, error=kind, message=LOCAL_MESSAGES[kind])  # type: ignore[arg-type]
        return ConnectionTest(ok=True, latency_ms=latency)
    from core.discovery import blob

    return blob.test_connection(connection, credentials)


def _file_system(connection: Any, credentials: dict[str, str]) -> Any:
    if isinstance(connection, LocalFolderConnection):
        from core.discovery.filesystem import LocalFileSystem

        return LocalFileSystem(local_root(connection))
    from core.discovery.blob import BlobFileSystem

    return BlobFileSystem(connection, credentials)


def discover(connection: Any, credentials: dict[str, str]) -> DiscoveryResult:
    """Every asset of the source with its schema, row estimate and fingerprint."""
    if isinstance(connection, PostgresConnection):
        from core.discovery import postgres

        return postgres.discover(connection, credentials.get("password"))
    from core.discovery import files

    return files.discover(_file_system(connection, credentials))


def sample(connection: Any, credentials: dict[str, str], asset: DiscoveredAsset, rows: int = 100) -> AssetSample:
    """Up to ``rows`` sampled rows of one discovered asset (reads only what it needs)."""
    if isinstance(connection, PostgresConnection):
        from core.discovery import postgres

        return postgres.sample(connection, credentials.get("password"), asset, rows)
    from core.discovery import files

    return files.sample(_file_system(connection, credentials), asset, rows)


def profile(sample: AssetSample, asset: DiscoveredAsset | None = None) -> AssetProfile:
    """Per-column statistics of a sample (``asset`` gives the row estimate for distinct estimates)."""
    from core.discovery.profile import profile_sample

    return profile_sample(sample, asset.row_estimate if asset else None)
