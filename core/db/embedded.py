"""The embedded PostgreSQL (``pgserver``) used when ``DATAWAVE_POSTGRES_URL`` is unset.

pgserver ships PostgreSQL 16 in a wheel and listens on a unix socket inside its data directory.
It is a development dependency: in Azure the URL is always set and this module is never imported.
"""

from __future__ import annotations

import logging
import threading
import warnings
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
_lock = threading.Lock()
_servers: dict[Path, Any] = {}


def embedded_postgres_url(data_dir: Path) -> str:
    """Start (or join) the embedded server whose data lives in ``data_dir/pg`` and return its URL.

    The server is shared between processes that use the same directory and stops when the last of
    them exits.
    """
    pgdata = (data_dir / "pg").resolve()
    with _lock:
        server = _servers.get(pgdata)
        if server is None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
                    import pgserver
            except ImportError as exc:  # pragma: no cover - only without dev requirements
                raise RuntimeError(
                    "DATAWAVE_POSTGRES_URL is not set and the embedded PostgreSQL (pgserver, from "
                    "requirements-dev.txt) is not installed"
                ) from exc
            pgdata.parent.mkdir(parents=True, exist_ok=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                server = pgserver.get_server(pgdata, cleanup_mode="stop")
            _servers[pgdata] = server
            log.info("embedded PostgreSQL ready", extra={"pgdata": str(pgdata)})
        return str(server.get_uri())
