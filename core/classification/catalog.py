"""The classification catalog: declarative definitions loaded from YAML files into a registry.

One file per classification under ``definitions/`` (Presidio-style: data over code). A definition
says what a classification is (id, category, default sensitivity label, Purview name) and how to
recognise it (data patterns with base scores and validators, value dictionaries, column-name
phrases and patterns, context words, the Presidio entities that mean the same thing, the minimum
percentage of distinct sampled values that must match). The engine is generic over definitions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.classification.errors import CatalogError
from core.classification.validators import VALIDATORS

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Score = Annotated[float, Field(ge=0.0, le=1.0)]


class Category(StrEnum):
    """Broad family of a classification (drives templates and reporting)."""

    PII = "PII"
    PHI = "PHI"
    PCI = "PCI"
    FINANCIAL = "financial"
    CREDENTIAL = "credential"
    TECHNICAL = "technical"


class SensitivityLabel(StrEnum):
    """Default sensitivity label, ordered from least to most sensitive."""

    PUBLIC = "Public"
    INTERNAL = "Internal"
    CONFIDENTIAL = "Confidential"
    HIGHLY_CONFIDENTIAL = "Highly Confidential"

    @property
    def rank(self) -> int:
        """0 (Public) to 3 (Highly Confidential): labels compare by rank."""
        return list(SensitivityLabel).index(self)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataPattern(_Strict):
    """A value recogniser: a full-value regex or a dictionary of values, plus validators.

    ``regex`` must match the whole (stripped) value; it is compiled for Hyperscan and Python ``re``,
    so it may not use look-arounds or back-references. ``score`` is the confidence that a value
    matching it (and passing every validator) is the entity, like a Presidio pattern score.
    """

    id: Identifier
    regex: str | None = None
    dictionary: tuple[str, ...] = ()
    score: Score
    ignore_case: bool = False
    validators: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _one_matcher(self) -> DataPattern:
        if (self.regex is None) == (not self.dictionary):
            raise ValueError(f"pattern {self.id!r}: give exactly one of 'regex' or 'dictionary'")
        if self.regex is not None:
            if re.search(r"\(\?[=!<]|\\[1-9]", self.regex):
                raise ValueError(f"pattern {self.id!r}: look-arounds and back-references are not allowed")
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"pattern {self.id!r}: invalid regex: {exc}") from exc
        unknown = [name for name in self.validators if name not in VALIDATORS]
        if unknown:
            raise ValueError(f"pattern {self.id!r}: unknown validator(s) {unknown}")
        return self


class ColumnPhrase(_Strict):
    """A column-name phrase: words matched against the normalised column-name tokens."""

    phrase: str
    score: Score = 0.8

    @property
    def tokens(self) -> tuple[str, ...]:
        """The phrase's words, lower case."""
        return tuple(self.phrase.lower().split())


class ColumnPattern(_Strict):
    """A regex searched in the normalised (snake_case, ASCII-folded) column name."""

    regex: str
    score: Score = 0.7

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid column regex {value!r}: {exc}") from exc
        return value


class ClassificationDefinition(_Strict):
    """One classification, as written in ``definitions/<id>.yaml``."""

    id: Identifier
    name: str
    description: str = ""
    category: Category
    sensitivity: SensitivityLabel
    purview: str | None = None
    minimum_match_percentage: Annotated[float, Field(gt=0, le=100)] = 60.0
    data_patterns: tuple[DataPattern, ...] = ()
    column_names: tuple[ColumnPhrase, ...] = ()
    column_patterns: tuple[ColumnPattern, ...] = ()
    column_exclude: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    presidio_entities: tuple[str, ...] = ()
    name_only: bool = False

    @model_validator(mode="after")
    def _recognisable(self) -> ClassificationDefinition:
        if not self.data_patterns and not (self.column_names or self.column_patterns):
            raise ValueError("a definition needs data_patterns or column names to be recognisable")
        ids = [pattern.id for pattern in self.data_patterns]
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate data pattern ids in {ids}")
        return self


class Catalog:
    """An immutable registry of classification definitions, by id."""

    def __init__(self, definitions: Iterable[ClassificationDefinition], version: str = "builtin") -> None:
        self._by_id: dict[str, ClassificationDefinition] = {}
        for definition in definitions:
            if definition.id in self._by_id:
                raise CatalogError(f"duplicate classification id {definition.id!r}", field="id")
            self._by_id[definition.id] = definition
        self.version = version

    def __iter__(self) -> Iterator[ClassificationDefinition]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, classification_id: object) -> bool:
        return classification_id in self._by_id

    def get(self, classification_id: str) -> ClassificationDefinition:
        """The definition with this id; ``KeyError`` if unknown."""
        return self._by_id[classification_id]

    @property
    def ids(self) -> list[str]:
        """All classification ids, in load (file name) order."""
        return list(self._by_id)

    def with_definitions(self, extra: Iterable[ClassificationDefinition], version: str) -> Catalog:
        """A new catalog: these definitions added (or replacing same-id ones)."""
        merged = dict(self._by_id)
        for definition in extra:
            merged[definition.id] = definition
        return Catalog(merged.values(), version=version)


def parse_definition(document: object, source: str) -> ClassificationDefinition:
    """Validate one definition document; ``CatalogError`` names ``source`` and the bad field."""
    try:
        return ClassificationDefinition.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise CatalogError(f"{source}: {field or 'document'}: {first['msg']}", field=field) from exc


def load_definition_file(path: Path) -> ClassificationDefinition:
    """Load and validate one YAML definition file."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path.name}: not valid YAML: {exc}") from exc
    definition = parse_definition(document, path.name)
    if definition.id != path.stem:
        raise CatalogError(f"{path.name}: id {definition.id!r} must equal the file name", field="id")
    return definition


def load_catalog(directory: Path | str | None = None) -> Catalog:
    """Load every ``*.yaml`` definition in ``directory`` (default: the built-in catalog)."""
    if directory is None:
        return _builtin_catalog()
    folder = Path(directory)
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise CatalogError(f"no classification definitions in {folder}")
    return Catalog((load_definition_file(path) for path in files), version=f"dir:{folder.name}")


@lru_cache(maxsize=1)
def _builtin_catalog() -> Catalog:
    files = sorted(DEFINITIONS_DIR.glob("*.yaml"))
    return Catalog((load_definition_file(path) for path in files), version="builtin")
