"""The README's main-job command runs end to end: sources registered, scanned, classified, catalogued."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import devhost_env


def _demo(database_url, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "devhost", "demo"],
        cwd=PROJECT_ROOT,
        env=devhost_env(database_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_demo_runs_the_main_job_end_to_end(database_url, tmp_path):
    result = _demo(database_url, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "1. Health: ok" in out
    assert "connection tests passed" in out
    assert "postgres   [##############################] 6/6  done" in out
    assert "files      [##############################] 3/3  done" in out
    assert "payments: card_number → credit_card_number, iban → iban" in out
    assert "ssn → us_ssn" in out
    assert "email → email_address" in out
    assert "leads.csv: E-mail Address → email_address" in out
    assert "orders: 6 columns, nothing sensitive" in out
    assert "sales: 5 columns, nothing sensitive" in out
    assert "8. Compliance (17 policies" in out and "open violations" in out
    assert "PCI DSS v4.0" in out and "gdpr-report.html" in out
    assert "Without a token every API answers 401" in out
    # A second run reuses the workspace and the sources and scans again.
    again = _demo(database_url, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "6/6  done" in again.stdout
