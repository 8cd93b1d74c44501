"""Wires devhost's durable pieces together for one loaded function app."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from core.db.database import Database
from devhost.app_loader import LoadedApp
from devhost.durable.activities import WorkerProcesses, worker_process_count
from devhost.durable.engine import Engine, FunctionIndex
from devhost.durable.management_api import PREFIX, ManagementApi
from devhost.durable.store import DurableStore
from devhost.durable.workers import DurableWorkers

_SETTING = re.compile(r"%([A-Za-z0-9_]+)%")


def resolve_setting_references(value: str) -> str:
    """host.json values may name app settings as ``%NAME%`` (the host substitutes them)."""
    return _SETTING.sub(lambda m: os.environ.get(m.group(1), m.group(0)), value)


class DurableExtension:
    def __init__(self, loaded: LoadedApp, database: Database, base_url: Callable[[], str]) -> None:
        config: dict[str, Any] = loaded.host_config.get("extensions", {}).get("durableTask", {})
        self.hub = resolve_setting_references(str(config.get("hubName", "TestHubName")))
        self.max_activities = int(config.get("maxConcurrentActivityFunctions", 10))
        self.functions = FunctionIndex.from_functions(loaded.functions)
        self.database = database
        self.store = DurableStore(self.hub)
        self.engine = Engine(self.store, self.functions)
        count = worker_process_count()
        processes = WorkerProcesses(loaded.root, count, database.url, self.max_activities) if count > 1 else None
        self.workers = DurableWorkers(self.database, self.engine, self.store, self.max_activities, processes)
        self.api = ManagementApi(self.database, self.engine, self.store, base_url, self.workers.wake_orchestrations)

    def attach(self, http_host: Any) -> None:
        http_host.add_prefix_handler(PREFIX, self.api.handle)
        http_host.binding_providers["durableClient"] = self.api.client_binding

    def start(self) -> None:
        self.workers.start()

    def stop(self) -> None:
        self.workers.stop()
