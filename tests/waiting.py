"""Waiting for background work (relays, triggers, orchestrations) in tests, without sleeping blindly."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(check: Callable[[], T], timeout: float = 60, interval: float = 0.2) -> T:
    """Call ``check`` until it returns something truthy or ``timeout`` seconds pass; return its last
    result (falsy on timeout, so the caller's assertion fails with what was last seen)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)
