"""Structural rules of the code base."""

from __future__ import annotations

import ast
import json
import re
from enum import Enum
from pathlib import Path

from core.settings import Settings
from tests.conftest import PROJECT_ROOT

APP_PACKAGES = ["core", "functions", "orchestrations", "activities"]


def _python_files(*packages: str) -> list[Path]:
    return [path for package in packages for path in (PROJECT_ROOT / package).rglob("*.py")]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_core_never_imports_azure_functions():
    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for path in _python_files("core")
        if any(name == "azure.functions" or name.startswith("azure.functions.") for name in _imports(path))
    ]
    assert offenders == []
    assert len(_python_files("core")) > 5  # the check really looked at something


def test_only_the_settings_module_reads_the_environment():
    offenders = []
    for path in _python_files(*APP_PACKAGES) + [PROJECT_ROOT / "function_app.py"]:
        if path == PROJECT_ROOT / "core" / "settings.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv"}:
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    assert offenders == []


def test_sample_settings_list_every_setting_of_the_model():
    sample = json.loads((PROJECT_ROOT / "local.settings.sample.json").read_text())["Values"]
    sample_names = {name for name in sample if name.startswith("DATAWAVE_")}
    model_names = {"DATAWAVE_" + name.upper() for name in Settings.model_fields}
    assert sample_names == model_names


def test_sample_settings_defaults_are_valid_for_the_model(monkeypatch):
    sample = json.loads((PROJECT_ROOT / "local.settings.sample.json").read_text())["Values"]
    for name, value in sample.items():
        if name.startswith("DATAWAVE_"):
            monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.env.value == "local"


def _readme_settings() -> dict[str, str]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `(DATAWAVE_[A-Z0-9_]+)` \| ([^|]*?) \|", section, re.MULTILINE))


def _shown_default(value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, Path):
        return f"`{value.relative_to(PROJECT_ROOT)}`" if value.is_relative_to(PROJECT_ROOT) else f"`{value}`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value.value if isinstance(value, Enum) else value}`"


def test_readme_settings_table_matches_the_model():
    """README's table of settings names every field of the model once, with the model's default."""
    table = _readme_settings()
    model = {"DATAWAVE_" + name.upper(): field for name, field in Settings.model_fields.items()}
    assert sorted(table) == sorted(model)
    assert {name: _shown_default(field.default) for name, field in model.items()} == table


def test_function_app_registers_one_blueprint_per_domain_group():
    source = (PROJECT_ROOT / "function_app.py").read_text()
    for group in [
        "workspaces",
        "datasources",
        "scanrules",
        "classification",
        "catalog",
        "scans",
        "racine",
        "compliance",
        "audit",
    ]:
        assert (PROJECT_ROOT / "functions" / f"{group}.py").exists()
        assert group in source
