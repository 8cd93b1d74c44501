"""Fixtures for devhost's own tests: fixture function apps hosted by devhost."""

from __future__ import annotations

from pathlib import Path

import pytest

APPS = Path(__file__).resolve().parent / "apps"
DURABLE_APP = APPS / "durable_app"


@pytest.fixture(scope="module")
def durable_app_dir() -> Path:
    return DURABLE_APP
