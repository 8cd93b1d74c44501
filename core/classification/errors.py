"""Domain errors of the classification engine, each with a stable machine-readable code."""

from __future__ import annotations


class ClassificationError(Exception):
    """Base class: ``code`` is stable (API error codes are derived from it), ``field`` a JSON-ish path."""

    code = "classification_error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field

    def to_dict(self) -> dict[str, object]:
        """The error as the API's ``{"code", "message", "details"}`` body fragment."""
        return {"code": self.code, "message": self.message, "details": {"field": self.field}}


class CatalogError(ClassificationError):
    """A classification definition file is malformed (the message names the file)."""

    code = "invalid_definition"


class RuleSetError(ClassificationError):
    """A scan rule-set document is invalid (codes: ``invalid_pattern``, ``unknown_validator``...)."""

    code = "invalid_rule_set"


class PatternRejected(RuleSetError):
    """A user-supplied pattern cannot run on the linear-time engine or is too expensive."""

    code = "invalid_pattern"
