"""Fixtures for the classification tests: one engine (real Presidio, real model) per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # the repository root conftest may not exist yet
    sys.path.insert(0, str(ROOT))

from core.classification import ClassificationEngine, load_catalog  # noqa: E402


@pytest.fixture(scope="session")
def catalog():
    """The built-in catalog."""
    return load_catalog()


@pytest.fixture(scope="session")
def engine(catalog):
    """The full engine: patterns, column names, offline Presidio (forced on) and the model."""
    return ClassificationEngine(catalog, presidio_policy="always")
