"""The Durable client for route handlers, usable from the synchronous route pipeline.

Routes declared with ``durable=True`` are registered with the extension's client binding and run
their pipeline in a worker thread (``asyncio.to_thread``) while the event loop stays free; the
handler then calls these synchronous methods, each of which runs one client coroutine on that loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import azure.durable_functions as df
import azure.functions as func

from core.errors import ServiceUnavailable

T = TypeVar("T")
CALL_TIMEOUT_SECONDS = 30


class DurableClient:
    def __init__(
        self, client: df.DurableOrchestrationClient, loop: asyncio.AbstractEventLoop, request: func.HttpRequest
    ) -> None:
        self._client = client
        self._loop = loop
        self._request = request

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        try:
            return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(CALL_TIMEOUT_SECONDS)
        except TimeoutError:
            raise ServiceUnavailable("the orchestration service did not answer in time") from None

    def start(self, orchestrator: str, instance_id: str, payload: Any) -> str:
        return self._call(self._client.start_new(orchestrator, instance_id, payload))

    def raise_event(self, instance_id: str, event: str, data: Any = None) -> None:
        self._call(self._client.raise_event(instance_id, event, data))

    def terminate(self, instance_id: str, reason: str) -> None:
        self._call(self._client.terminate(instance_id, reason))

    def status(self, instance_id: str) -> Any:
        return self._call(self._client.get_status(instance_id))

    def management_urls(self, instance_id: str) -> dict[str, str]:
        """The extension's status/event/terminate URLs for the instance, on the caller's origin."""
        return self._client.get_client_response_links(self._request, instance_id)
