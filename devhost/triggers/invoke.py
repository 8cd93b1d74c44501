"""Calling a function the way the worker does: by binding name, awaiting coroutines on the shared loop."""

from __future__ import annotations

import inspect
from typing import Any

from devhost.worker_loop import awaited, run_async


class InputBindings:
    """Input bindings devhost can satisfy beyond the trigger, by binding type (e.g. ``durableClient``)."""

    def __init__(self) -> None:
        self.providers: dict[str, Any] = {}

    def for_function(self, function: Any) -> dict[str, Any]:
        trigger_name = function.get_trigger().name
        values = {}
        for binding in function.get_bindings():
            provider = self.providers.get(getattr(binding, "type", ""))
            if provider is not None and binding.name != trigger_name:
                values[binding.name] = provider(binding)
        return values


NO_BINDINGS = InputBindings()


def invoke(function: Any, inputs: InputBindings = NO_BINDINGS, **bindings: Any) -> Any:
    """Call ``function`` with its trigger value(s) and any input bindings devhost provides."""
    result = function.get_user_function()(**inputs.for_function(function), **bindings)
    if inspect.isawaitable(result):
        result = run_async(awaited(result))
    return result


def triggers_of(functions: list[Any], binding: str) -> list[Any]:
    return [f for f in functions if f.get_trigger().get_binding_name() == binding]
