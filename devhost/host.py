"""The whole local host: HTTP front end, the durable extension and the other triggers for one app."""

from __future__ import annotations

from pathlib import Path

from core.db.database import Database
from core.events.subscriptions import like_patterns
from devhost.app_loader import LoadedApp, load_app
from devhost.durable.extension import DurableExtension
from devhost.http_server import DevhostServer, FunctionsHttpHost
from devhost.triggers.blobs import BlobTriggers
from devhost.triggers.invoke import InputBindings
from devhost.triggers.servicebus import ServiceBusTriggers
from devhost.triggers.timers import TimerTriggers


class LocalHost:
    """Serve ``app_dir`` on ``bind:port`` (port 0 picks a free one) with every trigger devhost supports."""

    def __init__(
        self,
        app_dir: Path,
        database_url: str,
        *,
        bind: str = "127.0.0.1",
        port: int = 7071,
        max_delivery_count: int = 10,
        blob_poll_seconds: float = 1.0,
    ) -> None:
        self.loaded: LoadedApp = load_app(app_dir)
        config = self.loaded.host_config.get("extensions", {})
        max_activities = int(config.get("durableTask", {}).get("maxConcurrentActivityFunctions", 10))
        max_calls = int(config.get("serviceBus", {}).get("messageHandlerOptions", {}).get("maxConcurrentCalls", 16))
        # synchronous_commit=off: a commit returns before its WAL reaches disk. A killed devhost loses
        # nothing (the server keeps the commit); only a crash of the PostgreSQL server itself could drop
        # the last few milliseconds of host state, which then re-runs from the step before.
        self.database = Database(
            database_url, max_size=max_activities + max_calls + 8, session_options={"synchronous_commit": "off"}
        )
        self.http = FunctionsHttpHost(self.loaded)
        self.server = DevhostServer(self.http, bind=bind, port=port)
        self.durable = DurableExtension(self.loaded, self.database, lambda: self.server.base_url)
        self.durable.attach(self.http)
        functions = self.loaded.functions
        inputs = InputBindings()
        inputs.providers["durableClient"] = self.durable.api.client_binding
        self.service_bus = ServiceBusTriggers(
            self.database,
            functions,
            max_delivery_count=max_delivery_count,
            max_concurrent_calls=max_calls,
            inputs=inputs,
            subject_filters=like_patterns(),
        )
        self.blobs = BlobTriggers(self.database, functions, poll_seconds=blob_poll_seconds, inputs=inputs)
        self.timers = TimerTriggers(self.database, functions, inputs=inputs)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def _start_triggers(self) -> None:
        self.durable.start()
        self.service_bus.start()
        self.blobs.start()
        self.timers.start()

    def start_background(self) -> None:
        self._start_triggers()
        self.server.start_in_background()

    def serve_forever(self) -> None:
        self._start_triggers()
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.stop()
        self.timers.stop()
        self.blobs.stop()
        self.service_bus.stop()
        self.durable.stop()
        self.database.close()
