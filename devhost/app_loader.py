"""Load a function app the way the Python worker does: import ``function_app.py`` and index it once
with ``get_functions()``."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure.functions.decorators.function_app import FunctionRegister


@dataclass
class LoadedApp:
    root: Path
    app: FunctionRegister
    functions: list[Any]
    route_prefix: str
    host_config: dict[str, Any]


def apply_local_settings(app_dir: Path) -> dict[str, str]:
    """Export ``local.settings.json`` Values as environment variables, as ``func start`` does.
    Variables already set in the environment win, so tests and CI can override any of them."""
    path = app_dir / "local.settings.json"
    if not path.exists():
        return {}
    values = json.loads(path.read_text()).get("Values", {})
    applied = {}
    for key, value in values.items():
        if key not in os.environ:
            os.environ[key] = str(value)
            applied[key] = str(value)
    return applied


def load_app(app_dir: Path) -> LoadedApp:
    """Import ``app_dir/function_app.py`` and index its functions (``get_functions()`` runs once)."""
    app_dir = app_dir.resolve()
    entry = app_dir / "function_app.py"
    if not entry.exists():
        raise FileNotFoundError(f"{entry} not found: --app must name a function app directory")
    if str(app_dir) not in sys.path:
        sys.path.insert(0, str(app_dir))
    module_name = "function_app"
    module = sys.modules.get(module_name)
    if module is None or Path(getattr(module, "__file__", "")).resolve() != entry:
        spec = importlib.util.spec_from_file_location(module_name, entry)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    apps = [value for value in vars(module).values() if isinstance(value, FunctionRegister)]
    if len(apps) != 1:
        raise RuntimeError(f"{entry} must define exactly one function app object, found {len(apps)}")
    app = apps[0]
    cached = getattr(app, "_devhost_functions", None)
    functions = cached if cached is not None else app.get_functions()
    app._devhost_functions = functions  # type: ignore[attr-defined]  # get_functions() may run only once
    host_path = app_dir / "host.json"
    host_config = json.loads(host_path.read_text()) if host_path.exists() else {"version": "2.0"}
    prefix = host_config.get("extensions", {}).get("http", {}).get("routePrefix", "api")
    return LoadedApp(app_dir, app, functions, prefix.strip("/"), host_config)
