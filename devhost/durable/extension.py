"""Wires devhost's durable pieces together for one loaded function app."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from core.db.database import Database
from devhost.app_loader import LoadedApp
from devhost.durable.engine import Engine, FunctionIndex
from devhost.durable.management_api import PREFIX, ManagementApi
from devhost.durable.store import DurableStore
from devhost.durable.workers import DurableWorkers

_SETTING = re.compile(r"%([A-Za-z0-9_]+)%")


def resolve_setting_references(value: str) -> str:
    """host.json values may name app settings as ``%NAME%`` (the host substitutes them)."""
    return _SETTING.sub(lambda m: os.environ.get(m.group(1), m.group(0)), value)


class DurableExtension:
    def __init__(self, loaded: LoadedApp, database_url: str, base_url: Callable[[], str]) -> None:
        config: dict[str, Any] = loaded.host_config.get("extensions", {}).get("durableTask", {})
        self.hub = resolve_setting_references(str(config.get("hubName", "TestHubName")))
        self.max_activities = int(config.get("maxConcurrentActivityFunctions", 10))
        self.functions = FunctionIndex.from_functions(loaded.functions)
        # synchronous_commit=off: a commit returns before its WAL reaches disk. A killed devhost loses
        # nothing (the server keeps the commit); only a crash of the PostgreSQL server itself could drop
        # the last few milliseconds of durable state, which then re-runs from the previous episode.
        self.database = Database(
            database_url, max_size=self.max_activities + 6, session_options={"synchronous_commit": "off"}
        )
        self.store = DurableStore(self.hub)
        self.engine = Engine(self.store, self.functions)
        self.workers = DurableWorkers(self.database, self.engine, self.store, self.max_activities)
        self.api = ManagementApi(self.database, self.engine, self.store, base_url, self.workers.wake_orchestrations)

    def attach(self, http_host: Any) -> None:
        http_host.add_prefix_handler(PREFIX, self.api.handle)
        http_host.binding_providers["durableClient"] = self.api.client_binding

    def start(self) -> None:
        self.workers.start()

    def stop(self) -> None:
        self.workers.stop()
        self.database.close()
