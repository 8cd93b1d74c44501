"""Blob triggers: each new or changed blob matching a function's path fires the function once.

Both trigger sources are served the same way. ``LogsAndContainerScan`` (the default) is the host's own
polling; ``EventGrid`` (what Flex Consumption requires: in Azure, BlobCreated events reach the blobs
extension webhook) has no Event Grid to come from locally, so devhost lists the container for it too
and invokes the function with the same ``InputStream`` binding.

Like the host's blob receipts, a receipt per (function, blob) records the etag processed, so a
restart does not fire again for blobs already handled, and a changed blob (new etag) fires again.
A failing function is retried on the next scans; after five failures the blob is poisoned (listed by
``python -m devhost deadletters``), as the host moves it to its poison queue.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import traceback
from typing import Any

import azure.functions as func
from azure.storage.blob import BlobServiceClient

from core.db.database import Database
from devhost.triggers.invoke import NO_BINDINGS, InputBindings, invoke, triggers_of

log = logging.getLogger("devhost.blobs")

MAX_ATTEMPTS = 5
POLLING = "LogsAndContainerScan"
EVENT_GRID = "EventGrid"
SOURCES = {POLLING.lower(): POLLING, EVENT_GRID.lower(): EVENT_GRID}


def trigger_source(trigger: Any) -> str:
    """``EventGrid`` or ``LogsAndContainerScan`` (the default when ``source`` is not set)."""
    value = getattr(trigger, "source", None) or POLLING
    source = SOURCES.get(str(value).lower())
    if source is None:
        raise ValueError(f"blob trigger source {value!r} must be {EVENT_GRID} or {POLLING}")
    return source


def parse_blob_path(path: str) -> tuple[str, str, re.Pattern[str]]:
    """``container/prefix/{name}.csv`` → (container, literal prefix, regex over the blob name)."""
    container, _, rest = path.strip("/").partition("/")
    if not container or not rest:
        raise ValueError(f"blob trigger path {path!r} must be container/pattern")
    prefix = rest.split("{", 1)[0]
    pattern = ""
    for piece in re.split(r"(\{[A-Za-z_][A-Za-z0-9_]*\})", rest):
        if piece.startswith("{") and piece.endswith("}"):
            name = piece[1:-1]
            pattern += f"(?P<{name}>.+)" if name == "name" else f"(?P<{name}>[^/]+)"
        else:
            pattern += re.escape(piece)
    return container, prefix, re.compile(f"^{pattern}$")


def connection_string(setting: str | None) -> str:
    name = setting or "AzureWebJobsStorage"
    value = os.environ.get(name) or os.environ.get(f"AzureWebJobs{name}")
    if not value:
        raise ConnectionNotConfigured(f"blob trigger connection setting {name!r} is not set")
    return value


class ConnectionNotConfigured(RuntimeError):
    pass


class BlobTriggers:
    def __init__(
        self, database: Database, functions: list[Any], poll_seconds: float = 1.0, inputs: InputBindings = NO_BINDINGS
    ) -> None:
        self.database = database
        self.inputs = inputs
        self.poll_seconds = poll_seconds
        self.watches = []
        self.sources: dict[str, str] = {}
        for function in triggers_of(functions, "blobTrigger"):
            trigger = function.get_trigger()
            container, prefix, pattern = parse_blob_path(trigger.path)
            self.sources[function.get_function_name()] = trigger_source(trigger)
            self.watches.append((function, container, prefix, pattern))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._clients: dict[str, Any] = {}

    def start(self) -> None:
        for function, container, _, _ in self.watches:
            name = function.get_function_name()
            log.info(
                "watching blob container",
                extra={"function": name, "container": container, "source": self.sources[name], "detection": "listing"},
            )
        if self.watches:
            self._thread = threading.Thread(target=self._loop, name="devhost-blob-scan", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)

    def _client(self, function: Any) -> BlobServiceClient:
        setting = function.get_trigger().connection
        key = setting or "AzureWebJobsStorage"
        if key not in self._clients:
            self._clients[key] = BlobServiceClient.from_connection_string(connection_string(setting))
        return self._clients[key]

    def _loop(self) -> None:
        failing: dict[str, int] = {}
        while not self._stop.is_set():
            for watch in self.watches:
                name = watch[0].get_function_name()
                streak = failing.get(name, 0)
                if streak and streak % min(2 ** min(streak, 5), 30):
                    failing[name] = streak + 1  # back off while storage is unreachable
                    continue
                try:
                    self._scan(*watch)
                    if streak:
                        log.info("blob scanning resumed", extra={"function": name})
                    failing.pop(name, None)
                except ConnectionNotConfigured as exc:
                    if not streak:
                        log.info(
                            "blob trigger not watching: its connection is not configured",
                            extra={"function": name, "error": str(exc)},
                        )
                    failing[name] = streak + 1
                except Exception as exc:  # noqa: BLE001 - storage may be down; retry later
                    if not streak:
                        log.warning(
                            "blob scan failed; retrying with back-off",
                            extra={"function": name, "error": f"{type(exc).__name__}: {exc}"[:300]},
                        )
                    failing[name] = streak + 1
            self._stop.wait(self.poll_seconds)

    def _receipts(self, name: str, container: str) -> dict[str, dict[str, Any]]:
        with self.database.connection() as conn:
            rows = conn.execute(
                "SELECT blob_path, etag, status, attempts FROM devhost_blob_receipts"
                " WHERE function_name = %s AND blob_path LIKE %s",
                (name, container.replace("%", "\\%").replace("_", "\\_") + "/%"),
            ).fetchall()
        return {row["blob_path"]: row for row in rows}

    def _scan(self, function: Any, container: str, prefix: str, pattern: re.Pattern[str]) -> None:
        name = function.get_function_name()
        client = self._client(function).get_container_client(container)
        if not client.exists():
            return
        receipts = self._receipts(name, container)
        for blob in client.list_blobs(name_starts_with=prefix or None, include=["metadata"]):
            if self._stop.is_set():
                return
            if not pattern.match(blob.name):
                continue
            path = f"{container}/{blob.name}"
            receipt = receipts.get(path)
            if receipt and receipt["etag"] == blob.etag and receipt["status"] in ("done", "poisoned"):
                continue
            attempts = receipt["attempts"] if receipt and receipt["etag"] == blob.etag else 0
            self._fire(function, client, blob, path, attempts)

    def _fire(self, function: Any, client: Any, blob: Any, path: str, attempts: int) -> None:
        trigger = function.get_trigger()
        blob_client = client.get_blob_client(blob.name)
        data = blob_client.download_blob(etag=blob.etag, match_condition=_if_match()).readall()
        stream = func.blob.InputStream(
            data=data,
            name=path,
            uri=blob_client.url,
            length=len(data),
            blob_properties={
                "ETag": blob.etag,
                "ContentType": blob.content_settings.content_type,
                "LastModified": blob.last_modified.isoformat() if blob.last_modified else None,
                "Length": blob.size,
            },
            metadata=dict(blob.metadata or {}),
        )
        error = None
        try:
            invoke(function, self.inputs, **{trigger.name: stream})
        except Exception as exc:  # noqa: BLE001 - retried on later scans, then poisoned
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
            log.info("blob function failed", extra={"function": function.get_function_name(), "blob": path})
        attempts += 1
        status = "done" if error is None else ("poisoned" if attempts >= MAX_ATTEMPTS else "failed")
        with self.database.connection() as conn:
            conn.execute(
                "INSERT INTO devhost_blob_receipts (function_name, blob_path, etag, status, attempts, last_error)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (function_name, blob_path) DO UPDATE SET"
                " etag = EXCLUDED.etag, status = EXCLUDED.status, attempts = EXCLUDED.attempts,"
                " last_error = EXCLUDED.last_error, updated_at = now()",
                (function.get_function_name(), path, blob.etag, status, attempts, error),
            )
            conn.commit()


def _if_match() -> Any:
    from azure.core import MatchConditions

    return MatchConditions.IfNotModified


def list_poisoned_blobs(database: Database) -> list[dict[str, Any]]:
    with database.connection() as conn:
        return conn.execute(
            "SELECT function_name, blob_path, attempts, last_error, updated_at FROM devhost_blob_receipts"
            " WHERE status = 'poisoned' ORDER BY updated_at DESC"
        ).fetchall()
