"""The whole local host: HTTP front end plus the durable extension for one function app."""

from __future__ import annotations

from pathlib import Path

from devhost.app_loader import LoadedApp, load_app
from devhost.durable.extension import DurableExtension
from devhost.http_server import DevhostServer, FunctionsHttpHost


class LocalHost:
    """Serve ``app_dir`` on ``bind:port`` (port 0 picks a free one) with durable support."""

    def __init__(self, app_dir: Path, database_url: str, *, bind: str = "127.0.0.1", port: int = 7071) -> None:
        self.loaded: LoadedApp = load_app(app_dir)
        self.http = FunctionsHttpHost(self.loaded)
        self.server = DevhostServer(self.http, bind=bind, port=port)
        self.durable = DurableExtension(self.loaded, database_url, lambda: self.server.base_url)
        self.durable.attach(self.http)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def start_background(self) -> None:
        self.durable.start()
        self.server.start_in_background()

    def serve_forever(self) -> None:
        self.durable.start()
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.stop()
        self.durable.stop()
