"""The README's main-job command runs end to end."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import devhost_env


def test_demo_runs_end_to_end(database_url, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "devhost", "demo"],
        cwd=PROJECT_ROOT,
        env=devhost_env(database_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "GET /api/health → ok" in out
    assert "POST /api/v1/workspaces → 201" in out
    assert "Without a token → 401 unauthenticated" in out
    assert "→ 404 not_found" in out
    assert "→ 422 validation_error (body.name, body.region)" in out
    # A second run reuses the workspace instead of failing on the duplicate name.
    again = subprocess.run(
        [sys.executable, "-m", "devhost", "demo"],
        cwd=PROJECT_ROOT,
        env=devhost_env(database_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert again.returncode == 0 and "already exists" in again.stdout
