"""The process-wide engine and the catalog views served by the API.

Building a ``ClassificationEngine`` costs seconds (Hyperscan database, column model, Presidio on
first use), so a process builds ONE, lazily, on first use, and every request reuses it; rule sets
are passed per call (the engine caches their compiled form by ``(id, version)``).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from core.classification.catalog import ClassificationDefinition, load_catalog
from core.classification.rule_sets import builtin_templates

if TYPE_CHECKING:
    from core.classification.engine import ClassificationEngine

_lock = threading.Lock()
_engine: ClassificationEngine | None = None


def get_engine() -> ClassificationEngine:
    """The shared engine, built on first call (thread-safe; later calls return it at once)."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                from core.classification.engine import ClassificationEngine

                _engine = ClassificationEngine()
    return _engine


def set_engine(engine: ClassificationEngine | None) -> None:
    """Replace (or forget, with None) the shared engine: for tests and tools."""
    global _engine
    with _lock:
        _engine = engine


class ClassificationSummary(BaseModel):
    """A catalog entry as listed (GET /classifications)."""

    id: str
    name: str
    description: str
    category: str
    sensitivity: str = Field(description="Default sensitivity label.")
    purview: str | None = Field(None, description="Matching Microsoft Purview system classification.")
    minimum_match_percentage: float
    templates: list[str] = Field(description="Built-in templates that select it.")


class ClassificationDetail(ClassificationSummary):
    """A catalog entry with its recognisers (GET /classifications/{id})."""

    definition: ClassificationDefinition


def _templates_of(classification_id: str) -> list[str]:
    return [t.id for t in builtin_templates().values() if classification_id in t.classifications]


def summarise(definition: ClassificationDefinition) -> ClassificationSummary:
    return ClassificationSummary(
        id=definition.id,
        name=definition.name,
        description=definition.description,
        category=definition.category.value,
        sensitivity=definition.sensitivity.value,
        purview=definition.purview,
        minimum_match_percentage=definition.minimum_match_percentage,
        templates=_templates_of(definition.id),
    )


def list_classifications(
    category: str | None = None, template: str | None = None, sensitivity: str | None = None
) -> list[ClassificationSummary]:
    """The catalog, in id order, optionally filtered."""
    items = [summarise(d) for d in sorted(load_catalog(), key=lambda d: d.id)]
    return [
        item
        for item in items
        if (category is None or item.category == category)
        and (template is None or template in item.templates)
        and (sensitivity is None or item.sensitivity == sensitivity)
    ]


def get_classification(classification_id: str) -> ClassificationDetail | None:
    catalog = load_catalog()
    if classification_id not in catalog:
        return None
    definition = catalog.get(classification_id)
    return ClassificationDetail(**summarise(definition).model_dump(), definition=definition)
