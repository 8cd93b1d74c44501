"""Fixtures for the offline infrastructure tests: every Bicep file parsed once with pycep-parser.

Everything the tests need is handed out as a fixture (``templates``, ``bicep_dir``…) or through
``pytest_generate_tests`` (``bicep_file``, ``bicepparam_file``), so no test module imports this file.

pycep returns plain dicts: ``parameters``/``variables``/``resources``/``modules``/``outputs`` keyed by
symbolic name. Literal strings and identifiers both come back as ``str`` (``'dev'`` and ``dev`` look the
same), quoted object keys keep their quotes, and expressions are nested ``{"operator"|"function": ...}``
dicts; the helpers below only rely on those shapes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pycep import BicepParser

REPO_ROOT = Path(__file__).resolve().parents[2]
BICEP_DIR = REPO_ROOT / "infra" / "bicep"
MAIN = BICEP_DIR / "main.bicep"
ENVIRONMENTS = ("dev", "test", "prod")


def bicep_files() -> list[Path]:
    return sorted(BICEP_DIR.rglob("*.bicep"))


def bicepparam_files() -> list[Path]:
    return sorted(BICEP_DIR.glob("*.bicepparam"))


@dataclass(frozen=True)
class Resource:
    file: str  # path relative to infra/bicep
    symbol: str
    body: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.body["type"])

    @property
    def config(self) -> dict[str, Any]:
        """The resource body; loops (`[for ...]`) and conditions (`if (...)`) wrap it in one more level."""
        config = dict(self.body["config"])
        if "loop_type" in config or ("condition" in config and "config" in config):
            return dict(config["config"])
        return config

    @property
    def looped(self) -> bool:
        return "loop_type" in self.body["config"]

    @property
    def properties(self) -> dict[str, Any]:
        return dict(self.config.get("properties") or {})


class Templates:
    """All parsed Bicep files of infra/bicep, keyed by path relative to that folder."""

    def __init__(self, trees: dict[str, dict[str, Any]]) -> None:
        self.trees = trees

    def tree(self, rel: str) -> dict[str, Any]:
        return self.trees[rel]

    def resources(self, type_: str | None = None, *, include_existing: bool = False) -> list[Resource]:
        found = []
        for rel, tree in self.trees.items():
            for symbol, body in (tree.get("resources") or {}).items():
                if body.get("existing") and not include_existing:
                    continue
                if type_ is None or body["type"].lower() == type_.lower():
                    found.append(Resource(rel, symbol, body))
        return found

    def one(self, type_: str) -> Resource:
        found = self.resources(type_)
        assert len(found) == 1, f"expected exactly one {type_}, found {[r.symbol for r in found]}"
        return found[0]

    @staticmethod
    def module_config(module: dict[str, Any]) -> dict[str, Any]:
        """A module's body (name, scope, params…); a condition (`= if (...) {`) wraps it in one more level."""
        config = dict(module["config"])
        if "condition" in config and "config" in config:
            return dict(config["config"])
        return config

    @staticmethod
    def module_condition(module: dict[str, Any]) -> Any:
        """The condition of a conditional module, None for one that is always deployed."""
        config = module["config"]
        return config["condition"] if "condition" in config and "config" in config else None

    @staticmethod
    def unquote(key: str) -> str:
        """Object keys that needed quotes in Bicep keep them in pycep's output."""
        return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == "'" else key

    @staticmethod
    def walk(node: Any) -> Iterator[Any]:
        """Every dict, list and scalar inside a parsed node."""
        yield node
        if isinstance(node, dict):
            for value in node.values():
                yield from Templates.walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from Templates.walk(item)

    @staticmethod
    def strings(node: Any) -> list[str]:
        return [value for value in Templates.walk(node) if isinstance(value, str)]

    @staticmethod
    def strip_comments(text: str) -> str:
        """Bicep source without // line comments (good enough for files without '//' inside strings
        other than URLs, which are kept because the comment must follow whitespace or start a line)."""
        return re.sub(r"(^|\s)//.*$", r"\1", text, flags=re.MULTILINE)

    @staticmethod
    def read_bicepparam(path: Path) -> tuple[str, dict[str, str]]:
        """(the `using` target, {param name: raw expression}) of a .bicepparam file.

        pycep-parser does not read .bicepparam files; their grammar here is one `using` line and one
        `param name = expression` per line.
        """
        using = ""
        values: dict[str, str] = {}
        for raw in path.read_text().splitlines():
            line = Templates.strip_comments(raw).strip()
            if not line:
                continue
            if line.startswith("using "):
                using = line.split(None, 1)[1].strip("'")
                continue
            match = re.match(r"^param\s+(\w+)\s*=\s*(.+?)\s*$", line)
            assert match, f"{path.name}: unexpected line {raw!r}"
            name, expression = match.groups()
            assert name not in values, f"{path.name}: {name} assigned twice"
            values[name] = expression
        return using, values


@pytest.fixture(scope="session")
def templates() -> Templates:
    parser = BicepParser()
    trees = {str(p.relative_to(BICEP_DIR)): dict(parser.parse(file_path=p)) for p in bicep_files()}
    return Templates(trees)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def bicep_dir() -> Path:
    return BICEP_DIR


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "bicep_file" in metafunc.fixturenames:
        files = bicep_files()
        metafunc.parametrize("bicep_file", files, ids=[str(p.relative_to(BICEP_DIR)) for p in files])
    if "bicepparam_file" in metafunc.fixturenames:
        files = bicepparam_files()
        metafunc.parametrize("bicepparam_file", files, ids=[p.name for p in files])
