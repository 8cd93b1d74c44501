"""One long-lived asyncio loop for async functions, as the Python worker has.

The Durable SDK keeps one aiohttp session per process, bound to the loop that created it, so async
functions must all run on the same loop (``asyncio.run`` per call would break the second call).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def _ensure_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="devhost-async", daemon=True).start()
            _loop = loop
        return _loop


def run_async(coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    """Run ``coroutine`` on the shared loop and wait for its result from any thread."""
    return asyncio.run_coroutine_threadsafe(coroutine, _ensure_loop()).result(timeout)


async def awaited(awaitable: Any) -> Any:
    return await awaitable
