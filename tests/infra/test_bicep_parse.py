"""Every Bicep file parses, modules are wired to parameters that exist, and the per-environment
.bicepparam files assign exactly what main.bicep declares."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pycep import BicepParser


def test_bicep_file_parses(bicep_file: Path) -> None:
    tree = BicepParser().parse(file_path=bicep_file)
    assert tree.get("resources") or tree.get("modules"), f"{bicep_file.name} declares nothing"


def test_syntax_error_is_reported_with_its_position() -> None:
    # Guards the guard: pycep must reject broken Bicep rather than return a partial tree.
    with pytest.raises(Exception, match=r"line 2"):
        BicepParser().parse(text="param ok string\nresource broken 'Microsoft.Web/sites@2024-04-01' = {\n")


def test_there_is_one_param_file_per_environment(bicep_dir: Path) -> None:
    names = sorted(p.name for p in bicep_dir.glob("*.bicepparam"))
    assert names == ["main.dev.bicepparam", "main.prod.bicepparam", "main.test.bicepparam"]


def test_every_module_exists_and_receives_only_declared_parameters(templates, bicep_dir: Path) -> None:
    modules_seen = set()
    for rel, tree in templates.trees.items():
        for symbol, module in (tree.get("modules") or {}).items():
            target = (bicep_dir / rel).parent / module["detail"]["path"]
            assert target.is_file(), f"{rel}: module {symbol} points at missing {target}"
            target_rel = str(target.resolve().relative_to(bicep_dir.resolve()))
            modules_seen.add(target_rel)
            declared = templates.tree(target_rel).get("parameters") or {}
            passed = set(templates.module_config(module).get("params") or {})
            unknown = passed - set(declared)
            assert not unknown, f"{rel}: module {symbol} passes undeclared {sorted(unknown)}"
            required = {name for name, p in declared.items() if p.get("default") is None}
            missing = required - passed
            assert not missing, f"{rel}: module {symbol} misses required {sorted(missing)}"
    on_disk = {str(p.relative_to(bicep_dir)) for p in (bicep_dir / "modules").glob("*.bicep")}
    assert on_disk <= modules_seen, f"modules never used: {sorted(on_disk - modules_seen)}"


def test_param_file_matches_main(bicepparam_file: Path, templates) -> None:
    using, values = templates.read_bicepparam(bicepparam_file)
    assert using == "./main.bicep"
    declared = templates.tree("main.bicep")["parameters"]
    unknown = set(values) - set(declared)
    assert not unknown, f"{bicepparam_file.name} sets undeclared {sorted(unknown)}"
    required = {name for name, p in declared.items() if p.get("default") is None}
    assert required <= set(values), f"{bicepparam_file.name} misses {sorted(required - set(values))}"

    env = bicepparam_file.name.split(".")[1]
    assert values["environmentName"] == f"'{env}'"
    for name, expression in values.items():
        literal = re.fullmatch(r"'([^']*)'", expression)
        allowed = next((d["argument"] for d in declared[name]["decorators"] if d["type"] == "allowed"), None)
        if literal and allowed:
            assert literal.group(1) in allowed, f"{bicepparam_file.name}: {name}={expression} not allowed"


def test_param_files_keep_people_and_tenants_out_of_git(bicepparam_file: Path, templates) -> None:
    _, values = templates.read_bicepparam(bicepparam_file)
    for name in ("postgresAdminObjectId", "postgresAdminPrincipalName", "apimPublisherEmail"):
        assert values[name].startswith("readEnvironmentVariable("), f"{name} must come from the environment"
    text = bicepparam_file.read_text()
    guid = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert not re.search(guid, text, re.IGNORECASE), "no tenant/object ids in param files"
    assert "@" not in text, "no e-mail addresses in param files"


def test_production_is_resilient(templates, bicep_dir: Path) -> None:
    _, prod = templates.read_bicepparam(bicep_dir / "main.prod.bicepparam")
    assert prod["postgresHighAvailabilityMode"] == "'ZoneRedundant'"
    assert prod["postgresGeoRedundantBackup"] == "'Enabled'"
    assert int(prod["postgresBackupRetentionDays"]) >= 30
    high_availability_tiers = ("'GeneralPurpose'", "'MemoryOptimized'")
    assert prod["postgresSkuTier"] in high_availability_tiers, "HA needs more than Burstable"
    assert prod["zoneRedundant"] == "true"
    assert prod["cosmosBackupTier"] == "'Continuous30Days'"
    assert prod["storageSkuName"] in ("'Standard_GZRS'", "'Standard_GRS'")


def test_high_availability_is_never_requested_on_burstable(templates, bicepparam_file: Path) -> None:
    _, values = templates.read_bicepparam(bicepparam_file)
    if values.get("postgresSkuTier") == "'Burstable'":
        assert values.get("postgresHighAvailabilityMode", "'Disabled'") == "'Disabled'"
