"""Calling a function the way the worker does: by binding name, awaiting coroutines on the shared loop."""

from __future__ import annotations

import inspect
from typing import Any

from devhost.worker_loop import awaited, run_async


def invoke(function: Any, **bindings: Any) -> Any:
    result = function.get_user_function()(**bindings)
    if inspect.isawaitable(result):
        result = run_async(awaited(result))
    return result


def triggers_of(functions: list[Any], binding: str) -> list[Any]:
    return [f for f in functions if f.get_trigger().get_binding_name() == binding]
