"""What the engine returns: per column, the classifications with confidence, label and evidence.

These are pydantic models so the HTTP API and the CLI can serialise them as they are
(``result.model_dump(mode="json")``). Evidence never holds a raw value: examples are masked.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Signal(StrEnum):
    """The kinds of evidence that can support a classification."""

    PATTERN = "pattern"
    PRESIDIO = "presidio"
    COLUMN_NAME = "column_name"
    MODEL = "model"
    CUSTOM_RULE = "custom_rule"


class ResultStatus(StrEnum):
    """Engine results are suggestions until a data steward accepts or rejects them."""

    SUGGESTED = "Suggested"
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class SignalEvidence(_Frozen):
    """One signal's contribution: its score in [0, 1] and what fired (rule ids, entity, phrase...)."""

    signal: Signal
    score: float = Field(ge=0.0, le=1.0)
    detail: str


class Evidence(_Frozen):
    """Why a classification was suggested."""

    signals: tuple[SignalEvidence, ...]
    match_percentage: float = Field(ge=0.0, le=100.0, description="validated matches over distinct values")
    matched_values: int
    distinct_values: int
    rules: tuple[str, ...] = ()
    masked_examples: tuple[str, ...] = ()


class ClassificationResult(_Frozen):
    """One suggested classification of a column."""

    id: str
    name: str
    category: str
    confidence: float = Field(ge=0.0, le=1.0)
    label: str
    purview: str | None = None
    status: ResultStatus = ResultStatus.SUGGESTED
    evidence: Evidence


class RuleSetRef(_Frozen):
    """Which rule set (and which version of it) produced a result."""

    id: str
    version: int


class ColumnResult(_Frozen):
    """The classification of one column; ``classifications`` is sorted by confidence, best first."""

    column: str
    classifications: tuple[ClassificationResult, ...]
    rule_set: RuleSetRef
    catalog_version: str
    sampled_values: int
    distinct_values: int
    blank_values: int
    signals_used: tuple[Signal, ...]

    @property
    def top(self) -> ClassificationResult | None:
        """The most confident classification, or ``None`` when the column is unclassified."""
        return self.classifications[0] if self.classifications else None

    @property
    def ids(self) -> list[str]:
        """The suggested classification ids, best first."""
        return [item.id for item in self.classifications]


class TableResult(_Frozen):
    """The classification of every column of a table, in input order."""

    columns: tuple[ColumnResult, ...]

    def column(self, name: str) -> ColumnResult:
        """The result of the column called ``name``; ``KeyError`` if there is none."""
        for result in self.columns:
            if result.column == name:
                return result
        raise KeyError(name)
