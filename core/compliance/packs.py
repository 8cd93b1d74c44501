"""Framework packs: the data files under ``frameworks/``, validated and compiled once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from core.compliance.engine import CompiledCondition, compile_condition
from core.compliance.model import FrameworkPack, PackPolicy
from core.errors import NotFound

FRAMEWORKS_DIR = Path(__file__).with_name("frameworks")


class UnknownFramework(NotFound):
    code = "unknown_framework"


@dataclass(frozen=True)
class PackRule:
    """One pack policy ready to evaluate."""

    ref: str  # "<framework>/<policy id>"
    version: int
    framework: str
    control_ids: tuple[str, ...]
    policy: PackPolicy
    compiled: CompiledCondition
    correlated: CompiledCondition  # per-asset form, for runs over a few assets


def load_pack(path: Path) -> FrameworkPack:
    try:
        pack = FrameworkPack.model_validate(yaml.safe_load(path.read_text()))
    except ValidationError as exc:
        raise ValueError(f"{path.name}: {exc}") from exc
    if pack.framework != path.stem:
        raise ValueError(f"{path.name}: framework {pack.framework!r} must equal the file name")
    for policy in pack.policies:
        compile_condition(policy.condition)  # a pack that cannot evaluate fails at load, not at sweep
    return pack


@lru_cache(maxsize=1)
def packs() -> dict[str, FrameworkPack]:
    """Every framework pack, by framework id."""
    return {p.stem: load_pack(p) for p in sorted(FRAMEWORKS_DIR.glob("*.yaml"))}


def get_pack(framework: str) -> FrameworkPack:
    pack = packs().get(framework)
    if pack is None:
        raise UnknownFramework(f"unknown framework {framework!r} (known: {', '.join(sorted(packs()))})")
    return pack


@lru_cache(maxsize=1)
def pack_rules() -> tuple[PackRule, ...]:
    rules = []
    for pack in packs().values():
        for policy in pack.policies:
            controls = tuple(c.id for c in pack.controls if policy.id in c.policies)
            rules.append(
                PackRule(
                    f"{pack.framework}/{policy.id}",
                    pack.version,
                    pack.framework,
                    controls,
                    policy,
                    compile_condition(policy.condition),
                    compile_condition(policy.condition, set_based=False),
                )
            )
    return tuple(rules)
