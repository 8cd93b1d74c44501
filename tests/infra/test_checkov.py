"""checkov, offline, over infra/bicep: zero failed checks except the .checkov.yaml skip list, where every
entry carries its reason and is still needed.

checkov lives in its own virtualenv (.venv-checkov: its pins clash with the app's), found through
$CHECKOV_BIN, then .venv-checkov/bin/checkov, then PATH. The two runs (with and without the skip list)
start together, so the module costs one checkov run of wall time (~10-20 s).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

OFFLINE_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "CKV_PARSE_ERROR_FAIL": "true",
}
MIN_REASON_LENGTH = 30


def checkov_binary(repo_root: Path) -> str:
    candidates = [
        os.environ.get("CHECKOV_BIN"),
        str(repo_root / ".venv-checkov" / "bin" / "checkov"),
        shutil.which("checkov"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail(
        "checkov not found: python3.11 -m venv .venv-checkov && "
        ".venv-checkov/bin/pip install checkov==3.3.30 "
        "(or set CHECKOV_BIN)"
    )


def start(repo_root: Path, workdir: Path, *, with_skip_list: bool) -> subprocess.Popen[str]:
    """checkov as docs/deploy.md runs it; without the skip list it runs from an empty directory
    because checkov also picks up ./.checkov.yaml on its own."""
    command = [checkov_binary(repo_root)]
    if with_skip_list:
        command += ["--config-file", str(repo_root / ".checkov.yaml")]
    command += [
        "-d",
        str(repo_root / "infra" / "bicep"),
        "--framework",
        "bicep",
        "--skip-download",
        "--compact",
        "--quiet",
        "-o",
        "json",
    ]
    env = {**os.environ, **OFFLINE_ENV}
    return subprocess.Popen(
        command,
        cwd=repo_root if with_skip_list else workdir,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def report(process: subprocess.Popen[str]) -> dict[str, Any]:
    stdout, stderr = process.communicate(timeout=300)
    start_index = stdout.find("{")
    assert start_index >= 0, f"no JSON from checkov (exit {process.returncode}):\n{stdout}\n{stderr[-3000:]}"
    data = json.loads(stdout[start_index:])
    data["exit_code"] = process.returncode
    return data


@pytest.fixture(scope="module")
def checkov_runs(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("checkov")
    with_skips = start(repo_root, workdir, with_skip_list=True)
    without_skips = start(repo_root, workdir, with_skip_list=False)
    return {"configured": report(with_skips), "raw": report(without_skips)}


@pytest.fixture(scope="module")
def skip_entries(repo_root: Path) -> dict[str, str]:
    """{check id: reason} from .checkov.yaml, reasons being the same-line comments."""
    path = repo_root / ".checkov.yaml"
    entries: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*-\s*(CKV2?_[A-Z]+_\d+)\s*(?:#\s*(.*))?$", line)
        if match:
            assert match.group(1) not in entries, f"{match.group(1)} listed twice"
            entries[match.group(1)] = (match.group(2) or "").strip()
    assert set(entries) == set(yaml.safe_load(path.read_text()).get("skip-check") or [])
    return entries


def failed_ids(data: dict[str, Any]) -> set[str]:
    return {check["check_id"] for check in data.get("results", {}).get("failed_checks", [])}


def describe(data: dict[str, Any]) -> str:
    return "\n".join(
        f"{c['check_id']} {c['check_name']} — {c['file_path']} {c['resource']}"
        for c in data.get("results", {}).get("failed_checks", [])
    )


def test_every_skip_has_a_reason(skip_entries: dict[str, str]) -> None:
    for check_id, reason in skip_entries.items():
        assert len(reason) >= MIN_REASON_LENGTH, f"{check_id} needs a reason on its line"


def test_checkov_finds_no_failures_with_the_skip_list(checkov_runs) -> None:
    data = checkov_runs["configured"]
    summary = data["summary"]
    assert summary["parsing_errors"] == 0, "checkov could not parse a Bicep file (see CKV_PARSE_ERROR_FAIL)"
    assert summary["failed"] == 0, describe(data)
    assert summary["passed"] > 0
    assert summary["resource_count"] > 50
    assert data["exit_code"] == 0


def test_the_skip_list_is_exactly_what_fails_without_it(checkov_runs, skip_entries) -> None:
    failed = failed_ids(checkov_runs["raw"])
    stale = set(skip_entries) - failed
    unlisted = failed - set(skip_entries)
    assert not stale, f"skip entries no longer needed: {sorted(stale)}"
    assert not unlisted, describe(checkov_runs["raw"])
